"""Build the ILLUSTRATIVE relay points file ``relay_points.csv`` (run once, output committed).

The points are made up: around big French cities, every commune (or Paris/Lyon/Marseille
arrondissement) of the La Poste file within a radius gets a few pick-up points of the relay
networks the example rate cards know, placed near the commune's centroid with a seeded jitter.
Names, street addresses and opening hours are invented: they are NOT real shops, and no relay
network publishes or endorses them. Replace the file with your networks' real point lists.

    python src/maillon/delivery/data/build_relay_points.py
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

from maillon.core.geo import french_communes, haversine_km

HERE = Path(__file__).resolve().parent
SEED = 20261123

# city, lat, lon, radius km, points per commune, max communes
CITIES = [
    ("Paris", 48.8566, 2.3522, 9.0, 2, 60),
    ("Lyon", 45.7640, 4.8357, 7.0, 2, 22),
    ("Marseille", 43.2965, 5.3698, 8.0, 2, 20),
    ("Toulouse", 43.6047, 1.4442, 7.0, 2, 14),
    ("Nice", 43.7102, 7.2620, 6.0, 2, 10),
    ("Nantes", 47.2184, -1.5536, 7.0, 2, 12),
    ("Strasbourg", 48.5734, 7.7521, 6.0, 2, 12),
    ("Montpellier", 43.6108, 3.8767, 6.0, 2, 10),
    ("Bordeaux", 44.8378, -0.5792, 7.0, 2, 14),
    ("Lille", 50.6292, 3.0573, 6.0, 2, 16),
    ("Rennes", 48.1173, -1.6778, 6.0, 2, 10),
    ("Grenoble", 45.1885, 5.7245, 6.0, 2, 12),
]
NETWORKS = ["mondial_relay", "relais_colis", "chronopost", "colissimo", "dpd"]
SHOPS = [
    "Tabac Presse",
    "Librairie",
    "Pressing",
    "Epicerie",
    "Fleuriste",
    "Cordonnerie",
    "Supérette",
    "Quincaillerie",
    "Station service",
    "Consigne automatique",
]
STREETS = [
    "rue de la République",
    "avenue Jean Jaurès",
    "rue Victor Hugo",
    "place du Marché",
    "boulevard Gambetta",
    "rue Pasteur",
    "rue de la Gare",
    "avenue de la Liberté",
]
HOURS = [
    "Mo-Fr 09:00-19:00; Sa 09:00-12:30",
    "Mo-Sa 08:30-20:00",
    "Tu-Sa 10:00-19:00",
    "Mo-Su 00:00-24:00",
]


def main() -> None:
    rng = random.Random(SEED)
    rows = []
    seen: set[tuple[str, str]] = set()
    communes = [c for group in french_communes().values() for c in group if c.lat is not None]
    for _city, lat, lon, radius, per_commune, max_communes in CITIES:
        near = sorted(
            (
                (haversine_km(lat, lon, c.lat, c.lon), c)  # type: ignore[arg-type]
                for c in communes
                if (c.insee, c.postcode) not in seen
            ),
            key=lambda pair: (pair[0], pair[1].postcode, pair[1].insee),
        )
        chosen = [(d, c) for d, c in near if d <= radius][:max_communes]
        for _d, commune in chosen:
            seen.add((commune.insee, commune.postcode))
            for _ in range(per_commune):
                network = rng.choice(NETWORKS)
                jitter_m = rng.uniform(0, 900)
                angle = rng.uniform(0, 2 * math.pi)
                plat = commune.lat + jitter_m * math.cos(angle) / 111_320  # type: ignore[operator]
                plon = commune.lon + jitter_m * math.sin(angle) / (  # type: ignore[operator]
                    111_320 * math.cos(math.radians(commune.lat))  # type: ignore[arg-type]
                )
                shop = (
                    "Consigne automatique"
                    if network == "mondial_relay" and rng.random() < 0.2
                    else rng.choice(SHOPS)
                )
                name = f"{shop} {commune.name.title()}"
                rows.append(
                    {
                        "network": network,
                        "name": name,
                        "address": f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
                        "postcode": commune.postcode,
                        "city": commune.name.title(),
                        "lat": f"{plat:.6f}",
                        "lon": f"{plon:.6f}",
                        "opening_hours": "Mo-Su 00:00-24:00"
                        if shop.startswith("Consigne")
                        else rng.choice(HOURS),
                    }
                )
    with (HERE / "relay_points.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(
            out,
            fieldnames=[
                "id",
                "network",
                "name",
                "address",
                "postcode",
                "city",
                "lat",
                "lon",
                "opening_hours",
            ],
            lineterminator="\n",
        )
        writer.writeheader()
        for i, row in enumerate(rows, start=1):
            writer.writerow({"id": f"RP{i:04d}", **row})
    print(f"{len(rows)} illustrative relay points written to {HERE / 'relay_points.csv'}")


if __name__ == "__main__":
    main()
