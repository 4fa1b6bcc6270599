"""French of the acquisition funnel page (``web/acquisition.py``)."""

from __future__ import annotations

FRENCH: dict[str, str] = {
    "Acquisition funnel": "Entonnoir d'acquisition",
    "Computing the funnel…": "Calcul de l'entonnoir…",
    "Show the funnel": "Afficher l'entonnoir",
    "nothing": "rien",
    "landing_page": "page d'arrivée",
    "Checkout steps": "Étapes de paiement",
    "Show": "Afficher",
    "Sessions": "Sessions",
    "Purchases": "Achats",
    "Conversion rate": "Taux de conversion",
    "Cart abandonment": "Abandon de panier",
    "Value of abandoned carts": "Valeur des paniers abandonnés",
    "All sessions": "Toutes les sessions",
    "Steps": "Étapes",
    "Step": "Étape",
    "Conversion from the previous step": "Conversion depuis l'étape précédente",
    "Abandonment": "Abandon",
    "From the start": "Depuis le début",
    "By": "Par",
    "Visit": "Visite",
    "Product view": "Vue produit",
    "Add to cart": "Ajout au panier",
    "Purchase": "Achat",
    "Checkout step": "Étape de paiement",
}
