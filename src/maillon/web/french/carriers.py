"""French of the carriers' accounts page (``web/carriers.py``)."""

from __future__ import annotations

FRENCH: dict[str, str] = {
    "Carriers": "Transporteurs",
    "Carrier": "Transporteur",
    "Mode": "Mode",
    "Connector": "Connecteur",
    "Credentials set": "Identifiants enregistrés",
    "Can do": "Sait faire",
    "Missing": "Manquants",
    "No carrier yet.": "Aucun transporteur pour l'instant.",
    "account disabled": "compte désactivé",
    "Account saved": "Compte enregistré",
    "Set a carrier's account": "Régler le compte d'un transporteur",
    "Credentials are stored encrypted and never shown again; leave them empty to keep those "
    "stored.": (
        "Les identifiants sont chiffrés et ne sont plus jamais affichés ; laissez vide pour "
        "garder ceux enregistrés."
    ),
    "needs": "demande",
    "Credentials, one key=value a line": "Identifiants, un clé=valeur par ligne",
    "Address of the API (empty: the carrier's)": "Adresse de l'API (vide : celle du transporteur)",
    "Label format": "Format d'étiquette",
    "Save the account": "Enregistrer le compte",
    "write key=value, one a line": "écrivez clé=valeur, un par ligne",
    "required for this carrier's API": "demandé par l'API de ce transporteur",
    # modes
    "Sandbox": "Test (sandbox)",
    "Live": "Production",
    "Rate card only": "Grille tarifaire seule",
    # capabilities
    "Labels": "Étiquettes",
    "Cancel": "Annulation",
    "Tracking": "Suivi",
    "Relay search": "Recherche de points relais",
    "Return labels": "Étiquettes retour",
    "ZPL": "ZPL",
    "Rates": "Tarifs",
}
