"""Time in the graph: the landscape on a date, what changed between two dates, one entity's history.

The graph states dates, not statuses: when a rule was proposed, made, came into force, applies and
stopped being in force; when a body was founded, closed or its closure announced; who held which
post from when to when. A status on a day is derived from those dates here, and the canned queries
that show a status derive it the same way in SPARQL (``-p on=DATE``); the tests hold the two to
the same answers on every store.

Precision. A date is as precise as its source says: a day (``2021-05-26``), a month (``2019-04``)
or a year (``2022``). A change dated only to a month or year counts from the first day after that
month or year, the first day on which it has certainly happened: "in force from 2021" is not yet
in force on 31 December 2021 and in force on 1 January 2022. Every date is compared through one
key, its ISO text followed by ``~`` (which sorts after every digit and hyphen), so ``"2021~"``
comes after every day of 2021 and before 2022; the SPARQL side compares ``CONCAT(STR(?d), "~")``
the same way, which is a plain string comparison on every store (mixing xsd:date and xsd:gYear in
a SPARQL comparison is undefined). A date someone asks about covers its whole period: ``asof 2021``
is the landscape once 2021 is over, ``--since 2021`` starts on 1 January 2021.

Rules (status exactly one of ``proposed``, ``not yet in force``, ``in force``, ``no longer in
force``), on day D:

1. no longer in force, once its no-longer-in-force date has come;
2. else in force, once its entry-into-force date (or, if none, its date of application) has come;
3. else, once it has been made or adopted (Royal Assent, made, adopted, published): not yet in
   force if its entry into force is dated; in force (since a date not known) if only its end is;
   otherwise its stored status (aihkg:hasStatus), since a date not known;
4. else proposed, once its proposal date has come;
5. else absent, if any of those dates is known (it did not exist yet); a rule with none of them is
   listed on every day with its stored status, since a date not known.

Organisations (``active`` or ``closed``): closed once their end date has come; active from their
founding date (absent before it), or on every day with ``since`` empty when it is not known.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aihkg.graph import ONTOLOGY_NS, PREFIXES, compact
from aihkg.graph.errors import UsageProblem
from aihkg.graph.stores import Result, Store
from aihkg.queries import guard
from aihkg.queries.when import POSTNOTE, When, key, parse_when, when_literal  # noqa: F401 - this module's API

A = ONTOLOGY_NS
XSD = PREFIXES["xsd"]

RULE_STATUSES = ("in force", "not yet in force", "proposed", "no longer in force")
ORG_STATUSES = ("active", "closed")
KINDS = ("rules", "organisations", "all")
STATUS_IRI = {"in force": A + "InForce", "not yet in force": A + "NotYetInForce", "proposed": A + "Proposed",
              "no longer in force": A + "NoLongerInForce", "active": A + "Active", "closed": A + "Closed"}
_TOP_STATUS = {iri: name for name, iri in STATUS_IRI.items()}

_SOURCE_RANK = {A + "OfficialRecord": 0, A + "PrimaryPublication": 1, A + "POSTnoteSource": 2,
                A + "SecondaryReport": 3, A + "SupplierClaim": 4, A + "PersonalNote": 5}

MADE = ("adoptedDate", "royalAssentDate", "madeDate", "publicationDate")  # the first that is stated wins
DATE_PROPERTIES = ("proposedDate", "adoptedDate", "royalAssentDate", "madeDate", "publicationDate", "inForceFrom",
                   "appliesFrom", "noLongerInForceFrom", "revisedDate", "foundedDate", "dissolvedDate",
                   "closureAnnouncedDate", "acquiredDate", "announcedDate", "proposedAppliesFrom", "startDate",
                   "endDate", "inPostOn")


# --------------------------------------------------------------------------------------- dates


# When, parse_when, when_literal and key live in queries/when.py (imported above), which a canned
# query's date parameter reads without this module: its dataclasses cost a query process milliseconds.


# --------------------------------------------------------------------------------------- facts


@dataclass
class Stated:
    value: str
    sources: list[str] = field(default_factory=list)
    note: str = ""  # the aihkg:note on the statement that cites it, if any


@dataclass
class Entity:
    iri: str
    top: str  # rule, organisation, programme, funding, strategy, report, person, provision, membership
    label: str = ""
    classes: set[str] = field(default_factory=set)
    kind: str = ""
    law: bool = False


@dataclass
class Facts:
    """The dated facts of a graph, read with a few portable SPARQL queries."""

    entities: dict[str, Entity] = field(default_factory=dict)
    dates: dict[tuple[str, str], Stated] = field(default_factory=dict)
    unknown: dict[tuple[str, str], str] = field(default_factory=dict)
    links: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    values: dict[tuple[str, str], str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    source_rank: dict[str, int] = field(default_factory=dict)
    part_of: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def date(self, iri: str, prop: str) -> str | None:
        stated = self.dates.get((iri, prop))
        return stated.value if stated else None

    def link(self, iri: str, prop: str) -> list[str]:
        return self.links.get((iri, prop), [])

    def label(self, iri: str) -> str:
        return self.labels.get(iri) or compact(iri)

    def best_source(self, iri: str, prop: str) -> tuple[str | None, int]:
        stated = self.dates.get((iri, prop))
        if not stated or not stated.sources:
            return None, 0
        ranked = sorted(stated.sources, key=lambda s: (self.source_rank.get(s, 9), s))
        return ranked[0], len(ranked) - 1

    def jurisdictions(self, iri: str) -> list[str]:
        return sorted(self.link(iri, "hasJurisdiction"), key=lambda j: self.label(j))

    def within(self, iri: str, jurisdiction: str) -> bool:
        """Whether the entity applies in `jurisdiction`: its own territory or a larger one that contains it."""
        wanted = {jurisdiction} | self._ancestors(jurisdiction)
        return any(j in wanted for j in self.link(iri, "hasJurisdiction"))

    def _ancestors(self, j: str) -> set[str]:
        seen: set[str] = set()
        todo = [j]
        while todo:
            for up in self.part_of.get(todo.pop(), ()):
                if up not in seen:
                    seen.add(up)
                    todo.append(up)
        return seen


_PREFIX = "\n".join(f"PREFIX {p}: <{PREFIXES[p]}>" for p in ("aihkg", "rdf", "rdfs", "skos", "dcterms")) + "\n"
_TOPS = {"rule": "Regulation", "organisation": "Organisation", "programme": "Programme", "funding": "Funding",
         "strategy": "Strategy", "report": "Report", "person": "Person", "provision": "Provision",
         "membership": "Membership", "jurisdiction": "Jurisdiction"}
# The label is joined inside each branch, after the class: a label lookup first would read every label.
_Q_ENTITIES = _PREFIX + "SELECT ?x ?top ?class ?label WHERE {\n" + "\n  UNION\n".join(
    f'  {{ ?class rdfs:subClassOf* aihkg:{cls} . ?x a ?class . BIND ("{top}" AS ?top)\n'
    f'    OPTIONAL {{ ?x rdfs:label ?label FILTER (LANG(?label) IN ("en", "")) }} }}'
    for top, cls in _TOPS.items()) + "\n  FILTER (isIRI(?x))\n}"
_Q_CLASSES = _PREFIX + """SELECT ?class ?super ?label WHERE {
  ?class rdfs:subClassOf* aihkg:Regulation .
  OPTIONAL { ?class rdfs:subClassOf ?super }
  OPTIONAL { ?class rdfs:label ?label FILTER (LANG(?label) IN ("en", "")) }
}"""
_Q_DATES = _PREFIX + "SELECT ?x ?p ?d ?source ?note WHERE {\n  VALUES ?p { " + " ".join(
    f"aihkg:{p}" for p in DATE_PROPERTIES) + """ }
  ?x ?p ?d .
  OPTIONAL { ?st rdf:subject ?x ; rdf:predicate ?p ; rdf:object ?d ; dcterms:source ?source
             OPTIONAL { ?st aihkg:note ?note FILTER (LANG(?note) IN ("en", "")) } }
}"""
_Q_UNKNOWN = _PREFIX + """SELECT ?x ?p ?note WHERE {
  ?x aihkg:dateNotKnown ?marker .
  ?marker aihkg:forProperty ?p .
  OPTIONAL { ?marker aihkg:note ?note }
}"""
_LINKS = ("replacedBy", "repealedBy", "amends", "mergedInto", "renamedAs", "acquiredBy", "revises", "provisionOf",
          "delayProposedBy", "fundingRecipient", "funder", "hasStatus", "legalForce", "hasJurisdiction",
          "partOfJurisdiction", "member", "organisation", "role", "followedBy", "partOfProgramme")
_Q_LINKS = _PREFIX + "SELECT ?x ?p ?y WHERE {\n  VALUES ?p { " + " ".join(f"aihkg:{p}" for p in _LINKS) + """ }
  ?x ?p ?y .
  FILTER (isIRI(?y))
}"""
_Q_VALUES = _PREFIX + """SELECT ?x ?p ?v WHERE {
  VALUES ?p { aihkg:amount aihkg:currency aihkg:post }
  ?x ?p ?v .
}"""
_Q_STATUS = _PREFIX + """SELECT ?status ?top WHERE {
  ?status a aihkg:LegalStatus .
  { ?status skos:topConceptOf aihkg:LegalStatusScheme BIND (?status AS ?top) } UNION { ?status skos:broader ?top }
}"""
_Q_SOURCES = _PREFIX + """SELECT ?s ?kind WHERE { ?s aihkg:sourceKind ?kind }"""


def load_facts(store: Store) -> Facts:
    """Read every dated fact, marker and link the time views need from `store`."""
    facts = Facts()

    def rows(text: str) -> list[tuple[Any, ...]]:
        return store.query(guard.template(text)).rows

    for x, top, cls, label in rows(_Q_ENTITIES):
        if label is not None:
            facts.labels.setdefault(x.value, label.value)
        ent = facts.entities.get(x.value)
        if ent is None:
            ent = facts.entities[x.value] = Entity(x.value, top.value)
        elif _TOP_ORDER.index(top.value) < _TOP_ORDER.index(ent.top):
            ent.top = top.value
        ent.classes.add(cls.value)
    supers: dict[str, set[str]] = defaultdict(set)
    class_label: dict[str, str] = {}
    for cls, sup, label in rows(_Q_CLASSES):
        if sup is not None:
            supers[cls.value].add(sup.value)
        if label is not None:
            class_label.setdefault(cls.value, label.value)
    law_classes = {c for c in class_label if _reaches(c, {A + "Legislation", A + "ProposedLegislation"}, supers)}
    for ent in facts.entities.values():
        ent.label = facts.labels.get(ent.iri, compact(ent.iri))
        ent.law = bool(ent.classes & law_classes)
        if ent.top == "rule":
            specific = [c for c in ent.classes if c in class_label
                        and not any(o != c and c in _all_supers(o, supers) for o in ent.classes)]
            ent.kind = class_label[sorted(specific)[0]] if specific else "Regulation"
        else:
            ent.kind = ent.top.capitalize() if ent.top != "organisation" else "Organisation"
    for x, p, d, source, note in rows(_Q_DATES):
        slot = (x.value, p.value[len(A):])
        stated = facts.dates.get(slot)
        if stated is None or d.value < stated.value:  # one value per property; the earliest if several
            stated = facts.dates[slot] = Stated(d.value, [])
        if source is not None and d.value == stated.value and source.value not in stated.sources:
            stated.sources.append(source.value)
        if note is not None and d.value == stated.value and (not stated.note or note.value < stated.note):
            stated.note = note.value  # the least, if several, so the answer does not depend on row order
    for x, p, note in rows(_Q_UNKNOWN):
        facts.unknown[(x.value, p.value[len(A):])] = note.value if note is not None else "not known"
    for x, p, y in rows(_Q_LINKS):
        bucket = facts.links.setdefault((x.value, p.value[len(A):]), [])
        if y.value not in bucket:
            bucket.append(y.value)
        if p.value == A + "partOfJurisdiction":
            facts.part_of[x.value].add(y.value)
    for x, p, v in rows(_Q_VALUES):
        facts.values.setdefault((x.value, p.value[len(A):]), v.value)
    for bucket in facts.links.values():
        bucket.sort()  # stores return rows in their own order; answers must not depend on it
    status_top = {s.value: t.value for s, t in rows(_Q_STATUS)}
    for (iri, prop), targets in list(facts.links.items()):
        if prop == "hasStatus":
            facts.links[(iri, "storedStatus")] = [status_top[t] for t in targets if t in status_top]
    for s, kind in rows(_Q_SOURCES):
        facts.source_rank[s.value] = _SOURCE_RANK.get(kind.value, 9)
    return facts


_TOP_ORDER = ("membership", "provision", "funding", "person", "rule", "organisation", "programme", "strategy", "report",
              "jurisdiction")


def _all_supers(cls: str, supers: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [cls]
    while todo:
        for s in supers.get(todo.pop(), ()):
            if s not in seen:
                seen.add(s)
                todo.append(s)
    return seen


def _reaches(cls: str, targets: set[str], supers: dict[str, set[str]]) -> bool:
    return cls in targets or bool(_all_supers(cls, supers) & targets)


# --------------------------------------------------------------------------------------- status


@dataclass
class Standing:
    """What an entity is on a day: its status, since when (None: not known) and a note."""

    status: str
    since: str | None
    note: str = ""


def force_date(facts: Facts, iri: str) -> str | None:
    return facts.date(iri, "inForceFrom") or facts.date(iri, "appliesFrom")


def made_date(facts: Facts, iri: str) -> str | None:
    return next((d for d in (facts.date(iri, p) for p in MADE) if d), None)


def rule_status(facts: Facts, iri: str, on: When) -> Standing | None:
    """The rule's status on `on`, or None if it did not exist yet (see the module docstring)."""
    q = on.end
    proposed, made = facts.date(iri, "proposedDate"), made_date(facts, iri)
    force, ended = force_date(facts, iri), facts.date(iri, "noLongerInForceFrom")
    stored = next(iter(facts.link(iri, "storedStatus")), None)
    stored_name = _TOP_STATUS.get(stored) if stored else None
    if ended and key(ended) <= q:
        return Standing("no longer in force", ended)
    if force and key(force) <= q:
        return Standing("in force", force)
    if made and key(made) <= q:
        if force:
            return Standing("not yet in force", made)
        if ended:
            return Standing("in force", None, f"made {made}; entry into force not known")
        return Standing(stored_name, None, f"made {made}; entry into force not known") if stored_name else None
    if proposed and key(proposed) <= q:
        return Standing("proposed", proposed)
    if proposed or made or force:
        return None
    if ended:
        return Standing("in force", None, "entry into force not known")
    return Standing(stored_name, None, "no dates known (stored status)") if stored_name else None


def organisation_status(facts: Facts, iri: str, on: When) -> Standing | None:
    q = on.end
    founded, closed = facts.date(iri, "foundedDate"), facts.date(iri, "dissolvedDate")
    if closed and key(closed) <= q:
        return Standing("closed", closed)
    if founded and key(founded) > q:
        return None
    return Standing("active", founded, "" if founded else "founding date not known")


def holders(facts: Facts, organisation: str, on: When, role: str = "LeaderRole") -> list[str]:
    """Who held the post (LeaderRole: led the body) or which bodies it was a unit of (UnitRole) on `on`.

    A term counts from its start, or from the date a source shows it held when the start is not
    known; it ends after its end date or, if that is not known, when the next holder's term begins.
    """
    found = []
    for ent in facts.entities.values():
        if ent.top != "membership" or A + role not in facts.link(ent.iri, "role"):
            continue
        if role == "LeaderRole" and organisation not in facts.link(ent.iri, "organisation"):
            continue
        if role == "UnitRole" and organisation not in facts.link(ent.iri, "member"):
            continue
        start = facts.date(ent.iri, "startDate") or facts.date(ent.iri, "inPostOn")
        if role == "LeaderRole" and not start or start and key(start) > on.end:
            continue
        until = facts.date(ent.iri, "endDate")
        if until and on.end > key(until):
            continue
        following = facts.link(ent.iri, "followedBy")
        if following:
            next_start = facts.date(following[0], "startDate") or facts.date(following[0], "inPostOn")
            if next_start and on.end >= key(next_start):
                continue
        found.extend(facts.link(ent.iri, "member" if role == "LeaderRole" else "organisation"))
    return sorted(set(found))


# --------------------------------------------------------------------------------------- asof


ASOF_VARIABLES = ["entity", "label", "kind", "status", "since", "jurisdiction", "note"]


@dataclass
class Row:
    """One row of a time view: values by column; dates are ISO text as precise as known."""

    values: dict[str, Any]
    sort: tuple[Any, ...] = ()


def as_of(facts: Facts, on: When, *, kind: str = "all", jurisdiction: str | None = None) -> list[Row]:
    """One row per rule and organisation that existed (or was proposed) on `on`, with its status then."""
    if kind not in KINDS:
        raise UsageProblem(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
    out: list[Row] = []
    wanted = {"rules": ("rule",), "organisations": ("organisation",), "all": ("rule", "organisation")}[kind]
    for ent in facts.entities.values():
        if ent.top not in wanted:
            continue
        if jurisdiction and not facts.within(ent.iri, jurisdiction):
            continue
        standing = rule_status(facts, ent.iri, on) if ent.top == "rule" else organisation_status(facts, ent.iri, on)
        if standing is None:
            continue
        note = _asof_note(facts, ent, standing, on)
        group = 0 if ent.top == "rule" else 1
        order = (RULE_STATUSES + ORG_STATUSES).index(standing.status)
        out.append(Row({
            "entity": ent.iri, "label": ent.label, "kind": ent.kind, "status": standing.status,
            "since": standing.since, "jurisdiction": ", ".join(facts.label(j) for j in facts.jurisdictions(ent.iri)),
            "note": note,
        }, (group, order, ent.label.lower(), ent.iri)))
    return sorted(out, key=lambda r: r.sort)


def _asof_note(facts: Facts, ent: Entity, standing: Standing, on: When) -> str:
    bits = [standing.note] if standing.note else []
    if ent.top == "rule":
        if standing.status == "no longer in force":
            later = facts.link(ent.iri, "repealedBy") or facts.link(ent.iri, "replacedBy")
            if later:
                word = "repealed" if facts.link(ent.iri, "repealedBy") else "replaced"
                bits.append(f"{word} by {facts.label(later[0])}")
        stages = _stages(facts, ent.iri)
        if stages and standing.status == "in force":
            applying = [s for s in stages if key(s[0]) <= on.end]
            waiting = [s for s in stages if key(s[0]) > on.end]
            if waiting:
                bits.append(f"{len(applying)} of {len(stages)} stages apply; next {waiting[0][0]}: {waiting[0][1]}")
    else:
        if standing.status == "closed":
            for prop, word in (("mergedInto", "merged into"), ("renamedAs", "renamed as")):
                if facts.link(ent.iri, prop):
                    bits.append(f"{word} {facts.label(facts.link(ent.iri, prop)[0])}")
            closed = facts.dates.get((ent.iri, "dissolvedDate"))
            successor = facts.link(ent.iri, "mergedInto") or facts.link(ent.iri, "renamedAs")
            if not successor and closed is not None and closed.note:
                bits.append(closed.note.rstrip("."))  # no successor in the graph: how the source puts it
        announced = facts.date(ent.iri, "closureAnnouncedDate")
        if standing.status == "active" and announced and key(announced) <= on.end:
            bits.append(f"closure announced {announced}")
        acquired = facts.date(ent.iri, "acquiredDate")
        if acquired and key(acquired) <= on.end and facts.link(ent.iri, "acquiredBy"):
            bits.append(f"acquired by {facts.label(facts.link(ent.iri, 'acquiredBy')[0])} ({acquired})")
    return "; ".join(bits)


def _stages(facts: Facts, rule: str) -> list[tuple[str, str, str]]:
    """The rule's provisions that apply on dates of their own: (date, label, provision IRI), by date."""
    found = []
    for ent in facts.entities.values():
        if ent.top == "provision" and rule in facts.link(ent.iri, "provisionOf"):
            day = facts.date(ent.iri, "appliesFrom") or facts.date(ent.iri, "inForceFrom")
            if day:
                found.append((day, _short(ent.label), ent.iri))
    return sorted(found, key=lambda s: (key(s[0]), s[1]))


def _short(label: str) -> str:
    """A provision's label without its rule's name ("EU AI Act: prohibited AI practices" -> the part after)."""
    return label.split(": ", 1)[1] if ": " in label else label


def status_counts(rows: Iterable[Row]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {"rules": Counter(), "organisations": Counter()}
    for row in rows:
        group = "rules" if row.values["status"] in RULE_STATUSES else "organisations"
        counts[group][row.values["status"]] += 1
    return counts


def describe_counts(rows: list[Row], on: When) -> str:
    """ "on 2021-01-19: 30 rules (24 in force, ...); 40 organisations (38 active, 2 closed)" """
    counts = status_counts(rows)
    parts = []
    for group, order in (("rules", RULE_STATUSES), ("organisations", ORG_STATUSES)):
        total = sum(counts[group].values())
        if total:
            detail = ", ".join(f"{counts[group][s]} {s}" for s in order if counts[group][s])
            parts.append(f"{total} {group if total != 1 else group[:-1]} ({detail})")
    return f"on {on}: " + ("; ".join(parts) if parts else "nothing known")


# --------------------------------------------------------------------------------------- changes

CHANGE_VARIABLES = ["date", "entity", "label", "change", "detail", "source"]
TIMELINE_VARIABLES = ["date", "entity", "label", "change", "detail", "source", "otherSources"]


@dataclass
class Change:
    date: str | None
    entity: str
    change: str
    detail: str
    about: tuple[str, str]  # the (subject, property) whose statement sources the change
    related: tuple[str, ...] = ()  # other entities whose timeline shows this change
    attested: bool = False  # a date a post was seen held, not a change


def all_changes(facts: Facts) -> list[Change]:
    """Every dated change the graph knows of, in no particular order."""
    out: list[Change] = []
    ents = facts.entities
    for ent in list(ents.values()):
        iri, top = ent.iri, ent.top
        d = facts.dates.get
        if top == "rule":
            if d((iri, "proposedDate")):
                out.append(Change(facts.date(iri, "proposedDate"), iri, "proposed", "", (iri, "proposedDate")))
            for prop, detail in (("adoptedDate", "adopted"), ("royalAssentDate", "Royal Assent"), ("madeDate", "made")):
                if d((iri, prop)):
                    out.append(Change(facts.date(iri, prop), iri, "made", detail, (iri, prop)))
            published = facts.date(iri, "publicationDate")
            force = facts.date(iri, "inForceFrom")
            if published:
                detail = "in the Official Journal" if ent.law else (
                    "in force on publication" if force == published else "")
                out.append(Change(published, iri, "published", detail, (iri, "publicationDate")))
            if force and not (published == force and not ent.law):
                out.append(Change(force, iri, "in force", "entered into force", (iri, "inForceFrom")))
            if d((iri, "appliesFrom")):
                stages = _stages(facts, iri)
                first = stages[0][1] if stages and stages[0][0] == facts.date(iri, "appliesFrom") else ""
                if not first:
                    out.append(Change(facts.date(iri, "appliesFrom"), iri, "applies", "", (iri, "appliesFrom")))
            if d((iri, "revisedDate")):
                out.append(Change(facts.date(iri, "revisedDate"), iri, "revised", "", (iri, "revisedDate")))
            ended = facts.date(iri, "noLongerInForceFrom")
            if ended:
                later = facts.link(iri, "repealedBy") or facts.link(iri, "replacedBy")
                word = "repealed" if facts.link(iri, "repealedBy") else ("replaced" if later else "no longer in force")
                out.append(Change(ended, iri, word, f"by {facts.label(later[0])}" if later else "",
                                  (iri, "noLongerInForceFrom"), tuple(later[:1])))
            for amended in facts.link(iri, "amends"):
                # An amendment takes effect when the amending rule does (or, if that is not known, when made).
                prop = next((p for p in ("inForceFrom", "appliesFrom", *MADE) if facts.date(iri, p)), None)
                if prop:
                    out.append(Change(facts.date(iri, prop), amended, "amended", f"by {ent.label}", (iri, prop),
                                      (iri,)))
        elif top == "provision":
            for rule in facts.link(iri, "provisionOf"):
                for prop, word in (("inForceFrom", "in force"), ("appliesFrom", "applies")):
                    if d((iri, prop)):
                        out.append(Change(facts.date(iri, prop), rule, word, _short(ent.label), (iri, prop), (iri,)))
                later = facts.date(iri, "proposedAppliesFrom")
                for proposer in facts.link(iri, "delayProposedBy"):
                    when = facts.date(proposer, "proposedDate")
                    if later and when:
                        out.append(Change(when, rule, "delay proposed",
                                          f"{_short(ent.label)}: to {later} ({facts.label(proposer)})",
                                          (iri, "proposedAppliesFrom"), (proposer, iri)))
        elif top in ("organisation", "programme"):
            founded_word, closed_word = ("founded", "closed") if top == "organisation" else ("launched", "ended")
            within = tuple(facts.link(iri, "partOfProgramme"))  # a phase shows in its programme's timeline
            if d((iri, "foundedDate")):
                out.append(Change(facts.date(iri, "foundedDate"), iri, founded_word, "", (iri, "foundedDate"), within))
            if d((iri, "dissolvedDate")):
                merged, renamed = facts.link(iri, "mergedInto"), facts.link(iri, "renamedAs")
                if merged:
                    word, detail, related = "merged", f"into {facts.label(merged[0])}", merged[:1]
                elif renamed:
                    word, detail, related = "renamed", f"as {facts.label(renamed[0])}", renamed[:1]
                else:
                    word, detail, related = closed_word, "", []
                out.append(Change(facts.date(iri, "dissolvedDate"), iri, word, detail, (iri, "dissolvedDate"),
                                  tuple(related) + within))
            if d((iri, "closureAnnouncedDate")):
                merged = facts.link(iri, "mergedInto")
                detail = f"merger into {facts.label(merged[0])}" if merged else "abolition"
                out.append(Change(facts.date(iri, "closureAnnouncedDate"), iri, "closure announced", detail,
                                  (iri, "closureAnnouncedDate")))
            if d((iri, "acquiredDate")):
                buyer = facts.link(iri, "acquiredBy")
                out.append(Change(facts.date(iri, "acquiredDate"), iri, "acquired",
                                  f"by {facts.label(buyer[0])}" if buyer else "", (iri, "acquiredDate"),
                                  tuple(buyer[:1])))
        elif top == "funding":
            if d((iri, "announcedDate")):
                revised = facts.link(iri, "revises")
                recipients = facts.link(iri, "fundingRecipient")
                amount = facts.values.get((iri, "amount"))
                money = f"{facts.values.get((iri, 'currency'), '')} {_money(amount)}".strip() if amount else ""
                names = sorted(facts.label(r) for r in recipients)
                detail = money + (f" to {', '.join(names)}" if names else "")
                if revised:
                    detail += f"; revises {facts.label(revised[0])}"
                out.append(Change(facts.date(iri, "announcedDate"), iri,
                                  "funding revised" if revised else "funding announced", detail,
                                  (iri, "announcedDate"), tuple(recipients) + tuple(facts.link(iri, "funder"))))
        elif top in ("strategy", "report"):
            if d((iri, "publicationDate")):
                out.append(Change(facts.date(iri, "publicationDate"), iri, "published", "", (iri, "publicationDate")))
        elif top == "membership":
            out.extend(_membership_changes(facts, ent))
    return out


def _membership_changes(facts: Facts, ent: Entity) -> list[Change]:
    iri = ent.iri
    members, orgs = facts.link(iri, "member"), facts.link(iri, "organisation")
    if not members or not orgs:
        return []
    member, org = members[0], orgs[0]
    leader = A + "LeaderRole" in facts.link(iri, "role")
    post = facts.values.get((iri, "post"), "leader")
    out = []
    if leader:
        if facts.date(iri, "startDate"):
            out.append(Change(facts.date(iri, "startDate"), org, "leader changed",
                              f"{facts.label(member)} became {post}", (iri, "startDate"), (member,)))
        if facts.date(iri, "inPostOn"):
            out.append(Change(facts.date(iri, "inPostOn"), org, "in post", f"{facts.label(member)} ({post})",
                              (iri, "inPostOn"), (member,), attested=True))
        if facts.date(iri, "endDate"):
            out.append(Change(facts.date(iri, "endDate"), org, "leader changed",
                              f"{facts.label(member)} left the post of {post}", (iri, "endDate"), (member,)))
    else:
        if facts.date(iri, "startDate"):
            out.append(Change(facts.date(iri, "startDate"), member, "parent changed",
                              f"became a unit of {facts.label(org)}", (iri, "startDate"), (org,)))
        if facts.date(iri, "inPostOn"):
            out.append(Change(facts.date(iri, "inPostOn"), member, "in post", f"a unit of {facts.label(org)}",
                              (iri, "inPostOn"), (org,), attested=True))
        if facts.date(iri, "endDate"):
            out.append(Change(facts.date(iri, "endDate"), member, "parent changed",
                              f"ceased to be a unit of {facts.label(org)}", (iri, "endDate"), (org,)))
    return out


def _money(amount: str) -> str:
    try:
        from decimal import Decimal

        value = Decimal(amount)
        return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    except ArithmeticError:
        return amount


_CHANGE_ORDER = ("proposed", "made", "published", "in force", "applies", "amended", "revised", "delay proposed",
                 "founded", "launched", "closure announced", "acquired", "merged", "renamed", "closed", "ended",
                 "repealed", "replaced", "no longer in force", "leader changed", "in post", "parent changed",
                 "funding announced", "funding revised")


def _sort_key(facts: Facts, c: Change) -> tuple[Any, ...]:
    order = _CHANGE_ORDER.index(c.change) if c.change in _CHANGE_ORDER else len(_CHANGE_ORDER)
    return (key(c.date) if c.date else "~~", facts.label(c.entity).lower(), order, c.detail, c.entity)


def _row(facts: Facts, c: Change, *, timeline: bool = False) -> Row:
    source, more = facts.best_source(*c.about) if c.date else (None, 0)
    values = {"date": c.date, "entity": c.entity, "label": facts.label(c.entity), "change": c.change,
              "detail": c.detail, "source": source}
    if timeline:
        values["otherSources"] = more
    return Row(values, _sort_key(facts, c))


def changes(facts: Facts, since: When | None = None, until: When | None = None) -> list[Row]:
    """Every dated change after the start of `since` and by the end of `until`, oldest first."""
    if since and until and since.start > until.end:
        raise UsageProblem(f"the range is backwards: --since {since} is after --until {until}")
    found = []
    for c in all_changes(facts):
        if c.attested or not c.date:
            continue
        k = key(c.date)
        if since and k < since.start:
            continue
        if until and k > until.end:
            continue
        found.append(_row(facts, c))
    return sorted(found, key=lambda r: r.sort)


_MARKER_CHANGE = {"proposedDate": "proposed", "adoptedDate": "made", "royalAssentDate": "made", "madeDate": "made",
                  "publicationDate": "published", "inForceFrom": "in force", "appliesFrom": "applies",
                  "noLongerInForceFrom": "no longer in force", "foundedDate": "founded", "dissolvedDate": "closed",
                  "announcedDate": "funding announced", "startDate": "leader changed", "endDate": "leader changed"}


def timeline(facts: Facts, entity: str) -> list[Row]:
    """One entity's dated history, with sources, then what is not known about its dates."""
    rows = [_row(facts, c, timeline=True) for c in all_changes(facts) if c.entity == entity or entity in c.related]
    for (iri, prop), note in facts.unknown.items():
        owner, detail, change = iri, f"date not known: {note}", _MARKER_CHANGE.get(prop, prop)
        if iri in facts.entities and facts.entities[iri].top == "membership":
            owner = (facts.link(iri, "organisation") or [iri])[0]
            members = facts.link(iri, "member")
            if entity not in (owner, *members):
                continue
            detail = f"{facts.label(members[0]) if members else compact(iri)}: {detail}"
            if A + "UnitRole" in facts.link(iri, "role") and members:
                # A unit's term is a change of its parent, stated on the unit (as _membership_changes does).
                detail = f"unit of {facts.label(owner)}: date not known: {note}"
                owner, change = members[0], "parent changed"
        elif iri != entity:
            continue
        c = Change(None, owner, change, detail, (iri, prop))
        rows.append(_row(facts, c, timeline=True))
    return sorted(rows, key=lambda r: r.sort)


# --------------------------------------------------------------------------------------- results


def to_result(rows: list[Row], variables: list[str]) -> Result:
    """Rows as a Result of RDF terms, so every output format (table, csv, tsv, json, md) applies."""
    import pyoxigraph as ox

    def term(name: str, value: Any) -> Any:
        if value is None or value == "":
            return None
        if name in ("entity", "source"):
            return ox.NamedNode(value)
        if name in ("date", "since"):
            return when_literal(When(value))
        if name == "otherSources":
            return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))
        return ox.Literal(str(value))

    return Result("select", list(variables), [tuple(term(v, r.values.get(v)) for v in variables) for r in rows])


def to_dicts(rows: list[Row], variables: list[str]) -> list[dict[str, Any]]:
    return [{v: r.values.get(v) if r.values.get(v) != "" else None for v in variables} for r in rows]
