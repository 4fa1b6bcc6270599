"""French of the fraud review page (``web/fraud.py``)."""

from __future__ import annotations

FRENCH: dict[str, str] = {
    "Fraud review": "Revue de fraude",
    "Review": "Revue",
    "all": "toutes",
    "approved": "acceptée",
    "rejected": "rejetée",
    "Score": "Score",
    "accept": "accepter",
    "review": "à revoir",
    "reject": "rejeter",
    "approve": "acceptée",
    "device": "appareil",
    "Why": "Pourquoi",
    "no reason recorded": "aucun motif enregistré",
    "Accept": "Accepter",
    "Reject": "Rejeter",
    "Nothing waiting for review.": "Rien à revoir.",
    "Recent decisions": "Décisions récentes",
    "Decision": "Décision",
    "Analyst": "Analyste",
    "Scores of the last 30 days": "Scores des 30 derniers jours",
    "Decision costs": "Coûts des décisions",
    "The model reviews and rejects where these costs are lowest on its validation orders; "
    "a review band always stays.": (
        "Le modèle envoie en revue et rejette là où ces coûts sont les plus bas sur ses "
        "commandes de validation ; une zone de revue reste toujours."
    ),
    "Missed fraud": "Fraude manquée",
    "Manual review": "Revue manuelle",
    "Refused good order": "Bonne commande refusée",
    "card used for 3 or more orders in the last hour": (
        "carte utilisée pour 3 commandes ou plus dans la dernière heure"
    ),
    "card used by 2 or more other accounts": "carte utilisée par 2 autres comptes ou plus",
    "device used by 3 or more other accounts": "appareil utilisé par 3 autres comptes ou plus",
    "shipping address used by 3 or more other accounts": (
        "adresse de livraison utilisée par 3 autres comptes ou plus"
    ),
    "5 or more orders from this IP in the last hour": (
        "5 commandes ou plus depuis cette IP dans la dernière heure"
    ),
    "5 or more orders with this e-mail in the last 24 hours": (
        "5 commandes ou plus avec cet e-mail dans les dernières 24 heures"
    ),
    "disposable e-mail domain": "domaine d'e-mail jetable",
    "amount far above the customer's usual orders": (
        "montant très supérieur aux commandes habituelles du client"
    ),
    "shipping address over 1,000 km from billing address": (
        "adresse de livraison à plus de 1 000 km de l'adresse de facturation"
    ),
    "account opened less than a day ago": "compte ouvert il y a moins d'un jour",
    "customer has had a chargeback before": "le client a déjà eu un impayé",
    "placed between midnight and 6 a.m. local time": "passée entre minuit et 6 h, heure locale",
}
