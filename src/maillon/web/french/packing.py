"""French of the packing station (``web/packing.py``)."""

from __future__ import annotations

FRENCH: dict[str, str] = {
    "Picked, waiting to be packed": "Préparées, en attente d'emballage",
    "Carton": "Carton",
    "step": "étape",
    "earlier steps of this carton still open": "étapes précédentes de ce carton encore ouvertes",
    "left to pack": "restant à emballer",
    "Order fully packed": "Commande entièrement emballée",
    "Order packed": "Commande emballée",
    "parcel(s) ready to ship": "colis prêt(s) à expédier",
    "Ship it": "L'expédier",
    "Pack here": "Emballer ici",
    "Scan an item": "Scannez un article",
    "Pack": "Emballer",
    "No carton takes": "Aucun carton ne prend",
    "Carton cost": "Coût du carton",
    "Shipping cost": "Coût d'expédition",
    "Layer": "Couche",
    "back wall at the top, left wall on the left": "paroi du fond en haut, paroi gauche à gauche",
    "Nothing to pack for this order.": "Rien à emballer pour cette commande.",
}
