"""French of the shops' pages (``web/channels.py``): the shops, the inbox of refused
webhooks with their reasons, and the stock drift report."""

from __future__ import annotations

FRENCH: dict[str, str] = {
    "Shops": "Boutiques",
    "Shop": "Boutique",
    "Connected shops": "Boutiques connectées",
    "Code": "Code",
    "Platform": "Plateforme",
    "Shop address": "Adresse de la boutique",
    "Credentials": "Identifiants",
    "Set": "Renseignés",
    "Not set: receives orders only": "Non renseignés : reçoit seulement les commandes",
    "Webhook address": "Adresse des webhooks",
    "Stock drift": "Écart de stock",
    "SKUs drift": "références en écart",
    "Check the stock": "Comparer le stock",
    "needs the shop's credentials": "il faut les identifiants de la boutique",
    "No shop registered yet (maillon channel-add, or POST /api/v1/channels).": (
        "Aucune boutique enregistrée (maillon channel-add, ou POST /api/v1/channels)."
    ),
    "Refused webhooks": "Webhooks refusés",
    "Shop order": "Commande de la boutique",
    "Why": "Pourquoi",
    "Nothing refused here.": "Rien de refusé ici.",
    "Waiting for a fix": "À corriger",
    "Processed": "Traité",
    "Discarded": "Abandonné",
    "All": "Tous",
    "Order": "Commande",
    "Cancellation": "Annulation",
    "Last change": "Dernière modification",
    "Why it was refused": "Pourquoi il a été refusé",
    "What the shop sent (JSON): fix it, then reprocess": (
        "Ce que la boutique a envoyé (JSON) : corrigez-le, puis retraitez"
    ),
    "What the shop sent (JSON)": "Ce que la boutique a envoyé (JSON)",
    "Reprocess": "Retraiter",
    "Save without reprocessing": "Enregistrer sans retraiter",
    "Discard": "Abandonner",
    "Nothing more is done with it (the shop cancelled the order, say).": (
        "Plus rien n'en sera fait (la boutique a annulé la commande, par exemple)."
    ),
    # the drift report
    "Our available units against the shop's, per SKU. The report is read from the shop by "
    "the worker when asked: this page shows the last one kept.": (
        "Nos unités disponibles face à celles de la boutique, par référence. Le rapport est lu "
        "dans la boutique par le worker à la demande : cette page montre le dernier gardé."
    ),
    "The shop could not be read:": "La boutique n'a pas pu être lue :",
    "Waiting for the worker": "En attente du worker",
    "Reading the shop": "Lecture de la boutique",
    "Done": "Terminé",
    "Failed": "En échec",
    "Reload the page in a moment.": "Rechargez la page dans un instant.",
    "No report yet.": "Pas encore de rapport.",
    "not sold by the shop": "non vendues par la boutique",
    "first rows only": "premières lignes seulement",
    "Ours": "Chez nous",
    "The shop's": "Dans la boutique",
    "Difference": "Écart",
    "not sold": "non vendu",
    # statuses and reasons (fields named in reasons stay as the shop wrote them)
    "refused": "refusé",
    "processed": "traité",
    "discarded": "abandonné",
    "shipped": "expédiée",
    "delivered": "livrée",
    "cancelled": "annulée",
    "{entity} {key} not found": "{entity} {key} introuvable",
    "inbox entry": "webhook refusé",
    "connected channel": "boutique connectée",
    "order": "commande",
    "unknown SKU {sku}": "référence inconnue {sku}",
    "SKU {sku} is not sold any more": "la référence {sku} n'est plus vendue",
    "{value} is not an amount": "{value} n'est pas un montant",
    "order {number} is {t_status}: it can no longer be cancelled": (
        "la commande {number} est {t_status} : elle ne peut plus être annulée"
    ),
    "inbox entry {id} is {t_status}: only a refused one changes": (
        "le webhook {id} est {t_status} : seul un webhook refusé peut changer"
    ),
    "order cannot go from {t_from} to {t_to}": (
        "la commande ne peut pas passer de {t_from} à {t_to}"
    ),
    "is not JSON (line {line}, column {column})": (
        "n'est pas du JSON (ligne {line}, colonne {column})"
    ),
    "{value} is not a valid phone number for {country}": (
        "{value} n'est pas un numéro de téléphone valable pour {country}"
    ),
    "use one of {allowed}": "utilisez l'une de ces valeurs : {allowed}",
    "must be at most {limit}": "doit valoir au plus {limit}",
    "at most {limit} lines": "au plus {limit} lignes",
    "is not JSON": "n'est pas du JSON",
    "must be a JSON object": "doit être un objet JSON",
    "is required": "est obligatoire",
    "is required to deliver": "est obligatoire pour livrer",
    "must be an object": "doit être un objet",
    "must be a whole number": "doit être un nombre entier",
    "must be greater than 0": "doit être supérieur à 0",
    "must be between 0 and 1000000000": "doit être compris entre 0 et 1000000000",
    "must be at most 200 characters": "doit faire au plus 200 caractères",
    "an order needs at least one line item": "une commande doit avoir au moins un article",
    "an order needs at least one line": "une commande doit avoir au moins une ligne",
    "the Shopify order id is required": "l'identifiant de commande Shopify est obligatoire",
    "the WooCommerce order id is required": (
        "l'identifiant de commande WooCommerce est obligatoire"
    ),
    "is not a valid e-mail address": "n'est pas une adresse e-mail valable",
    "1-40 lower-case letters, digits, - or _": "1 à 40 minuscules, chiffres, - ou _",
    "must be 1-100 characters when given": "doit faire 1 à 100 caractères s'il est donné",
    "must be an ISO 4217 code such as EUR": "doit être un code ISO 4217 comme EUR",
    "must be an ISO 3166 two-letter code such as FR": (
        "doit être un code ISO 3166 à deux lettres comme FR"
    ),
    "could not be recorded; retry the request": "n'a pas pu être enregistré ; réessayez",
}
