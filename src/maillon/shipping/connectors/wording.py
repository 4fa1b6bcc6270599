"""A carrier's event wording to our tracking status, for codes a connector's table lacks (pure).

Carriers add event codes faster than their documentation; their description (French or
English) still says what happened. :func:`status_from_text` reads it, the most specific
outcome first (returned before delivered: "retourné à l'expéditeur" is no delivery).
"""

from __future__ import annotations

import unicodedata

from maillon.shipping.model import TrackingStatus

__all__ = ["WORDS", "status_from_text"]

WORDS: tuple[tuple[tuple[str, ...], TrackingStatus], ...] = (
    (("retour expediteur", "retourne", "return to sender", "returned"), TrackingStatus.RETURNED),
    (
        ("absent", "avise", "refus", "incident", "anomalie", "not delivered", "failed", "damaged"),
        TrackingStatus.EXCEPTION,
    ),
    (("livre", "delivered", "remis au destinataire"), TrackingStatus.DELIVERED),
    (
        (
            "en cours de livraison",
            "out for delivery",
            "disponible en relais",
            "mis a disposition",
            "ready for pickup",
            "in delivery",
        ),
        TrackingStatus.OUT_FOR_DELIVERY,
    ),
    (("pris en charge", "picked up", "collecte", "ramasse"), TrackingStatus.PICKED_UP),
    (
        ("acheminement", "transit", "hub", "plate-forme", "depot", "agence", "parcel center"),
        TrackingStatus.IN_TRANSIT,
    ),
    (
        ("donnees recues", "data received", "pre-advice", "prealerte", "etiquette"),
        TrackingStatus.LABEL_CREATED,
    ),
)
"""Words (lower case, without accents) and the status they mean, checked in order."""


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def status_from_text(text: str) -> TrackingStatus | None:
    """Return the status a carrier's event description means, or None when no word matches."""
    plain = _plain(text)
    for words, status in WORDS:
        if any(word in plain for word in words):
            return status
    return None
