"""French of the texts of the care, fraud and acquisition pages' templates (merged into
:data:`maillon.web.i18n.FRENCH`).
"""

from __future__ import annotations

FRENCH: dict[str, str] = {
    # care inbox
    "Ticket inbox": "Boîte de réception SAV",
    "Ticket": "Ticket",
    "Subject": "Objet",
    "Priority": "Priorité",
    "Category": "Catégorie",
    "Assignee": "Assigné à",
    "Assigned to me": "Assignés à moi",
    "SLA": "SLA",
    "Breaching soon": "Bientôt en retard",
    "Breached": "En retard",
    "On time": "Dans les délais",
    "First response": "Première réponse",
    "Resolution": "Résolution",
    "No ticket matches.": "Aucun ticket ne correspond.",
    "You are not a care agent yet: assign a ticket to yourself to become one.": (
        "Vous n'êtes pas encore agent SAV : assignez-vous un ticket pour le devenir."
    ),
    "SLA clocks count business hours (Monday to Friday, 9:00 to 18:00, Paris) and stand "
    "still while waiting on the customer.": (
        "Les délais SLA comptent les heures ouvrées (du lundi au vendredi, de 9 h à 18 h, "
        "heure de Paris) et s'arrêtent pendant l'attente du client."
    ),
    # SLA clocks
    "due": "échéance",
    "left": "restant",
    "met": "tenu",
    "overdue": "en retard de",
    "paused": "en pause",
    # ticket statuses, priorities, categories
    "active": "en cours",
    "new": "nouveau",
    "open": "ouvert",
    "waiting_on_customer": "en attente du client",
    "resolved": "résolu",
    "closed": "fermé",
    "low": "basse",
    "normal": "normale",
    "high": "haute",
    "urgent": "urgente",
    "delivery": "livraison",
    "refund": "remboursement",
    "payment": "paiement",
    "order": "commande",
    "account": "compte",
    "product": "produit",
    "complaint": "réclamation",
    "other": "autre",
    # ticket page
    "About": "Concerne",
    "Order": "Commande",
    "Shipment": "Expédition",
    "Return": "Retour",
    "Conversation": "Conversation",
    "History": "Historique",
    "Change": "Changement",
    "customer": "client",
    "reply": "réponse",
    "note": "note",
    "system": "système",
    "status": "statut",
    "priority": "priorité",
    "category": "catégorie",
    "assignee": "assignation",
    "intent": "intention",
    "csat": "satisfaction",
    "Suggested reply": "Réponse suggérée",
    "Intent": "Intention",
    "confidence": "confiance",
    "set by an agent": "choisie par un agent",
    "Template": "Modèle",
    "to complete": "à compléter",
    "No reply template fits this ticket's intent: choose one below.": (
        "Aucun modèle de réponse ne correspond à l'intention de ce ticket : choisissez-en un "
        "ci-dessous."
    ),
    "Start from": "Partir de",
    "Use this text": "Utiliser ce texte",
    "Where is my order?": "Où est ma commande ?",
    "Return request": "Demande de retour",
    "Refund status": "Suivi du remboursement",
    "Damaged item": "Article endommagé",
    "Change of address": "Changement d'adresse",
    "Reply to the customer": "Répondre au client",
    "Message": "Message",
    "Send the reply": "Envoyer la réponse",
    "Internal note": "Note interne",
    "Note (never sent to the customer)": "Note (jamais envoyée au client)",
    "Add the note": "Ajouter la note",
    "Assign": "Assigner",
    "Assign to me": "M'assigner",
    "Agent": "Agent",
    "Next available (round-robin)": "Prochain disponible (à tour de rôle)",
    "Status and priority": "Statut et priorité",
    "unchanged": "inchangé",
    "Save": "Enregistrer",
    # fraud
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
    # acquisition
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
