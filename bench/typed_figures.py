"""How many of the figures and dates the content states are typed, queryable values.

    .venv/bin/python bench/typed_figures.py [--data DIR] [--list untyped|typed|all] [--json]

The content is what the graph says in words: every `dcterms:description` of an individual in the
aihkg data namespace (kg:). In it, a *figure* is a number written in digits that measures
something (money, a percentage, a count, a duration, a rate); a *date* is a day, a month or a year
(19xx or 20xx). Numbers that are part of a name or an identifier are not figures: legislation
citations (SI 2002/618, 2018 c. 12, Regulation (EU) 2017/745, Directive 93/42/EEC), sections,
articles, schedules, annexes, parts and chapters, phases and rounds, device classes, standard
numbers (DCB0129), "COVID-19", paper and circular numbers, ordinals (75th) and the like; a day of a
month with no year ("2 August") is not a figure either. A year after "mid-", "early-" or "late-" is a year.

A mention is *typed* when the graph states the same value as a typed literal (xsd:decimal or an
integer type for a figure; xsd:date, xsd:gYearMonth or xsd:gYear for a date) on the individual
itself or on an individual one link away in either direction (its statistics, its funding, the
programme it belongs to, its memberships, its provisions, its events ...), so that a SPARQL query
reaches it from the individual in one step. Money matches an amount in whole units (GBP 250m is
250000000); a percentage or a count matches the number; a rate such as "8.4 per 1,000" matches
8.4; a day matches that xsd:date; a month matches that month or any day in it; a year matches
any date in that year. A range (2020-2023, GBP 2-3) is two mentions; a financial or academic
year written with two digits after the first year (2024/25, 2021-22) is one period, matched by
any date in either year. A value that sources dispute
counts as typed when a claim of a contested fact about the individual holds it (each claim is a
typed value with its own source, listed by `aihkg query contested_figures`).

The share printed is typed mentions / all mentions. Run it on a checkout before and after a
change (`--data /tmp/before/graph/data`) to compare; `--list untyped` prints what is left in
prose, one mention a line.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import rdflib
from rdflib import RDF, Literal, URIRef
from rdflib.namespace import DCTERMS, XSD

ROOT = Path(__file__).resolve().parent.parent
KG = "https://w3id.org/aihkg/id/"
AIHKG = rdflib.Namespace("https://w3id.org/aihkg/ontology#")

MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], 1)}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
_MONTH = ("(January|February|March|April|May|June|July|August|September|October|November|December"
          "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)")
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = {"k": Decimal(1_000), "thousand": Decimal(1_000), "m": Decimal(1_000_000), "million": Decimal(1_000_000),
          "bn": Decimal(1_000_000_000), "billion": Decimal(1_000_000_000)}

# Numbers that name or identify something rather than measure it. Each is removed from the text
# (replaced by spaces of the same length, so positions stay) before figures and dates are found.
IDENTIFIERS = [
    r"\b(?:SI|S\.I\.|SSI|WSI)\s*\d{4}/\d+",
    r"\b\d{4}\s*c\.\s*\d+",
    r"\b(?:Regulation|Directive|Decision)\s*\((?:EU|EC|EEC)\)\s*(?:No\s*)?\d{2,4}/\d+(?:/\w+)?",
    r"\bDirective\s*\d{2,4}/\d+/\w+",
    r"\b\d{2,4}/\d+/(?:EEC|EC|EU)\b",
    r"\b(?:section|sections|s\.|ss\.|article|articles|art\.|schedule|sch\.|annex|annexes|part|parts|chapter"
    r"|chapters|regulation|reg|clause|paragraph|recital|principle|principles|mission|tier|tiers|pillar|stage"
    r"|work package|question)\s*\(?\d+[A-Za-z]*(?:\(\d+\)(?:\([a-z]+\))?)?(?:\s*(?:-|–|to|and)\s*\d+[A-Za-z]*)?",
    r"\b(?:phase|phases|round|rounds|wave|cohort)\s*\d+(?:\s*(?:-|–|and|to)\s*\d+)?",
    r"\bClass\s*(?:I{1,3}|IV|II[ab]|I)\b",
    r"\bDCB\s*\d+",
    r"\bDCB\d+",
    r"\bCOVID-19\b",
    r"\b5-HT1A\b",
    r"\bDSP-\d+",
    r"\bECD\d+",
    r"\bHL\s*Paper\s*\d+",
    r"\bHC\s*\d+",
    r"\bWHC/\d{4}/\d+",
    r"\bISO\s*/?\s*(?:IEC\s*)?\d+(?::\d{4})?",
    r"\bIEC\s*\d+",
    r"\b[A-Z]{2,}\d+[A-Za-z]*\b",              # codes such as NS4 or G01
    r"\b\d+(?:st|nd|rd|th)\b",                 # ordinals
    r"\bSession\s*\d{4}[-–]\d{2,4}",
    r"\b(?:Fitzpatrick|skin types?)\s*(?:I{1,3}|IV|V|VI)(?:\s*[-–]\s*(?:I{1,3}|IV|V|VI))?",
    r"\b(?:top|Top)\s*\d+\b",
    r"\bPOSTnote\s*\d+",
    r"\bNHS\s*111\b",
    r"\b(?:Act|Regulations|Order|Rules|Bill)\s+(?:19|20)\d{2}\b",
    r"\bSector\s*Deal\s*\d\b",
    r"\b10\s*Year\s*Health\s*Plan\b",
    r"\bNo\.\s*\d+",
    r"\b\d+(?:\s*|-)(?:year|month|week|day|hour)-old\b",
    r"\bWeb\s*\d\.\d",
    r"\b24/7\b",
    r"\b\d{4}/\d{2}\b(?=\s*programme)",
    # A day of a month with no year ("one source says 2 August", "Thursday 24 September") is part of a
    # date the script cannot complete, not a count.
    rf"\b\d{{1,2}}\s+(?-i:{_MONTH})\b(?!\s*,?\s*(?:19|20)\d{{2}}\b)",
]
_ID_RE = re.compile("|".join(f"(?:{p})" for p in IDENTIFIERS), re.IGNORECASE)


@dataclass
class Mention:
    subject: str
    kind: str       # money, percent, count, rate, duration, day, month, year
    text: str
    value: str      # a decimal as text, or an ISO date / month / year
    typed: bool = False


def _dec(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + " " * (end - start) + text[end:]


def mentions(subject: str, text: str) -> list[Mention]:
    """The figures and dates a description states, in the order they appear."""
    out: list[Mention] = []
    work = _ID_RE.sub(lambda m: " " * len(m.group(0)), text)

    def take(pattern: str, handler) -> None:
        nonlocal work
        for m in list(re.finditer(pattern, work, re.IGNORECASE)):
            found = handler(m)
            if found:
                out.extend(found)
                work = _blank(work, m.start(), m.end())

    # Dates first, so a day's year is not counted again as a year or a count.
    def day(m):
        d, mon, y = m.group(1), m.group(2), m.group(3)
        return [Mention(subject, "day", m.group(0), f"{y}-{MONTHS[mon.lower()]:02d}-{int(d):02d}")]

    def day_range(m):
        d1, d2, mon, y = m.group(1), m.group(2), m.group(3), m.group(4)
        mo = MONTHS[mon.lower()]
        return [Mention(subject, "day", m.group(0), f"{y}-{mo:02d}-{int(d1):02d}"),
                Mention(subject, "day", m.group(0), f"{y}-{mo:02d}-{int(d2):02d}")]

    def month(m):
        mon, y = m.group(1), m.group(2)
        return [Mention(subject, "month", m.group(0), f"{y}-{MONTHS[mon.lower()]:02d}")]

    def year_range(m):
        y1, y2 = m.group(1), m.group(2)
        if len(y2) == 2:
            y2 = y1[:2] + y2
            if int(y2) == int(y1) + 1:  # a financial or academic year (2024/25): one period, in either year
                return [Mention(subject, "year", m.group(0), f"{y1}|{y2}")]
        return [Mention(subject, "year", m.group(0), y1), Mention(subject, "year", m.group(0), y2)]

    def year(m):
        return [Mention(subject, "year", m.group(0), m.group(1))]

    take(rf"\b(\d{{1,2}})\s*(?:-|–|and|to)\s*(\d{{1,2}})\s+{_MONTH}\s+((?:19|20)\d{{2}})\b", day_range)
    take(rf"\b(\d{{1,2}})\s+{_MONTH}\s+((?:19|20)\d{{2}})\b", day)
    take(rf"\b{_MONTH}\s+((?:19|20)\d{{2}})\b", month)
    take(r"\b((?:19|20)\d{2})\s*(?:-|–|/|to)\s*((?:19|20)?\d{2})\b(?!\s*(?:%|per))", year_range)

    def money(m):
        a, b, scale = m.group(2), m.group(3), (m.group(4) or "").lower()
        factor = _SCALE.get(scale, Decimal(1))
        vals = [x for x in (a, b) if x]
        return [Mention(subject, "money", m.group(0), str((_dec(v) * factor).normalize())) for v in vals]

    take(rf"(GBP|EUR|USD|£|€|\$)\s?({_NUM})(?:\s*(?:-|–|to)\s*(?:GBP|£|€|\$)?\s?({_NUM}))?\s*(k|m|bn|million|billion|thousand)?\b",
         money)

    def percent(m):
        vals = [x for x in (m.group(1), m.group(2)) if x]
        return [Mention(subject, "percent", m.group(0), str(_dec(v).normalize())) for v in vals]

    take(rf"\b({_NUM})(?:\s*(?:-|–|to)\s*({_NUM}))?\s*(?:%|per\s*cent\b|percent\b)", percent)

    def rate(m):
        return [Mention(subject, "rate", m.group(0), str(_dec(m.group(1)).normalize()))]

    take(rf"\b({_NUM})\s+per\s+1,000\b", rate)

    def year_only(m):
        return [Mention(subject, "year", m.group(0), m.group(1))]

    # "mid-2019", "early-2020": a year after a hyphenated qualifier is still a year.
    take(r"(?:(?<=mid-)|(?<=early-)|(?<=late-)|(?<![\d.,/-]))\b((?:19|20)\d{2})\b(?!\d|,\d{3}|/\d|\.\d)",
         year_only)

    def count(m):
        num, scale = m.group(1), (m.group(2) or "").lower()
        value = _dec(num)
        if value is None:
            return None
        value *= _SCALE.get(scale, Decimal(1))
        kind = "duration" if m.group(3) else "count"
        return [Mention(subject, kind, m.group(0), str(value.normalize()))]

    take(rf"(?<![\w.])({_NUM})(?:\s*(k|m|bn|million|billion|thousand)\b)?(\s*(?:years?|months?|weeks?|days?|hours?)\b)?",
         count)
    return out


def literal_values(lit: Literal) -> set[str]:
    """The forms a typed literal can match: a normalised decimal, or the date text."""
    dt = lit.datatype
    text = str(lit)
    if dt in (XSD.decimal, XSD.integer, XSD.int, XSD.long, XSD.double, XSD.float, XSD.nonNegativeInteger,
              XSD.positiveInteger):
        d = _dec(text)
        return {f"n:{d.normalize()}"} if d is not None else set()
    if dt in (XSD.date, XSD.gYearMonth, XSD.gYear, XSD.dateTime):
        return {f"d:{text[:10]}"}
    return set()


def measure(data: Path) -> tuple[list[Mention], dict[str, int]]:
    g = rdflib.Graph()
    files = sorted(data.glob("*.ttl")) + sorted((data / "sources").glob("*.ttl"))
    if not files:
        raise SystemExit(f"no Turtle files under {data}")
    for f in files:
        g.parse(f, format="turtle")
    own: dict[str, set[str]] = {}
    for s, _p, o in g:
        if isinstance(o, Literal):
            vals = literal_values(o)
            if vals:
                own.setdefault(str(s), set()).update(vals)
    # Blank nodes (n-ary shares, not-known markers) count as part of what points to them.
    for s, _p, o in g:
        if isinstance(o, rdflib.BNode) and not isinstance(s, rdflib.BNode) and str(o) in own:
            own.setdefault(str(s), set()).update(own[str(o)])
    # A contested figure or date is data too (the "contested facts as data"; the canned
    # query contested_figures lists them): the values its competing claims hold count as typed on
    # the individual the contested fact is about, although they sit two links from it.
    for fact, about in g.subject_objects(AIHKG.contestedAbout):
        for claim in g.objects(fact, AIHKG.hasClaim):
            own.setdefault(str(about), set()).update(own.get(str(claim), set()))
    neighbours: dict[str, set[str]] = {}
    for s, p, o in g:
        if isinstance(s, URIRef) and isinstance(o, URIRef) and p != RDF.type:
            neighbours.setdefault(str(s), set()).add(str(o))
            neighbours.setdefault(str(o), set()).add(str(s))
    found: list[Mention] = []
    for s, o in g.subject_objects(DCTERMS.description):
        if not (isinstance(s, URIRef) and str(s).startswith(KG)):
            continue
        reach: set[str] = set(own.get(str(s), set()))
        for n in neighbours.get(str(s), ()):  # one link away, either direction
            reach |= own.get(n, set())
        numbers = {v[2:] for v in reach if v.startswith("n:")}
        dates = {v[2:] for v in reach if v.startswith("d:")}
        for m in mentions(str(s), str(o)):
            if m.kind in ("day", "month", "year"):
                m.typed = any(d.startswith(v) for v in m.value.split("|") for d in dates)
            else:
                m.typed = m.value in numbers
            found.append(m)
    counts = {"statistics": len(set(g.subjects(RDF.type, URIRef("https://w3id.org/aihkg/ontology#Statistic")))),
              "triples": len(g)}
    return found, counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT / "graph" / "data",
                    help="the folder of Turtle data (default: this checkout's graph/data)")
    ap.add_argument("--list", choices=["untyped", "typed", "all"], help="print the mentions too")
    ap.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = ap.parse_args(argv)
    found, counts = measure(args.data)
    typed = sum(m.typed for m in found)
    by_kind = Counter(m.kind for m in found)
    typed_by_kind = Counter(m.kind for m in found if m.typed)
    share = typed / len(found) if found else 1.0
    if args.json:
        print(json.dumps({"mentions": len(found), "typed": typed, "share": round(share, 4),
                          "by_kind": {k: [typed_by_kind[k], n] for k, n in sorted(by_kind.items())}, **counts}))
    else:
        print(f"{args.data}: {typed} of {len(found)} figures and dates typed ({share:.1%}); "
              f"{counts['statistics']} statistics, {counts['triples']} triples")
        for kind, n in sorted(by_kind.items()):
            print(f"  {kind:9} {typed_by_kind[kind]:4} / {n:4}")
    if args.list:
        for m in sorted(found, key=lambda m: (m.subject, m.text)):
            if args.list == "all" or (args.list == "typed") == m.typed:
                print(f"{'+' if m.typed else '-'} {m.subject[len(KG):]:40} {m.kind:8} {m.value:14} {m.text!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
