"""French of the frame of every page: navigation, signing in, paging, errors."""

from __future__ import annotations

FRENCH: dict[str, str] = {
    # navigation and frame
    "Dashboard": "Tableau de bord",
    "Orders": "Commandes",
    "Stock": "Stock",
    "Warehouse": "Entrepôt",
    "Picking": "Préparation",
    "Packing": "Emballage",
    "Shipping": "Expédition",
    "Delivery": "Livraison",
    "Returns": "Retours",
    "Care": "SAV",
    "Planning": "Planification",
    "Fraud": "Fraude",
    "Acquisition": "Acquisition",
    "KPIs": "Indicateurs",
    "API": "API",
    "Sign out": "Se déconnecter",
    "Sign in": "Se connecter",
    "Language": "Langue",
    "Username": "Identifiant",
    "Password": "Mot de passe",
    "API key": "Clé d'API",
    "or sign in with an API key": "ou connectez-vous avec une clé d'API",
    "Skip to content": "Aller au contenu",
    "Previous": "Précédent",
    "Next": "Suivant",
    "Page": "Page",
    "of": "sur",
    "Filter": "Filtrer",
    "Search": "Rechercher",
    "All": "Tous",
    "none": "aucun",
    "Not allowed": "Accès refusé",
    "Your role may not open this page.": "Votre rôle ne permet pas d'ouvrir cette page.",
    "The form expired: reload the page and try again.": (
        "Le formulaire a expiré : rechargez la page et recommencez."
    ),
    "wrong username or password": "identifiant ou mot de passe incorrect",
    "unknown or revoked API key": "clé d'API inconnue ou révoquée",
}
