"""The FAQ assistant's knowledge base and shop policy: articles per language (list, read,
create, change, delete) and the policy document it answers payment and delivery questions from.

Each use case takes the caller's session (one transaction); bad input raises ValidationError
naming the field. :func:`faq_entries` turns the active articles into the entries the assistant
searches (:class:`maillon.care.faq.FaqEntry`, id ``<slug>-<language>``).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.care import shop_policy
from maillon.care.faq import LANGUAGES, FaqEntry
from maillon.care.model import INTENTS
from maillon.care.shop_policy import ShopPolicy
from maillon.care.tables import CareArticle, ShopPolicyRow
from maillon.core import clock
from maillon.core.errors import Conflict, ErrorCollector, NotFound

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


def list_articles(
    *,
    session: Session,
    language: str | None = None,
    intent: str | None = None,
    active: bool | None = None,
) -> list[CareArticle]:
    """Return the articles, by slug then language, filtered. Raises ValidationError."""
    errors = ErrorCollector()
    if language is not None and language not in LANGUAGES:
        errors.add("language", f"one of {', '.join(LANGUAGES)}")
    if intent is not None and intent not in INTENTS:
        errors.add("intent", f"one of {', '.join(INTENTS)}")
    errors.raise_if_any()
    query = select(CareArticle).order_by(CareArticle.slug, CareArticle.language)
    if language:
        query = query.where(CareArticle.language == language)
    if intent:
        query = query.where(CareArticle.intent == intent)
    if active is not None:
        query = query.where(CareArticle.active.is_(active))
    return list(session.scalars(query).all())


def get_article(*, session: Session, article_id: int) -> CareArticle:
    """Return one article. Raises NotFound."""
    article = session.get(CareArticle, article_id)
    if article is None:
        raise NotFound("article", article_id, field="article_id")
    return article


def _check(
    errors: ErrorCollector,
    *,
    question: str | None,
    answer: str | None,
    intent: str | None,
    alternates: list[str] | None,
) -> None:
    if question is not None and not 0 < len(question.strip()) <= 300:
        errors.add("question", "1-300 characters")
    if answer is not None:
        if not answer.strip() or len(answer) > 20_000:
            errors.add("answer", "1-20000 characters")
        unknown = shop_policy.check_tokens(answer)
        if unknown:
            errors.add(
                "answer",
                f"unknown policy token {{{unknown[0]}}}; known: "
                + ", ".join("{" + t + "}" for t in shop_policy.TOKENS),
            )
    if intent is not None and intent not in INTENTS:
        errors.add("intent", f"one of {', '.join(INTENTS)}")
    if alternates is not None and (
        len(alternates) > 30 or any(not 0 < len(a.strip()) <= 300 for a in alternates)
    ):
        errors.add("alternates", "up to 30 wordings of 1-300 characters")


def create_article(
    *,
    session: Session,
    slug: str,
    language: str,
    question: str,
    answer: str,
    intent: str = "other",
    alternates: list[str] | None = None,
    active: bool = True,
    actor: str,
) -> CareArticle:
    """Add an article. Raises ValidationError naming bad fields, Conflict when the slug
    already has an article in that language."""
    errors = ErrorCollector()
    if not _SLUG.match(slug or ""):
        errors.add("slug", "1-80 lower-case letters, digits or -")
    if language not in LANGUAGES:
        errors.add("language", f"one of {', '.join(LANGUAGES)}")
    _check(errors, question=question, answer=answer, intent=intent, alternates=alternates)
    errors.raise_if_any()
    taken = session.scalar(
        select(CareArticle.id).where(CareArticle.slug == slug, CareArticle.language == language)
    )
    if taken is not None:
        raise Conflict(f"article {slug!r} already exists in {language} (id {taken})")
    article = CareArticle(
        slug=slug,
        language=language,
        intent=intent,
        question=question.strip(),
        alternates=[a.strip() for a in alternates or []],
        answer=answer.strip(),
        active=active,
        updated_by=actor,
        updated_at=clock.now(),
    )
    session.add(article)
    session.flush()
    return article


def update_article(
    *,
    session: Session,
    article_id: int,
    actor: str,
    question: str | None = None,
    answer: str | None = None,
    intent: str | None = None,
    alternates: list[str] | None = None,
    active: bool | None = None,
) -> CareArticle:
    """Change an article's question, answer, intent, wordings or whether it is used.
    Raises ValidationError, NotFound."""
    errors = ErrorCollector()
    _check(errors, question=question, answer=answer, intent=intent, alternates=alternates)
    errors.raise_if_any()
    article = get_article(session=session, article_id=article_id)
    if question is not None:
        article.question = question.strip()
    if answer is not None:
        article.answer = answer.strip()
    if intent is not None:
        article.intent = intent
    if alternates is not None:
        article.alternates = [a.strip() for a in alternates]
    if active is not None:
        article.active = active
    article.updated_by = actor
    article.updated_at = clock.now()
    return article


def delete_article(*, session: Session, article_id: int) -> None:
    """Delete an article. Raises NotFound."""
    session.delete(get_article(session=session, article_id=article_id))


def faq_entries(*, session: Session) -> list[FaqEntry]:
    """Return the active articles as the assistant's entries (id ``<slug>-<language>``)."""
    return [
        FaqEntry(
            id=f"{a.slug}-{a.language}",
            question=a.question,
            answer=a.answer,
            lang=a.language,
            alternates=tuple(a.alternates or ()),
            topic=a.intent,
            intent=a.intent,
        )
        for a in list_articles(session=session, active=True)
    ]


def load_shop_policy(*, session: Session) -> ShopPolicy:
    """Return the shop policy in force (the stored one, else the default)."""
    row = session.get(ShopPolicyRow, 1)
    if row is None:
        return shop_policy.DEFAULT_SHOP_POLICY
    return shop_policy.policy_from_document(row.document)


def save_shop_policy(*, session: Session, document: Any, actor: str) -> ShopPolicy:
    """Replace the shop policy. Raises ValidationError naming every bad field."""
    policy = shop_policy.policy_from_document(document)
    row = session.get(ShopPolicyRow, 1)
    if row is None:
        row = ShopPolicyRow(id=1, document={}, updated_by=actor, updated_at=clock.now())
        session.add(row)
    row.document = policy.document()
    row.updated_by = actor
    row.updated_at = clock.now()
    return policy
