"""French of the jobs page (``web/jobs.py``)."""

from __future__ import annotations

FRENCH: dict[str, str] = {
    "Jobs": "Tâches",
    "Background jobs": "Tâches de fond",
    "Job": "Tâche",
    "queued": "en attente",
    "running": "en cours",
    "succeeded": "terminée",
    "failed": "en échec",
    "Attempts": "Essais",
    "Asked by": "Demandée par",
    "Queued": "Mise en file",
    "Finished": "Terminée",
    "Details": "Détails",
    "next try": "prochain essai",
    "Retry": "Relancer",
    "No job here.": "Aucune tâche ici.",
    "Send e-mails and text messages": "Envoyer les e-mails et SMS",
    "Release expired checkout holds": "Libérer les réservations de panier expirées",
    "Release uncollected click & collect reservations": (
        "Libérer les retraits en magasin non venus"
    ),
    "Detect late shipments": "Détecter les colis en retard",
    "Pull tracking events from the carriers": "Récupérer le suivi des colis chez les transporteurs",
    "Refresh the KPI figures": "Actualiser les indicateurs",
    "Tell the shop an order shipped": "Signaler l'expédition à la boutique",
    "Send stock levels to the shops": "Envoyer les niveaux de stock aux boutiques",
    "Compare a shop's stock with ours": "Comparer le stock d'une boutique avec le nôtre",
    "Send a webhook": "Envoyer un webhook",
    "Check ticket SLAs and escalate breaches": (
        "Surveiller les délais SLA des tickets et escalader les dépassements"
    ),
    "Alert on silent shelf sensors": "Signaler les capteurs d'étagère muets",
    "Close returns whose parcel never arrived": "Clore les retours dont le colis n'est pas arrivé",
    "Issue a prepaid return label the carrier could not issue earlier": (
        "Émettre une étiquette de retour prépayée que le transporteur n'a pas pu émettre plus tôt"
    ),
    "Forecast the demand": "Prévoir la demande",
    "Plan the delivery routes": "Planifier les tournées de livraison",
    "Re-plan the delivery routes": "Replanifier les tournées de livraison",
    "Forecast queued": "Prévision mise en file",
    "Route planning queued": "Planification des tournées mise en file",
    "follow it on the Jobs page": "suivez-la sur la page Tâches",
    "A forecast is being computed": "Une prévision est en cours de calcul",
    "Routes are being planned": "Des tournées sont en cours de planification",
    "waiting for a worker": "en attente d'un exécutant",
    "Release a large wave": "Lancer une grande vague",
    "Solve a micro-warehouse what-if": "Résoudre une simulation de micro-entrepôts",
    "Wave release queued": "Lancement de la vague mis en file",
    "A wave is being released": "Une vague est en cours de lancement",
}
