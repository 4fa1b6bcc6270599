"""Suggested replies built from what the data says (pure), French and English.

:func:`build_reply` takes an intent (:class:`maillon.care.model.Intent`), a language and the
:class:`Facts` of the ticket's order (status, shipments with their carrier and tracking,
returns with their status and refund) and writes the reply sentence by sentence, each sentence
chosen by the *actual* state: a delivered order is never said cancelled, a backordered one is
never "on its way with [carrier]", an address is never said changed. Every statement of fact
the reply makes is also returned as a :class:`Claim` (``order.status = delivered``,
``shipment.carrier = Colissimo``...), so a test can hold each one against the data.

A fact the data lacks is not invented: the sentence that would need it is left out or replaced
by one that asks the customer (no ``[placeholder]`` is ever shown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from maillon.care.model import Intent
from maillon.care.templates import format_date, format_money
from maillon.orders.model import TRANSITIONS, OrderStatus
from maillon.returns.model import ReturnStatus

__all__ = ["Claim", "Facts", "GroundedReply", "ReturnFacts", "ShipmentFacts", "build_reply"]

_O = OrderStatus
_R = ReturnStatus
_BEFORE_SHIPPING = frozenset({_O.CONFIRMED, _O.BACKORDERED, _O.ALLOCATED, _O.PICKING, _O.PACKED})
_CHANGEABLE = frozenset({_O.CONFIRMED, _O.BACKORDERED, _O.ALLOCATED})


@dataclass(frozen=True, slots=True)
class ShipmentFacts:
    """One shipment: its carrier's name (None before a label), tracking numbers and link."""

    carrier: str | None
    tracking_numbers: tuple[str, ...] = ()
    tracking_url: str | None = None
    delivered_on: date | None = None


@dataclass(frozen=True, slots=True)
class ReturnFacts:
    """One return: its number (``R0000012``), status and the money refunded (settled)."""

    number: str
    status: ReturnStatus
    refund_cents: int | None = None
    settled_on: date | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """What the data says about a ticket's order (all optional but the language's needs)."""

    first_name: str = ""
    order_number: str | None = None
    order_status: OrderStatus | None = None
    total_cents: int | None = None
    currency: str = "EUR"
    delivery_address: str = ""
    promised_on: date | None = None
    shipments: tuple[ShipmentFacts, ...] = ()
    returns: tuple[ReturnFacts, ...] = ()
    return_last_day: date | None = None
    agent_name: str = ""


@dataclass(frozen=True, slots=True)
class Claim:
    """A statement of fact a reply makes: ``subject`` (``order.status``...) and its value."""

    subject: str
    value: str


@dataclass(frozen=True, slots=True)
class GroundedReply:
    """The reply's subject and body, and the claims it makes."""

    intent: str
    language: str
    subject: str
    body: str
    claims: tuple[Claim, ...] = field(default_factory=tuple)


class _Writer:
    """Collects sentences and claims in one language."""

    def __init__(self, language: str, facts: Facts) -> None:
        self.fr = language == "fr"
        self.facts = facts
        self.lines: list[str] = []
        self.claims: list[Claim] = []

    def say(self, en: str, fr: str, *claims: Claim) -> None:
        self.lines.append(fr if self.fr else en)
        self.claims.extend(claims)

    def day(self, value: date) -> str:
        return format_date(value, "fr" if self.fr else "en")

    def money(self, cents: int) -> str:
        return format_money(cents, "fr" if self.fr else "en", self.facts.currency)


def _status(facts: Facts) -> Claim:
    assert facts.order_status is not None
    return Claim("order.status", facts.order_status.value)


def _carried(facts: Facts) -> list[ShipmentFacts]:
    return [s for s in facts.shipments if s.carrier]


def _track(w: _Writer) -> None:
    """Where the order is, from its status and shipments."""
    f = w.facts
    n, st = f.order_number, f.order_status
    if st in (_O.CONFIRMED, _O.ALLOCATED, _O.PICKING):
        w.say(
            f"Your order {n} is being prepared in our warehouse; it has not shipped yet.",
            f"Votre commande {n} est en préparation dans notre entrepôt ; elle n'est pas "
            "encore partie.",
            _status(f),
        )
    elif st is _O.BACKORDERED:
        w.say(
            f"Your order {n} is waiting for an item to be restocked; it has not shipped yet. "
            "We will e-mail you as soon as it leaves.",
            f"Votre commande {n} attend le réassort d'un article ; elle n'est pas encore "
            "partie. Nous vous écrirons dès son départ.",
            _status(f),
        )
    elif st is _O.PACKED:
        w.say(
            f"Your order {n} is packed and will be handed to the carrier shortly.",
            f"Votre commande {n} est emballée et sera bientôt remise au transporteur.",
            _status(f),
        )
    elif st is _O.SHIPPED:
        w.say(f"Your order {n} has shipped.", f"Votre commande {n} a été expédiée.", _status(f))
        _tracking(w)
    elif st is _O.DELIVERED:
        days = [s.delivered_on for s in f.shipments if s.delivered_on]
        when = f" on {w.day(max(days))}" if days else ""
        quand = f" le {w.day(max(days))}" if days else ""
        w.say(
            f"The carrier reports your order {n} as delivered{when}. If you cannot find it, "
            "tell us and we will open an inquiry with the carrier.",
            f"Le transporteur indique votre commande {n} comme livrée{quand}. Si vous ne la "
            "trouvez pas, dites-le-nous et nous ouvrirons une enquête.",
            _status(f),
        )
    elif st is _O.CANCELLED:
        w.say(
            f"Your order {n} was cancelled, so it will not be delivered.",
            f"Votre commande {n} a été annulée : elle ne sera donc pas livrée.",
            _status(f),
        )
    if st in _BEFORE_SHIPPING and f.promised_on is not None:
        w.say(
            f"Planned delivery: by {w.day(f.promised_on)}.",
            f"Livraison prévue au plus tard le {w.day(f.promised_on)}.",
            Claim("order.promised_on", f.promised_on.isoformat()),
        )


def _tracking(w: _Writer) -> None:
    for s in _carried(w.facts):
        assert s.carrier is not None
        claims = [Claim("shipment.carrier", s.carrier)]
        if s.tracking_url:
            w.say(
                f"It travels with {s.carrier}; follow it here: {s.tracking_url}",
                f"Il voyage avec {s.carrier} ; suivez-le ici : {s.tracking_url}",
                *claims,
            )
        elif s.tracking_numbers:
            numbers = ", ".join(s.tracking_numbers)
            w.say(
                f"It travels with {s.carrier}, tracking number {numbers}.",
                f"Il voyage avec {s.carrier}, numéro de suivi {numbers}.",
                *claims,
            )
        else:
            w.say(f"It travels with {s.carrier}.", f"Il voyage avec {s.carrier}.", *claims)


def _not_received_yet(w: _Writer) -> bool:
    """For a claim about the goods: say so when they cannot have arrived. True if said."""
    f = w.facts
    if f.order_status in _BEFORE_SHIPPING:
        w.say(
            f"Our records show your order {f.order_number} has not shipped yet, so it cannot "
            "have reached you. Could you check the order number?",
            f"D'après nos données, votre commande {f.order_number} n'est pas encore partie : "
            "elle ne peut donc pas vous être parvenue. Pourriez-vous vérifier le numéro de "
            "commande ?",
            _status(f),
        )
        return True
    if f.order_status is _O.CANCELLED:
        w.say(
            f"Our records show your order {f.order_number} was cancelled before shipping. "
            "Could you check the order number?",
            f"D'après nos données, votre commande {f.order_number} a été annulée avant "
            "l'expédition. Pourriez-vous vérifier le numéro de commande ?",
            _status(f),
        )
        return True
    return False


def _damaged(w: _Writer) -> None:
    if _not_received_yet(w):
        return
    n = w.facts.order_number
    w.say(
        f"We are sorry that your order {n} reached you damaged. Could you reply with a photo "
        "of the item and of the parcel? We will then offer a replacement or a refund, and you "
        "will not pay for sending it back.",
        f"Nous sommes désolés que votre commande {n} vous soit parvenue endommagée. Pourriez-"
        "vous nous répondre avec une photo de l'article et du colis ? Nous vous proposerons "
        "ensuite un remplacement ou un remboursement, sans frais de retour pour vous.",
    )


def _missing(w: _Writer) -> None:
    if _not_received_yet(w):
        return
    n = w.facts.order_number
    w.say(
        f"We are sorry that your order {n} is not what you expected. Could you tell us which "
        "item is missing or wrong, with a photo of what you received? We will send what is "
        "missing or the right item, at our cost.",
        f"Nous sommes désolés que votre commande {n} ne soit pas conforme. Pourriez-vous nous "
        "indiquer l'article manquant ou erroné, avec une photo de ce que vous avez reçu ? "
        "Nous vous enverrons l'article manquant ou le bon article, à nos frais.",
    )


_RETURN_STATE = {
    _R.REQUESTED: (
        "we have your return request {r} and are reviewing it",
        "nous avons bien votre demande de retour {r} et l'examinons",
    ),
    _R.APPROVED: (
        "your return {r} is approved: send the parcel with the return instructions",
        "votre retour {r} est accepté : envoyez le colis selon les instructions",
    ),
    _R.LABEL_ISSUED: (
        "your return {r} is approved and its return label was sent to you",
        "votre retour {r} est accepté et son étiquette vous a été envoyée",
    ),
    _R.RECEIVED: (
        "your return {r} reached our warehouse and will be inspected shortly",
        "votre retour {r} est arrivé à notre entrepôt et sera bientôt contrôlé",
    ),
    _R.INSPECTED: (
        "your return {r} has been inspected; it is being settled",
        "votre retour {r} a été contrôlé ; son règlement est en cours",
    ),
    _R.SETTLED: ("your return {r} is settled", "votre retour {r} est réglé"),
    _R.CLOSED: ("your return {r} is closed", "votre retour {r} est clôturé"),
    _R.REJECTED: (
        "your return request {r} was declined; an agent explains why below",
        "votre demande de retour {r} a été refusée ; un conseiller vous explique "
        "pourquoi ci-dessous",
    ),
    _R.CANCELLED: (
        "your return request {r} was withdrawn",
        "votre demande de retour {r} a été annulée",
    ),
}


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _return_sentences(w: _Writer) -> bool:
    """One sentence per return of the order. True if there was one."""
    for r in w.facts.returns:
        en, fr = _RETURN_STATE[r.status]
        w.say(
            _sentence(en.format(r=r.number)),
            _sentence(fr.format(r=r.number)),
            Claim("return.status", f"{r.number}:{r.status.value}"),
        )
    return bool(w.facts.returns)


def _return(w: _Writer) -> None:
    f = w.facts
    if _return_sentences(w):
        return
    if f.order_status is _O.DELIVERED:
        last = f.return_last_day
        if last is not None:
            w.say(
                f"You can return items of order {f.order_number} until {w.day(last)}: start "
                "the return from your account, under Orders > Return an item.",
                f"Vous pouvez retourner des articles de la commande {f.order_number} jusqu'au "
                f"{w.day(last)} : lancez le retour depuis votre compte, rubrique Commandes > "
                "Retourner un article.",
                _status(f),
                Claim("return.last_day", last.isoformat()),
            )
        else:
            w.say(
                f"You can start the return of order {f.order_number} from your account, "
                "under Orders > Return an item.",
                f"Vous pouvez lancer le retour de la commande {f.order_number} depuis votre "
                "compte, rubrique Commandes > Retourner un article.",
                _status(f),
            )
    elif f.order_status is _O.SHIPPED:
        w.say(
            f"Your order {f.order_number} is on its way: once it is delivered you can start "
            "a return from your account.",
            f"Votre commande {f.order_number} est en route : une fois livrée, vous pourrez "
            "lancer un retour depuis votre compte.",
            _status(f),
        )
    elif f.order_status is _O.CANCELLED:
        w.say(
            f"Your order {f.order_number} was cancelled, so there is nothing to send back.",
            f"Votre commande {f.order_number} a été annulée : il n'y a rien à renvoyer.",
            _status(f),
        )
    else:
        w.say(
            f"Your order {f.order_number} has not shipped yet, so there is nothing to return; "
            "if you no longer want it, tell us and we will try to cancel it.",
            f"Votre commande {f.order_number} n'est pas encore partie : il n'y a rien à "
            "retourner ; si vous n'en voulez plus, dites-le-nous et nous essaierons de "
            "l'annuler.",
            _status(f),
        )


def _refund(w: _Writer) -> None:
    f = w.facts
    refunded = [r for r in f.returns if r.refund_cents and r.settled_on]
    for r in refunded:
        assert r.refund_cents is not None and r.settled_on is not None
        w.say(
            f"On {w.day(r.settled_on)} we refunded {w.money(r.refund_cents)} for your return "
            f"{r.number}, to your original payment method. Depending on your bank it shows "
            "within 3 to 5 business days.",
            f"Le {w.day(r.settled_on)}, nous avons remboursé {w.money(r.refund_cents)} pour "
            f"votre retour {r.number}, sur votre moyen de paiement d'origine. Selon votre "
            "banque, il apparaîtra sous 3 à 5 jours ouvrés.",
            Claim("refund.amount", f"{r.number}:{r.refund_cents}"),
        )
    pending = [r for r in f.returns if r not in refunded]
    if pending:
        w.facts = replace(f, returns=tuple(pending))
        _return_sentences(w)
        w.facts = f
        w.say(
            "The refund follows once the returned items are inspected.",
            "Le remboursement suit le contrôle des articles retournés.",
        )
    elif not refunded:
        if f.order_status is _O.CANCELLED:
            w.say(
                f"Your order {f.order_number} was cancelled; an agent checks its payment "
                "refund and confirms it to you.",
                f"Votre commande {f.order_number} a été annulée ; un conseiller vérifie le "
                "remboursement de son paiement et vous le confirme.",
                _status(f),
            )
        else:
            w.say(
                f"We have no return or refund in progress for order {f.order_number}. If you "
                "sent items back, could you give us the parcel's tracking number?",
                f"Nous n'avons pas de retour ni de remboursement en cours pour la commande "
                f"{f.order_number}. Si vous avez renvoyé des articles, pourriez-vous nous "
                "donner le numéro de suivi du colis ?",
            )


def _cancel(w: _Writer) -> None:
    f = w.facts
    st = f.order_status
    assert st is not None
    if st is _O.CANCELLED:
        w.say(
            f"Your order {f.order_number} is already cancelled.",
            f"Votre commande {f.order_number} est déjà annulée.",
            _status(f),
        )
    elif _O.CANCELLED in TRANSITIONS.get(st, frozenset()):
        w.say(
            f"Your order {f.order_number} has not shipped yet, so it can still be cancelled: "
            "we are stopping it and will confirm the cancellation and refund by e-mail.",
            f"Votre commande {f.order_number} n'est pas encore partie : elle peut encore être "
            "annulée. Nous l'arrêtons et vous confirmerons l'annulation et le remboursement "
            "par e-mail.",
            _status(f),
        )
    else:
        state = (
            ("was delivered", "a été livrée", "", "")
            if st is _O.DELIVERED
            else ("has already shipped", "est déjà partie", " once you have it", " une fois reçue")
        )
        w.say(
            f"Your order {f.order_number} {state[0]}, so it can no longer be cancelled; you "
            f"can return it{state[2]}, from your account.",
            f"Votre commande {f.order_number} {state[1]} : elle ne peut plus être annulée ; "
            f"vous pourrez la retourner depuis votre compte{state[3]}.",
            _status(f),
        )


def _change(w: _Writer) -> None:
    f = w.facts
    st = f.order_status
    if st in _CHANGEABLE:
        w.say(
            f"Your order {f.order_number} is not being prepared yet, so it can still be "
            "changed: tell us exactly what you would like and we will confirm the change.",
            f"Votre commande {f.order_number} n'est pas encore en préparation : elle peut "
            "encore être modifiée. Dites-nous précisément ce que vous souhaitez et nous vous "
            "confirmerons la modification.",
            _status(f),
        )
    elif st in (_O.PICKING, _O.PACKED):
        w.say(
            f"Your order {f.order_number} is already being prepared; we will check whether "
            "the change is still possible and come back to you.",
            f"Votre commande {f.order_number} est déjà en préparation ; nous vérifions si la "
            "modification est encore possible et revenons vers vous.",
            _status(f),
        )
    elif st is _O.CANCELLED:
        w.say(
            f"Your order {f.order_number} was cancelled; you are welcome to place a new one.",
            f"Votre commande {f.order_number} a été annulée ; vous pouvez en passer une nouvelle.",
            _status(f),
        )
    else:
        w.say(
            f"Your order {f.order_number} has already left our warehouse, so it can no longer "
            "be changed; you can return what does not suit you once you have it.",
            f"Votre commande {f.order_number} a déjà quitté notre entrepôt : elle ne peut "
            "plus être modifiée ; vous pourrez retourner ce qui ne vous convient pas une fois "
            "reçue.",
            _status(f),
        )


def _address(w: _Writer) -> None:
    f = w.facts
    st = f.order_status
    if st in _BEFORE_SHIPPING:
        if f.delivery_address:
            w.say(
                f"Your order {f.order_number} has not shipped yet. The delivery address we "
                f"have is: {f.delivery_address}. Reply with the full new address and we will "
                "update it before it leaves.",
                f"Votre commande {f.order_number} n'est pas encore partie. L'adresse de "
                f"livraison enregistrée est : {f.delivery_address}. Répondez-nous avec la "
                "nouvelle adresse complète et nous la mettrons à jour avant le départ.",
                _status(f),
                Claim("order.delivery_address", f.delivery_address),
            )
        else:
            w.say(
                f"Your order {f.order_number} has not shipped yet: reply with the full new "
                "address and we will update it before it leaves.",
                f"Votre commande {f.order_number} n'est pas encore partie : répondez-nous "
                "avec la nouvelle adresse complète et nous la mettrons à jour avant le "
                "départ.",
                _status(f),
            )
    elif st is _O.SHIPPED:
        w.say(
            f"Your order {f.order_number} has already shipped, so we can no longer change its "
            "address ourselves; we will ask the carrier whether it can redirect the parcel.",
            f"Votre commande {f.order_number} est déjà partie : nous ne pouvons plus changer "
            "son adresse nous-mêmes ; nous demandons au transporteur s'il peut réorienter le "
            "colis.",
            _status(f),
        )
        _tracking(w)
    elif st is _O.DELIVERED:
        w.say(
            f"The carrier reports your order {f.order_number} as delivered, so its address "
            "can no longer be changed. If it did not reach you, tell us and we will open an "
            "inquiry.",
            f"Le transporteur indique votre commande {f.order_number} comme livrée : son "
            "adresse ne peut plus être modifiée. Si elle ne vous est pas parvenue, dites-le-"
            "nous et nous ouvrirons une enquête.",
            _status(f),
        )
    else:
        w.say(
            f"Your order {f.order_number} was cancelled, so there is no delivery to redirect.",
            f"Votre commande {f.order_number} a été annulée : il n'y a pas de livraison à "
            "réorienter.",
            _status(f),
        )


def _generic(w: _Writer, intent: Intent) -> None:
    n = w.facts.order_number
    about = f" about order {n}" if n else ""
    sur = f" au sujet de la commande {n}" if n else ""
    text = {
        Intent.DELIVERY_OPTIONS: (
            "Thank you for your question{a} about delivery. {b}",
            "Merci pour votre question{s} sur la livraison. {b}",
        ),
        Intent.INVOICE: (
            "We will send you the invoice{a} by e-mail. {b}",
            "Nous vous envoyons la facture{s} par e-mail. {b}",
        ),
        Intent.PAYMENT: (
            "Thank you for your message{a} about payment. {b}",
            "Merci pour votre message{s} concernant le paiement. {b}",
        ),
        Intent.ACCOUNT: (
            "Thank you for your message about your customer account. {b}",
            "Merci pour votre message concernant votre compte client. {b}",
        ),
        Intent.CONTACT_HUMAN_AGENT: (
            "You are talking to a member of our team. {b}",
            "Vous échangez avec un membre de notre équipe. {b}",
        ),
        Intent.OTHER: ("Thank you for your message{a}. {b}", "Merci pour votre message{s}. {b}"),
    }[intent]
    b_en = "Could you tell us a little more so we can help you?"
    b_fr = "Pourriez-vous nous en dire un peu plus pour que nous puissions vous aider ?"
    w.say(text[0].format(a=about, b=b_en), text[1].format(s=sur, b=b_fr))


_ORDER_INTENTS = {
    Intent.TRACK_ORDER: _track,
    Intent.DAMAGED_ITEM: _damaged,
    Intent.MISSING_OR_WRONG_ITEM: _missing,
    Intent.RETURN_ITEM: _return,
    Intent.REFUND_STATUS: _refund,
    Intent.CANCEL_ORDER: _cancel,
    Intent.CHANGE_ORDER: _change,
    Intent.CHANGE_SHIPPING_ADDRESS: _address,
}

_SUBJECTS = {
    Intent.TRACK_ORDER: ("Your order", "Votre commande"),
    Intent.DAMAGED_ITEM: ("Damaged item", "Article endommagé"),
    Intent.MISSING_OR_WRONG_ITEM: ("Missing or wrong item", "Article manquant ou erroné"),
    Intent.RETURN_ITEM: ("Your return", "Votre retour"),
    Intent.REFUND_STATUS: ("Your refund", "Votre remboursement"),
    Intent.CANCEL_ORDER: ("Cancelling your order", "Annulation de votre commande"),
    Intent.CHANGE_ORDER: ("Changing your order", "Modification de votre commande"),
    Intent.CHANGE_SHIPPING_ADDRESS: ("Delivery address", "Adresse de livraison"),
    Intent.DELIVERY_OPTIONS: ("Delivery", "Livraison"),
    Intent.INVOICE: ("Your invoice", "Votre facture"),
    Intent.PAYMENT: ("Payment", "Paiement"),
    Intent.ACCOUNT: ("Your account", "Votre compte"),
    Intent.CONTACT_HUMAN_AGENT: ("Your request", "Votre demande"),
    Intent.OTHER: ("Your message", "Votre message"),
}


def build_reply(intent: str, language: str, facts: Facts) -> GroundedReply:
    """Return the reply to ``intent`` in ``language`` (``fr`` or ``en``) stating only what
    ``facts`` say.

    An order intent without an order (no number or status) asks for the order number.
    Raises ``ValueError`` for an unknown intent or language.
    """
    if language not in ("fr", "en"):
        raise ValueError(f"language = {language!r}; use fr or en.")
    try:
        kind = Intent(intent)
    except ValueError:
        raise ValueError(f"intent = {intent!r} is not an intent.") from None
    w = _Writer(language, facts)
    hello = f"{'Bonjour' if w.fr else 'Hello'} {facts.first_name}".strip() + ","
    writer = _ORDER_INTENTS.get(kind)
    if writer is not None and (facts.order_number is None or facts.order_status is None):
        w.say(
            "Could you give us your order number (for example M0001234) so we can check it?",
            "Pourriez-vous nous indiquer votre numéro de commande (par exemple M0001234) "
            "afin que nous puissions vérifier ?",
        )
    elif writer is not None:
        writer(w)
    else:
        _generic(w, kind)
    sign = "Bien cordialement," if w.fr else "Kind regards,"
    body = "\n\n".join([hello, " ".join(w.lines), f"{sign}\n{facts.agent_name}".rstrip()])
    subject = _SUBJECTS[kind][1 if w.fr else 0]
    if facts.order_number:
        subject += (
            f" {facts.order_number}"
            if kind is Intent.TRACK_ORDER
            else (f" - {'commande' if w.fr else 'order'} {facts.order_number}")
        )
    return GroundedReply(kind.value, language, subject, body, tuple(w.claims))


def claims_of(replies: Sequence[GroundedReply]) -> list[Claim]:
    """Return every claim of ``replies``, in order."""
    return [c for r in replies for c in r.claims]
