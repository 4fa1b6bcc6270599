"""French of the returns pages (``web/returns.py``)."""

from __future__ import annotations

FRENCH: dict[str, str] = {
    "Returns by status": "Retours par statut",
    "Return": "Retour",
    "Return label": "Étiquette retour",
    "Issue the prepaid return label through the carrier, or record one bought elsewhere.": (
        "Émettre l'étiquette de retour prépayée auprès du transporteur, ou enregistrer une "
        "étiquette achetée ailleurs."
    ),
    "empty: issue it": "vide : l'émettre",
    "paid by": "payée par",
    "Received": "Reçu",
    "Disposition": "Devenir",
    "Inspected units": "Unités contrôlées",
    "Grade": "État",
    "Proposed": "Proposé",
    "Settlement": "Règlement",
    "Method": "Mode",
    "Refund": "Remboursement",
    "Store credit": "Avoir",
    "Restocking fee": "Frais de remise en stock",
    "History": "Historique",
    "Event": "Événement",
    "Details": "Détails",
    "Next steps": "Étapes suivantes",
    "Nothing for you to do on this return.": "Rien à faire pour vous sur ce retour.",
    "Approve": "Accepter",
    "Why is it refused?": "Pourquoi est-il refusé ?",
    "Reject": "Rejeter",
    "Receive the parcel": "Réceptionner le colis",
    "Arrived": "Arrivé",
    "Inspect": "Contrôler",
    "like new": "comme neuf",
    "opened": "ouvert",
    "damaged": "abîmé",
    "unusable": "inutilisable",
    "Record the grades": "Enregistrer les états",
    "restock only": "remise en stock seulement",
    "Carry out": "Exécuter",
    "Settle": "Régler",
    "Deduction (cents)": "Déduction (centimes)",
    "Return label cost (cents)": "Coût de l'étiquette retour (centimes)",
    "Close": "Clore",
    "Cancel the return": "Annuler le retour",
}
