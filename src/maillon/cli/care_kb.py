"""``maillon care kb``: the FAQ assistant's knowledge base (articles per language) and the shop
policy it answers payment and delivery questions from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.table import Table

from maillon.cli.common import ACTOR, DbOption, console, fail, open_db, read_document
from maillon.core.errors import MaillonError

kb_app = typer.Typer(
    help="The FAQ assistant's knowledge base and shop policy.", no_args_is_help=True
)


@kb_app.command("list")
def kb_list(
    language: Annotated[str | None, typer.Option(help="fr or en")] = None,
    intent: Annotated[str | None, typer.Option(help="an intent")] = None,
    db: DbOption = None,
) -> None:
    """Print the articles (id, slug, language, intent, used, question)."""
    from maillon.care.service import knowledge

    try:
        with open_db(db).reader() as session:
            rows = knowledge.list_articles(session=session, language=language, intent=intent)
            table = Table("id", "slug", "lang", "intent", "used", "question")
            for a in rows:
                table.add_row(
                    str(a.id), a.slug, a.language, a.intent, "yes" if a.active else "no", a.question
                )
    except MaillonError as exc:
        fail(exc)
    console.print(table)


@kb_app.command("show")
def kb_show(article_id: int, db: DbOption = None) -> None:
    """Print one article (YAML)."""
    from maillon.care.service import knowledge

    try:
        with open_db(db).reader() as session:
            a = knowledge.get_article(session=session, article_id=article_id)
            document = {
                "id": a.id,
                "slug": a.slug,
                "language": a.language,
                "intent": a.intent,
                "active": a.active,
                "question": a.question,
                "alternates": list(a.alternates or []),
                "answer": a.answer,
            }
    except MaillonError as exc:
        fail(exc)
    console.print(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), end="")


@kb_app.command("add")
def kb_add(
    slug: Annotated[str, typer.Option(help="shared by the translations of one article")],
    language: Annotated[str, typer.Option(help="fr or en")],
    question: Annotated[str, typer.Option()],
    answer: Annotated[str, typer.Option(help="may hold {return_costs}, {payment_methods}...")],
    intent: Annotated[str, typer.Option()] = "other",
    alternate: Annotated[list[str] | None, typer.Option(help="another wording")] = None,
    db: DbOption = None,
) -> None:
    """Add an article."""
    from maillon.care.service import knowledge

    try:
        with open_db(db).transaction() as session:
            a = knowledge.create_article(
                session=session,
                slug=slug,
                language=language,
                question=question,
                answer=answer,
                intent=intent,
                alternates=list(alternate or []),
                actor=ACTOR,
            )
            article_id = a.id
    except MaillonError as exc:
        fail(exc)
    console.print(f"article {article_id} added: {slug} ({language})")


@kb_app.command("edit")
def kb_edit(
    article_id: int,
    question: Annotated[str | None, typer.Option()] = None,
    answer: Annotated[str | None, typer.Option()] = None,
    intent: Annotated[str | None, typer.Option()] = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive")] = None,
    db: DbOption = None,
) -> None:
    """Change an article's question, answer, intent, or whether the assistant uses it."""
    from maillon.care.service import knowledge

    try:
        with open_db(db).transaction() as session:
            knowledge.update_article(
                session=session,
                article_id=article_id,
                actor=ACTOR,
                question=question,
                answer=answer,
                intent=intent,
                active=active,
            )
    except MaillonError as exc:
        fail(exc)
    console.print(f"article {article_id} changed")


@kb_app.command("delete")
def kb_delete(article_id: int, db: DbOption = None) -> None:
    """Delete an article."""
    from maillon.care.service import knowledge

    try:
        with open_db(db).transaction() as session:
            knowledge.delete_article(session=session, article_id=article_id)
    except MaillonError as exc:
        fail(exc)
    console.print(f"article {article_id} deleted")


@kb_app.command("policy-show")
def policy_show(db: DbOption = None) -> None:
    """Print the shop policy (YAML): payment methods, instalments, delivery options."""
    from maillon.care.service import knowledge

    with open_db(db).reader() as session:
        document = knowledge.load_shop_policy(session=session).document()
    console.print(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), end="")


@kb_app.command("policy-set")
def policy_set(file: Path, db: DbOption = None) -> None:
    """Replace the shop policy from a YAML or JSON file (the shape ``policy-show`` prints)."""
    from maillon.care.service import knowledge

    try:
        document = read_document(file)
        with open_db(db).transaction() as session:
            policy = knowledge.save_shop_policy(session=session, document=document, actor=ACTOR)
    except MaillonError as exc:
        fail(exc)
    console.print(
        f"shop policy set: {len(policy.payment_methods)} payment method(s), "
        f"{len(policy.delivery)} delivery option(s)"
    )
