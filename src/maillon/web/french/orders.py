"""French of the order pages (``web/orders.py``)."""

from __future__ import annotations

FRENCH: dict[str, str] = {
    "Number": "Numéro",
    "Created": "Créée",
    "Status": "Statut",
    "Channel": "Canal",
    "Customer": "Client",
    "City": "Ville",
    "Total": "Total",
    "Timeline": "Historique",
    "Lines": "Lignes",
    "Quantity": "Quantité",
    "Unit price": "Prix unitaire",
    "Parcels": "Colis",
    "Tracking": "Suivi",
    "Cancel the order": "Annuler la commande",
    "Reason": "Motif",
    "No order": "Aucune commande",
    "orders": "commandes",
}
