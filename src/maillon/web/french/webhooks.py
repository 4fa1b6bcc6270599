"""French of the outgoing webhooks' pages (``web/webhooks.py``): endpoints, their secret,
the topics of the catalogue, the delivery log and the reasons an endpoint was disabled."""

from __future__ import annotations

FRENCH: dict[str, str] = {
    "Webhooks": "Webhooks",
    "Address": "Adresse",
    "Topics": "Événements",
    "State": "État",
    "Enabled": "Actif",
    "Disabled": "Désactivé",
    "Failures in a row": "Échecs d'affilée",
    "Last success": "Dernier succès",
    "No endpoint yet.": "Aucun point de réception pour l'instant.",
    "Add an endpoint": "Ajouter un point de réception",
    "Address (https://, or http:// to this machine)": (
        "Adresse (https://, ou http:// vers cette machine)"
    ),
    "Description": "Description",
    "Add the endpoint": "Ajouter le point de réception",
    "Endpoint added": "Point de réception ajouté",
    "Its signing secret, shown this once: copy it into the receiver now.": (
        "Son secret de signature, affiché cette seule fois : copiez-le dès maintenant "
        "dans le récepteur."
    ),
    "New signing secret": "Nouveau secret de signature",
    "Shown this once: copy it into the receiver now. The old secret no longer signs anything.": (
        "Affiché cette seule fois : copiez-le dès maintenant dans le récepteur. L'ancien "
        "secret ne signe plus rien."
    ),
    "Added": "Ajouté",
    "Disable": "Désactiver",
    "Enable": "Activer",
    "Send a test ping": "Envoyer un ping de test",
    "Rotate the secret": "Changer le secret",
    "Delete it with its delivery log": "Le supprimer avec son journal d'envois",
    "Delete": "Supprimer",
    "Delivery log": "Journal d'envois",
    "All deliveries": "Tous les envois",
    "Event": "Événement",
    "Time taken": "Durée",
    "Error": "Erreur",
    "Nothing sent yet.": "Rien d'envoyé pour l'instant.",
    # a delivery's status
    "pending": "en attente",
    "delivered": "livrée",
    "failed": "en échec",
    "cancelled": "annulée",
    # the catalogue
    "Test ping": "Ping de test",
    "Every event": "Tous les événements",
    "Every order event": "Tous les événements des commandes",
    "Every shipment event": "Tous les événements des colis",
    "Every tracking event": "Tous les événements du suivi",
    "Every return event": "Tous les événements des retours",
    "Every care ticket event": "Tous les événements des tickets SAV",
    "An order was placed": "Une commande a été passée",
    "An order was cancelled": "Une commande a été annulée",
    "An order was packed": "Une commande a été emballée",
    "An order was shipped": "Une commande a été expédiée",
    "An order was delivered": "Une commande a été livrée",
    "A parcel was delivered": "Un colis a été livré",
    "A parcel is late": "Un colis est en retard",
    "A parcel's tracking moved": "Le suivi d'un colis a avancé",
    "A return was requested": "Un retour a été demandé",
    "A return was approved": "Un retour a été accepté",
    "A return was rejected": "Un retour a été refusé",
    "A return label was issued": "Une étiquette de retour a été émise",
    "A return was received": "Un retour a été reçu",
    "A return was inspected": "Un retour a été contrôlé",
    "A return was settled": "Un retour a été réglé",
    "A return was closed": "Un retour a été clos",
    "A return was cancelled": "Un retour a été annulé",
    "A care ticket was opened": "Un ticket SAV a été ouvert",
    "A care ticket changed status": "Un ticket SAV a changé de statut",
    "A care ticket missed its SLA": "Un ticket a dépassé son délai SLA",
    # reasons and refusals
    "disabled by an admin": "désactivé par un admin",
    "disabled after {failures} failed attempts in a row since {since} UTC; last: {last}": (
        "désactivé après {failures} essais échoués d'affilée depuis le {since} UTC ; "
        "dernier : {last}"
    ),
    "timed out after {seconds} s": "pas de réponse après {seconds} s",
    "endpoint disabled: {t_reason}": "point de réception désactivé : {t_reason}",
    "the event is no longer in the outbox": "l'événement n'est plus dans la file d'envoi",
    "unknown topic(s) {topics}; use * or one of {allowed}": (
        "événement(s) inconnu(s) {topics} ; utilisez * ou l'un de {allowed}"
    ),
    "use one of {allowed}": "utilisez l'une de ces valeurs : {allowed}",
    "subscribe to at least one topic": "choisissez au moins un événement",
    "is longer than 2000 characters": "dépasse 2000 caractères",
    "is longer than 200 characters": "dépasse 200 caractères",
    "is not a valid URL": "n'est pas une adresse valable",
    "must be an absolute https:// URL": "doit être une adresse https:// complète",
    "must not carry a user name or password": (
        "ne doit contenir ni nom d'utilisateur ni mot de passe"
    ),
    "has an invalid port": "a un port invalide",
    "must use https (http only to localhost or 127.0.0.1)": (
        "doit utiliser https (http seulement vers localhost ou 127.0.0.1)"
    ),
    "tick the box to confirm the deletion": "cochez la case pour confirmer la suppression",
    "{entity} {key} not found": "{entity} {key} introuvable",
    "webhook endpoint": "point de réception",
    "webhook delivery": "envoi de webhook",
}
