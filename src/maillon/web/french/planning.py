"""French of the planning pages (``web/planning.py``)."""

from __future__ import annotations

FRENCH: dict[str, str] = {
    "Fill-rate target": "Taux de service visé",
    "Reorder proposals": "Propositions de réapprovisionnement",
    "Supplier": "Fournisseur",
    "Arrives": "Arrivée",
    "Policy": "Politique",
    "Reorder point": "Point de commande",
    "Safety stock": "Stock de sécurité",
    "Position": "Position",
    "Nothing to reorder": "Rien à commander",
    "Create the purchase orders": "Créer les commandes fournisseur",
    "Purchase orders": "Commandes fournisseur",
    "Send": "Envoyer",
    "Receive": "Réceptionner",
    "Demand": "Demande",
    "Targets per ABC/XYZ class": "Cibles par classe ABC/XYZ",
    "Demand and forecast with its intervals": "Demande et prévision avec ses intervalles",
    "Policy comparison on the demand history": (
        "Comparaison des politiques sur l'historique de demande"
    ),
    "Replaying the demand history…": "Rejeu de l'historique de demande…",
    "Replay": "Rejouer",
    "the A items": "les articles A",
    "fill-rate target": "taux de service visé",
    "Inventory over time per policy, stock-outs marked": (
        "Stock dans le temps par politique, ruptures marquées"
    ),
    "Fill rate": "Taux de service",
    "Stock-out days": "Jours de rupture",
    "Average inventory (units)": "Stock moyen (unités)",
    "Average inventory (value)": "Stock moyen (valeur)",
    "Total cost": "Coût total",
    "No demand to replay": "Aucune demande à rejouer",
    "ABC/XYZ classes": "Classes ABC/XYZ",
    "Classifying…": "Classement…",
    "A up to (share of value)": "A jusqu'à (part de la valeur)",
    "B up to": "B jusqu'à",
    "X up to (weekly CV)": "X jusqu'à (CV hebdomadaire)",
    "Y up to": "Y jusqu'à",
    "of value": "de la valeur",
    "No demand in the period": "Aucune demande sur la période",
    "Open orders first, the soonest expected at the top; then the last closed.": (
        "Commandes ouvertes d'abord, la plus proche en haut ; puis les dernières closes."
    ),
    "late": "en retard",
    "Newest forecast": "Dernière prévision",
    "series": "séries",
    "No forecast yet: proposals use the order history.": (
        "Pas encore de prévision : les propositions partent de l'historique des commandes."
    ),
    "Forecast now": "Prévoir maintenant",
}
