"""French and English for the console.

Templates write their text in English inside ``t("...")``; :data:`FRENCH` gives the French.
The language is the user's choice when made, else the browser's first preference among French
and English (French first for French browsers), else English. A test checks that every text
the templates translate has its French.
"""

from __future__ import annotations

from collections.abc import Callable

from maillon.web import french_floor, french_planning, french_service, french_transport

LANGUAGES = ("fr", "en")

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
    # orders
    "Number": "Numéro",
    "Created": "Créée",
    "Status": "Statut",
    "Channel": "Canal",
    "Customer": "Client",
    "City": "Ville",
    "Total": "Total",
    "Timeline": "Historique",
    "Lines": "Lignes",
    "Quantity": "Quantité",
    "Unit price": "Prix unitaire",
    "Parcels": "Colis",
    "Tracking": "Suivi",
    "Cancel the order": "Annuler la commande",
    "Reason": "Motif",
    "No order": "Aucune commande",
    "orders": "commandes",
    # stock
    "Location": "Emplacement",
    "Lot": "Lot",
    "Best before": "À consommer avant",
    "On hand": "En stock",
    "Reserved": "Réservé",
    "Available": "Disponible",
    "Units": "Unités",
    "Sensor alerts": "Alertes des capteurs",
    "Cycle count differences": "Écarts d'inventaire tournant",
    "When": "Quand",
    "Kind": "Type",
    "Expected": "Attendu",
    "Observed": "Observé",
    "Counted": "Compté",
    "Difference": "Écart",
    "Note": "Note",
    "Ledger": "Journal des mouvements",
    "Reference": "Référence",
    "Who": "Qui",
    # KPIs and dashboard
    "Orders per day": "Commandes par jour",
    "Revenue": "Chiffre d'affaires",
    "Shipped": "Expédiées",
    "Delivered": "Livrées",
    "Cancelled": "Annulées",
    "Open backorders": "Reliquats en attente",
    "First-time allocation": "Allocation du premier coup",
    "On-time delivery": "Livraison à l'heure",
    "Order cycle time (mean)": "Délai de traitement (moyenne)",
    "Return rate": "Taux de retour",
    "Last 30 days": "30 derniers jours",
    "Previous 30 days": "30 jours précédents",
    "Alerts": "Alertes",
    "No alert": "Aucune alerte",
    "Better": "Mieux",
    "Worse": "Moins bien",
    "Days": "Jours",
    "Split by": "Ventiler par",
    "warehouse": "entrepôt",
    "carrier": "transporteur",
    "channel": "canal",
    "day": "jour",
    "week": "semaine",
    "month": "mois",
    "fulfilment": "exécution",
    "shipping": "expédition",
    "inventory": "stock",
    "returns": "retours",
    "care": "SAV",
    # warehouse
    "Layout": "Plan",
    "No layout yet": "Pas encore de plan",
    "Pick route": "Tournée de préparation",
    "metres": "mètres",
    "Slotting proposal": "Proposition d'adressage",
    "Move": "Déplacer",
    "From": "De",
    "To": "Vers",
    "Metres saved": "Mètres économisés",
    # planning
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
    # tracking page
    "Track a parcel": "Suivre un colis",
    "Tracking number": "Numéro de suivi",
    "Postal code": "Code postal",
    "Follow": "Suivre",
    "Wave tour": "Tournée de vague",
    "Wave": "Vague",
    "tour": "tournée",
    "Orders in the wave": "Commandes dans la vague",
    "Units per cart": "Unités par chariot",
    "Batching": "Regroupement",
    "Release a wave": "Lancer une vague",
    "Orders chosen by": "Commandes choisies par",
    "promise": "promesse",
    "density": "densité (unités par allée)",
}

# Each group of pages keeps the French of its own templates in a module of its own.
for _pages in (french_floor, french_planning, french_service, french_transport):
    FRENCH.update(_pages.FRENCH)


def choose_language(preferred: str | None, accept_language: str | None) -> str:
    """Return ``preferred`` when it is a console language, else the first of French or English
    in the browser's ``Accept-Language`` (by its q-values), else English."""
    if preferred in LANGUAGES:
        return str(preferred)
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower()[:2]
        if lang not in LANGUAGES:
            continue
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        if best is None or (q, -position) > (best[0], -best[1]):
            best = (q, position, lang)
    return best[2] if best else "en"


def translator(language: str) -> Callable[[str], str]:
    """Return ``t(text)``: the French of ``text`` in French, ``text`` itself otherwise."""
    if language == "fr":
        return lambda text: FRENCH.get(text, text)
    return lambda text: text
