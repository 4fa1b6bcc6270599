"""French of the dashboard and KPI pages (``web/analytics.py``)."""

from __future__ import annotations

FRENCH: dict[str, str] = {
    "Orders per day": "Commandes par jour",
    "Revenue": "Chiffre d'affaires",
    "Shipped": "Expédiées",
    "Delivered": "Livrées",
    "Cancelled": "Annulées",
    "Open backorders": "Reliquats en attente",
    "First-time allocation": "Allocation du premier coup",
    "On-time delivery": "Livraison à l'heure",
    "Order cycle time (mean)": "Délai de traitement (moyenne)",
    "Return rate": "Taux de retour",
    "Last 30 days": "30 derniers jours",
    "Previous 30 days": "30 jours précédents",
    "Alerts": "Alertes",
    "No alert": "Aucune alerte",
    "Better": "Mieux",
    "Worse": "Moins bien",
    "Days": "Jours",
    "Split by": "Ventiler par",
    "warehouse": "entrepôt",
    "carrier": "transporteur",
    "channel": "canal",
    "day": "jour",
    "week": "semaine",
    "month": "mois",
    "fulfilment": "exécution",
    "shipping": "expédition",
    "inventory": "stock",
    "returns": "retours",
    "care": "SAV",
    "Figures as of": "Chiffres à",
    "The figures have not been computed yet: refresh them to see them.": (
        "Les chiffres n'ont pas encore été calculés : actualisez-les pour les voir."
    ),
    "Refresh now": "Actualiser",
    "Refresh requested: reload the page in a moment.": (
        "Actualisation demandée : rechargez la page dans un instant."
    ),
}
