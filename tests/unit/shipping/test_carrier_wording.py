"""A carrier's event wording, when its code is not in a connector's table, still says what
happened: the most specific outcome wins."""

from __future__ import annotations

import pytest

from maillon.shipping.connectors.wording import status_from_text
from maillon.shipping.model import TrackingStatus


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Livré", TrackingStatus.DELIVERED),
        ("Delivered to the ParcelShop", TrackingStatus.DELIVERED),
        ("Retourné à l'expéditeur", TrackingStatus.RETURNED),
        ("Destinataire absent, avisé", TrackingStatus.EXCEPTION),
        ("En cours de livraison", TrackingStatus.OUT_FOR_DELIVERY),
        ("Disponible en relais Pickup", TrackingStatus.OUT_FOR_DELIVERY),
        ("Pris en charge par DPD", TrackingStatus.PICKED_UP),
        ("En cours d'acheminement vers l'agence", TrackingStatus.IN_TRANSIT),
        ("Données reçues", TrackingStatus.LABEL_CREATED),
    ],
)
def test_wording_gives_the_status(text: str, status: TrackingStatus) -> None:
    assert status_from_text(text) is status


def test_unknown_wording_gives_none() -> None:
    assert status_from_text("Zustellung geplant") is None
