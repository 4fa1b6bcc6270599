"""Customer-facing pages that need no key: the return portal.

A customer gives their order number and e-mail (or delivery postal code), sees what they may
send back and why not, picks units and reasons, and gets an RMA number with instructions. An
unknown order and a wrong e-mail get the same answer, so the page reveals nothing about an
order to someone who does not know both. The JSON twin is ``/api/v1/portal/returns``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from maillon.care import service as care
from maillon.core.db import Database
from maillon.core.errors import MaillonError, NotFound, ValidationError
from maillon.returns import service as returns
from maillon.returns.model import LabelStatus, ReturnStatus
from maillon.web.console import language
from maillon.web.console import render as render_page
from maillon.web.i18n import translator

router = APIRouter(include_in_schema=False)

NO_MATCH = "No order matches this number and e-mail or postal code."
LABEL_LATER = (
    "The carrier cannot issue your label right now: we will e-mail it to you as soon as it is "
    "ready."
)
LABEL_REFUSED = (
    "Your prepaid label cannot be issued online; our team will send you one by e-mail. Detail:"
)
LABEL_NONE = "This return label link is not valid."
BAD_SURVEY = "This survey link is not valid."

FRENCH = {
    "Return an item": "Retourner un article",
    "Enter your order number and the e-mail address or postal code of the order.": (
        "Saisissez votre numéro de commande et l'adresse e-mail ou le code postal de la commande."
    ),
    "Order number": "Numéro de commande",
    "E-mail or postal code": "E-mail ou code postal",
    "Continue": "Continuer",
    "Return items of order": "Retourner des articles de la commande",
    "This order is not delivered yet: items can be returned once it has arrived.": (
        "Cette commande n'est pas encore livrée : les articles pourront être retournés "
        "après sa livraison."
    ),
    "Item": "Article",
    "Can return": "Retournables",
    "Comment (optional)": "Commentaire (facultatif)",
    "Request the return": "Demander le retour",
    "Another order": "Une autre commande",
    "Return requested": "Retour demandé",
    "Your return number": "Votre numéro de retour",
    "We have sent you these instructions by e-mail.": (
        "Nous vous avons envoyé ces instructions par e-mail."
    ),
    NO_MATCH: "Aucune commande ne correspond à ce numéro et à cet e-mail ou code postal.",
    "Your opinion": "Votre avis",
    "How would you rate the answer to your request?": (
        "Quelle note donneriez-vous à la réponse à votre demande ?"
    ),
    "Your rating": "Votre note",
    "1 - very poor": "1 - très mauvaise",
    "2 - poor": "2 - mauvaise",
    "3 - fair": "3 - correcte",
    "4 - good": "4 - bonne",
    "5 - excellent": "5 - excellente",
    "Send": "Envoyer",
    "Thank you for your answer.": "Merci pour votre réponse.",
    BAD_SURVEY: "Ce lien d'enquête n'est pas valide.",
    "Choose a rating from 1 to 5.": "Choisissez une note de 1 à 5.",
    "Send me a prepaid return label (when the return shipping is on me, its cost is deducted "
    "from the refund)": (
        "Envoyez-moi une étiquette de retour prépayée (si le retour est à ma charge, son coût "
        "est déduit du remboursement)"
    ),
    "Download your prepaid return label (PDF)": (
        "Télécharger votre étiquette de retour prépayée (PDF)"
    ),
    "Get my prepaid return label": "Obtenir mon étiquette de retour prépayée",
    LABEL_LATER: (
        "Le transporteur ne peut pas émettre votre étiquette pour le moment : nous vous "
        "l'enverrons par e-mail dès qu'elle sera prête."
    ),
    LABEL_REFUSED: (
        "Votre étiquette prépayée ne peut pas être émise en ligne ; notre équipe vous en "
        "enverra une par e-mail. Détail :"
    ),
    LABEL_NONE: "Ce lien d'étiquette de retour n'est pas valide.",
    "This survey was already answered: thank you.": (
        "Cette enquête a déjà reçu une réponse : merci."
    ),
}
"""French of the portal's own texts (``tr`` in its templates; ``t`` for the console's)."""


def render(request: Request, name: str, user: None, **context: Any) -> Response:
    """Render a portal page with ``tr``, the portal's translator, besides the console's."""
    lang = language(request, None)
    console_t = translator(lang)

    def tr(text: str) -> str:
        return FRENCH.get(text, console_t(text)) if lang == "fr" else text

    if context.get("error"):
        context["error"] = tr(context["error"])
    return render_page(request, name, user, tr=tr, **context)


MAX_LINES = 100


def _lookup_page(
    request: Request,
    order: str,
    contact: str,
    *,
    errors: list[str] | None = None,
    status: int = 200,
) -> Response:
    db: Database = request.app.state.db
    try:
        with db.reader() as session:
            found = returns.find_order_for_customer(session=session, number=order, contact=contact)
            view = returns.portal_view(session=session, order=found)
    except NotFound:
        return render(
            request,
            "portal_returns.html",
            None,
            status_code=404,
            error=NO_MATCH,
            order=order,
            contact=contact,
        )
    return render(
        request,
        "portal_return_lines.html",
        None,
        status_code=status,
        view=view,
        order=order,
        contact=contact,
        errors=errors or [],
    )


@router.get("/returns", response_class=HTMLResponse)
def returns_form(request: Request) -> Response:
    """The first step: order number and e-mail or postal code."""
    return render(request, "portal_returns.html", None, error=None, order="", contact="")


@router.post("/returns/lookup", response_class=HTMLResponse)
def returns_lookup(
    request: Request,
    order: Annotated[str, Form(max_length=20)] = "",
    contact: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    """The second step: the order's lines, what may come back and the reasons."""
    return _lookup_page(request, order.strip(), contact.strip())


@router.post("/returns/submit", response_class=HTMLResponse)
async def returns_submit(request: Request) -> Response:
    """The last step: open the RMA and show its number and instructions."""
    form = await request.form()
    order = str(form.get("order") or "")[:20].strip()
    contact = str(form.get("contact") or "")[:320].strip()
    comment = str(form.get("comment") or "")[:200]
    lines: list[tuple[str, int, str]] = []
    errors: list[str] = []
    skus = [str(s)[:64] for s in form.getlist("sku")][:MAX_LINES]
    for sku in skus:
        raw = str(form.get(f"qty_{sku}") or "0").strip()
        if not raw.isdigit() or len(raw) > 6:
            errors.append(f"{sku}: the quantity must be a whole number")
            continue
        if int(raw) > 0:
            lines.append((sku, int(raw), str(form.get(f"reason_{sku}") or "")[:40]))
    if not errors and not lines:
        errors.append("Choose at least one item to return.")
    if errors:
        return _lookup_page(request, order, contact, errors=errors, status=422)
    db: Database = request.app.state.db
    try:
        with db.transaction() as session:
            opened = returns.portal_request(
                session=session,
                number=order,
                contact=contact,
                lines=lines,
                comment=comment,
                want_label=bool(form.get("want_label")),
            )
            page = _done_context(opened, order, contact, language(request, None))
    except NotFound:
        return render(
            request,
            "portal_returns.html",
            None,
            status_code=404,
            error=NO_MATCH,
            order=order,
            contact=contact,
        )
    except ValidationError as exc:
        messages = []
        for e in exc.errors:
            parts = e.field.split(".")
            if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit():
                messages.append(f"{lines[int(parts[1])][0]}: {e.message}")
            else:
                messages.append(e.message)
        return _lookup_page(request, order, contact, errors=messages, status=422)
    except MaillonError as exc:
        return _lookup_page(request, order, contact, errors=[exc.message], status=409)
    return _done_page(request, page)


def _done_context(
    opened: returns.PortalReturn, order: str, contact: str, lang: str
) -> dict[str, Any]:
    r = opened.request
    return {
        "rma": r.number,
        "instructions": returns.customer_instructions(r, lang),
        "label_token": opened.label_token,
        "problem": opened.label_problem,
        "retry": opened.label_retry,
        "can_ask_label": (
            r.status == ReturnStatus.APPROVED
            and r.label_status == LabelStatus.PENDING
            and not opened.label_retry
        ),
        "order": order,
        "contact": contact,
    }


def _done_page(request: Request, page: dict[str, Any], status: int = 200) -> Response:
    """The RMA, what to do next, the label to download or why there is none."""
    problem, retry = page.pop("problem"), page.pop("retry")
    lang = language(request, None)
    label_problem = ""
    if retry:
        label_problem = LABEL_LATER if lang != "fr" else FRENCH[LABEL_LATER]
    elif problem:
        prefix = LABEL_REFUSED if lang != "fr" else FRENCH[LABEL_REFUSED]
        label_problem = f"{prefix} {problem}"
    return render(
        request,
        "portal_return_done.html",
        None,
        status_code=status,
        label_problem=label_problem,
        **page,
    )


@router.post("/returns/label", response_class=HTMLResponse)
def returns_label(
    request: Request,
    order: Annotated[str, Form(max_length=20)] = "",
    contact: Annotated[str, Form(max_length=320)] = "",
    rma: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """The customer's "get my prepaid label" on an approved return: the label to download, or
    why the carrier cannot issue it (never a server error)."""
    db: Database = request.app.state.db
    try:
        with db.transaction() as session:
            opened = returns.portal_label(
                session=session, number=order.strip(), contact=contact.strip(), rma=rma.strip()
            )
            page = _done_context(opened, order.strip(), contact.strip(), language(request, None))
    except NotFound:
        return render(
            request,
            "portal_returns.html",
            None,
            status_code=404,
            error=NO_MATCH,
            order=order,
            contact=contact,
        )
    except MaillonError as exc:
        return _lookup_page(
            request, order.strip(), contact.strip(), errors=[exc.message], status=409
        )
    status = 202 if page["retry"] else 409 if page["problem"] else 200
    return _done_page(request, page, status)


@router.get("/returns/label/{token}")
def return_label_pdf(request: Request, token: str) -> Response:
    """The prepaid return label as a PDF; the link's token is the only credential (sent to
    the customer in the portal and by e-mail)."""
    db: Database = request.app.state.db
    try:
        with db.reader() as session:
            content, name = returns.label_document(session=session, token=token)
    except NotFound:
        return render(
            request,
            "portal_returns.html",
            None,
            status_code=404,
            error=LABEL_NONE,
            order="",
            contact="",
        )
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


# --------------------------------------------------------------------------- CSAT survey

RATINGS = ("1 - very poor", "2 - poor", "3 - fair", "4 - good", "5 - excellent")


def _csat_page(
    request: Request, token: str, *, error: str | None = None, status: int = 200, done: bool = False
) -> Response:
    return render(
        request,
        "portal_csat.html",
        None,
        status_code=status,
        token=token,
        ratings=RATINGS,
        error=error,
        done=done,
        show_form=not done and error != BAD_SURVEY,
    )


@router.get("/csat/{token}", response_class=HTMLResponse)
def csat_form(request: Request, token: str) -> Response:
    """The satisfaction survey a customer reaches from the e-mail sent when their ticket was
    resolved: a 1-5 rating and a comment. The link's token is the only credential."""
    db: Database = request.app.state.db
    try:
        with db.reader() as session:
            survey = care.csat_survey(session=session, token=token)
            answered = survey.answered_at is not None
    except NotFound:
        return _csat_page(request, token, error=BAD_SURVEY, status=404)
    return _csat_page(request, token, done=answered)


@router.post("/csat/{token}", response_class=HTMLResponse)
def csat_answer(
    request: Request,
    token: str,
    score: Annotated[str, Form(max_length=2)] = "",
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Record the rating once; a missing rating or a used link is said in the page."""
    if not score.isdigit() or not 1 <= int(score) <= 5:
        return _csat_page(request, token, error="Choose a rating from 1 to 5.", status=422)
    db: Database = request.app.state.db
    try:
        with db.transaction() as session:
            care.answer_csat(session=session, token=token, score=int(score), comment=comment)
    except NotFound:
        return _csat_page(request, token, error=BAD_SURVEY, status=404)
    except MaillonError:
        return _csat_page(
            request, token, error="This survey was already answered: thank you.", status=409
        )
    return _csat_page(request, token, done=True)
