"""French of the stock page (``web/inventory.py``)."""

from __future__ import annotations

FRENCH: dict[str, str] = {
    "Location": "Emplacement",
    "Lot": "Lot",
    "Best before": "À consommer avant",
    "On hand": "En stock",
    "Reserved": "Réservé",
    "Available": "Disponible",
    "Units": "Unités",
    "Sensor alerts": "Alertes des capteurs",
    "Cycle count differences": "Écarts d'inventaire tournant",
    "When": "Quand",
    "Kind": "Type",
    "Expected": "Attendu",
    "Observed": "Observé",
    "Counted": "Compté",
    "Difference": "Écart",
    "Note": "Note",
    "Ledger": "Journal des mouvements",
    "Reference": "Référence",
    "Who": "Qui",
}
