"""aihkg: the AI-in-healthcare knowledge graph on the command line.

This module only parses options and prints; the work is done by `graph`, `queries` and
`ontology`, which a notebook can call without Click. Each command imports what it uses, so a
query never loads rdflib, networkx, matplotlib, owlready2 or pySHACL.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from aihkg.graph import __version__
from aihkg.graph.errors import AihkgError, DataProblem, IncompleteResult, UsageProblem

RESULT_FORMATS = ("table", "csv", "tsv", "json", "md")
EXPORT_FORMATS = ("turtle", "nt", "jsonld", "xml", "trig", "graphml", "gexf", "cytoscape")
DEFAULT_TIMEOUT = 60.0
DEFAULT_TABLE_LIMIT = 200


class _Interrupted(Exception):
    """Ctrl-C, carried past Click, which would print a blank line and report 'Aborted!' with exit 1."""


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted from None


class Options:
    """Global options, shared by every command through the Click context."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)
        self._kg = None

    def kg(self):  # noqa: ANN201 - queries.api.KnowledgeGraph, imported lazily
        if self._kg is None:
            from aihkg.queries.api import KnowledgeGraph

            self._kg = KnowledgeGraph(
                self.store, data=self.data, data_format=self.data_format, allow_remote=self.allow_remote,
                allow_service=self.allow_service, timeout=self.timeout, query_dirs=self.queries,
                note=note, include_data=not self.no_builtin_data,
            )
        return self._kg


class _Seconds(click.ParamType):
    """A time limit: a finite number of seconds, at most a week (inf and 1e10 are mistakes)."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        from aihkg.graph.deadline import check_seconds

        try:
            return check_seconds(float(value))
        except (TypeError, ValueError) as exc:
            reason = str(exc) if isinstance(value, (int, float)) or _is_number(value) else "not a number"
            self.fail(f"{str(value)!r}: {reason}", param, ctx)


def _is_number(text: Any) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


# Commands that run until stopped (a server) are never limited as a whole; bulk work that may
# rightly take longer than the default is limited only when the user gives --timeout.
_RUNS_UNTIL_STOPPED = {"serve"}
_NO_DEFAULT_LIMIT = {"load", "push"}
_PHASE = {"query": "the query", "sparql": "the query", "export": "the export", "validate": "validation",
          "diff": "the diff"}


def _arm_deadline(ctx: click.Context, command: str | None, seconds: float) -> None:
    """Start the --timeout clock for the whole command: loading, parsing, the work and the writing."""
    from click.core import ParameterSource

    if not command or command in _RUNS_UNTIL_STOPPED or not seconds:
        return
    if command in _NO_DEFAULT_LIMIT and ctx.get_parameter_source("timeout") == ParameterSource.DEFAULT:
        return
    from aihkg.graph import deadline

    deadline.start(seconds, _PHASE.get(command, f"aihkg {command}"))


def note(message: str) -> None:
    click.echo(message, err=True)


def emit(text: str, output: str | None) -> None:
    """Print to stdout, or write atomically to a file."""
    if output and output != "-":
        from aihkg.graph.atomic import atomic_write_bytes, write_error

        try:
            atomic_write_bytes(output, text.encode("utf-8"))
        except OSError as exc:
            raise DataProblem(write_error(output, exc)) from None
        note(f"wrote {output}")
    else:
        # color=True: click strips ANSI sequences from output that is not a terminal, which would
        # change the values of CSV, TSV and JSON answers (tables escape them themselves).
        click.echo(text, nl=False, color=True)


def _parse_params(pairs: tuple[str, ...]) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageProblem(f"-p expects KEY=VALUE, got {pair!r}")
        params.setdefault(key.strip(), []).append(value)
    return params


def _complete_query_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    from aihkg.queries.catalog import Catalog

    try:
        return [n for n in Catalog(ctx.find_root().params.get("queries") or ()).names() if n.startswith(incomplete)]
    except Exception:  # completion must never fail loudly
        return []


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="aihkg")
@click.option("--store", envvar="AIHKG_STORE", default=None, metavar="SPEC",
              help="memory (default), rdflib, oxigraph:DIR or sparql:QUERY_URL[,UPDATE_URL]. Env: AIHKG_STORE.")
@click.option("--data", "data", multiple=True, metavar="FILE",
              help="Merge your own RDF file before running anything (repeatable).")
@click.option("--data-format", default=None, metavar="FMT",
              help="RDF format of --data files when the extension does not say "
                   "(turtle, nt, nq, trig, xml, jsonld, n3).")
@click.option("--queries", "queries", multiple=True, metavar="DIR",
              help="A folder of your own .rq canned queries (repeatable). Env: AIHKG_QUERY_PATH.")
@click.option("--timeout", type=_Seconds(), default=DEFAULT_TIMEOUT, show_default=True, metavar="SECONDS",
              help="Stop the command if it runs longer than this, whatever it is doing (0: no limit; "
                   "`load` and `push` have no limit unless given one).")
@click.option("--no-builtin-data", is_flag=True,
              help="Leave the built-in data out (the ontology stays): work on your --data files alone.")
@click.option("--allow-remote", is_flag=True, help="Let --data name http(s) URLs (off: nothing is fetched).")
@click.option("--allow-service", is_flag=True, help="Let queries use SPARQL SERVICE (off: refused before connecting).")
@click.option("--debug", is_flag=True, help="Show the traceback when something fails.")
@click.pass_context
def cli(ctx: click.Context, **kw: Any) -> None:
    """aihkg: how AI is used in healthcare, what it changes, what holds it back,
    and which rules and organisations govern it, as a knowledge graph you can query.

    \b
    Start with:
      aihkg queries                      list the canned questions
      aihkg query challenges_by_use_count
      aihkg describe MHRA
      aihkg search "algorithmic bias"
    """
    ctx.obj = Options(**kw)
    _arm_deadline(ctx, ctx.invoked_subcommand, kw["timeout"])


# ---------------------------------------------------------------------- queries


@cli.command("queries")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def list_queries(opts: Options, fmt: str) -> None:
    """List the canned queries: name, summary and parameters."""
    import json

    from aihkg.queries.catalog import Catalog

    catalog = Catalog(opts.queries)
    entries = list(catalog)
    if fmt == "json":
        click.echo(json.dumps([q.as_dict() for q in entries], indent=2))
        return
    width = max((len(q.name) for q in entries), default=4)
    for q in entries:
        click.echo(f"{q.name.ljust(width)}  {q.summary}")
        for p in q.params:
            need = "required" if p.required else (f"default {p.default}" if p.default is not None else "optional")
            click.echo(f"{'':{width}}    -p {p.name}=<{p.type}>  ({need}) {p.description}")
    click.echo(f"{len(entries)} queries; run one with: aihkg query NAME [-p KEY=VALUE ...]")


@cli.command("query")
@click.argument("name", shell_complete=_complete_query_names)
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A parameter value (repeatable). Entities may be named by label, acronym, CURIE or IRI.")
@click.option("--format", "fmt", type=click.Choice(RESULT_FORMATS), default="table", show_default=True)
@click.option("--show", is_flag=True, help="Print exactly the query text that would run, and stop.")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help=f"Table rows to show (default {DEFAULT_TABLE_LIMIT}; 0 = all). Other formats write all rows.")
@click.option("-o", "--output", default=None, metavar="FILE", help="Write the result to FILE instead of stdout.")
@click.option("--allow-partial", is_flag=True, help="Exit 0 even when a server reports a truncated answer.")
@click.pass_obj
def run_query(opts: Options, name: str, params: tuple[str, ...], fmt: str, show: bool, limit: int | None,
              output: str | None, allow_partial: bool) -> None:
    """Run the canned query NAME."""
    from aihkg.graph import deadline

    kg = opts.kg()
    deadline.start(opts.timeout)
    prepared = kg.prepare(name, _parse_params(params))
    if show:
        emit(prepared.text if prepared.text.endswith("\n") else prepared.text + "\n", output)
        return

    try:
        result = kg.store.query(prepared.checked)
    except UsageProblem as exc:
        if not str(exc).startswith("SPARQL syntax error"):
            raise
        raise UsageProblem(f"{prepared.query.origin}: {exc}") from None
    _print_result(kg, result, fmt, limit, output, allow_partial)


@cli.command("sparql")
@click.argument("file", required=False, metavar="[FILE|-]")
@click.option("-e", "--expr", "expr", default=None, metavar="TEXT", help="The query text itself.")
@click.option("--format", "fmt", type=click.Choice(RESULT_FORMATS), default="table", show_default=True)
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Table rows to show (0 = all).")
@click.option("-o", "--output", default=None, metavar="FILE", help="Write the result to FILE.")
@click.option("--allow-partial", is_flag=True, help="Exit 0 even when a server reports a truncated answer.")
@click.pass_obj
def run_sparql(opts: Options, file: str | None, expr: str | None, fmt: str, limit: int | None,
               output: str | None, allow_partial: bool) -> None:
    """Run your own read-only SPARQL (SELECT, ASK, CONSTRUCT, DESCRIBE).

    Give the query as FILE, '-' for stdin, or -e TEXT. aihkg's prefixes (aihkg:, kg:, src:, rdfs:,
    skos:, dcterms: ...) are declared for you. CONSTRUCT and DESCRIBE print Turtle.
    """
    from aihkg.graph import deadline

    if (file is None) == (expr is None):
        raise UsageProblem("give the query as FILE, '-' (stdin) or -e TEXT (exactly one)")
    if expr is not None:
        text = expr
    elif file == "-":
        raw = sys.stdin.buffer.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise DataProblem(f"stdin:{line}: not valid UTF-8 (byte offset {exc.start})") from None
    else:
        from aihkg.graph.files import read_query_file

        text = read_query_file(file)  # a regular file only: /dev/zero or a FIFO is refused at once
    kg = opts.kg()
    deadline.start(opts.timeout)
    result = kg.sparql(text)
    _print_result(kg, result, fmt, limit, output, allow_partial)


def _print_result(kg: Any, result: Any, fmt: str, limit: int | None, output: str | None,
                  allow_partial: bool) -> None:
    from aihkg.queries.formats import render

    labels = None
    if fmt in ("table", "md") and result.kind == "select":
        labels = _labels_for_display(kg, result)
    shown = DEFAULT_TABLE_LIMIT if limit is None else limit
    emit(render(result, fmt, labels=labels, limit=shown if fmt in ("table", "md") else None), output)
    if result.incomplete:
        if allow_partial:
            note(f"aihkg: warning: {result.incomplete}; the rows above are incomplete")
        else:
            raise IncompleteResult(f"{result.incomplete}; the rows above are incomplete "
                                   "(raise the server's limit, add LIMIT/OFFSET, or pass --allow-partial)")


def _labels_for_display(kg: Any, result: Any) -> dict[str, str]:
    """Labels for IRI columns that the query did not already label (e.g. ?x with no ?xLabel)."""
    labelled = {v[: -len("Label")] for v in result.variables if v.endswith("Label")}
    labelled |= {v[: -len("_label")] for v in result.variables if v.endswith("_label")}
    iris = []
    for i, var in enumerate(result.variables):
        if var in labelled:
            continue
        iris.extend(row[i].value for row in result.rows[:DEFAULT_TABLE_LIMIT * 5]
                    if row[i] is not None and type(row[i]).__name__ == "NamedNode")
    return kg.labels(iris[:2000]) if iris else {}


# ---------------------------------------------------------------------- describe / search


@cli.command("describe")
@click.argument("name_or_iri")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def describe(opts: Options, name_or_iri: str, fmt: str) -> None:
    """Everything about one entity, grouped by relation, with its sources."""
    from aihkg.graph import compact, deadline

    kg = opts.kg()
    deadline.start(opts.timeout)
    d = kg.describe(name_or_iri)
    if fmt == "json":
        import json

        body = {
            "iri": d.iri, "label": d.label, "classes": d.classes, "altLabels": d.alt_labels,
            "descriptions": d.descriptions,
            "relations": [{"relation": rel, "direction": direction, "property": prop,
                           "values": [{"iri": i, "label": t} if i else {"value": t} for i, t in vals]}
                          for (rel, direction, prop), vals in sorted(d.relations.items())],
            "sources": d.sources,
            "statements": [{"property": prop, "value": value, "sources": srcs}
                           for (prop, value), srcs in sorted(d.backing.items())],
        }
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    lines = [f"{d.label}  ({compact(d.iri)})"]
    if d.classes:
        lines.append(f"  a {', '.join(sorted(d.classes))}")
    if d.alt_labels:
        lines.append(f"  also known as: {', '.join(d.alt_labels)}")
    for text in d.descriptions:
        lines.append("")
        lines.extend("  " + part for part in _wrap(text, 96))
    number = {src["iri"]: n for n, src in enumerate(d.sources, 1)}
    for (rel, direction, prop), values in sorted(d.relations.items(), key=lambda kv: kv[0][0].lower()):
        heading = rel if direction == "out" else f"referred to by ({rel})"
        lines.append("")
        lines.append(f"{heading}:")
        for iri, text in values:
            # [n]: the sources that back this very statement (its reified rdf:Statement), numbered below
            cited = d.backing.get((prop, iri or text), []) if direction == "out" else []
            marks = f"  [{', '.join(str(n) for n in sorted(number[c] for c in cited))}]" if cited else ""
            lines.append(f"  - {text}" + (f"  ({compact(iri)})" if iri else "") + marks)
    if d.sources:
        lines.append("")
        lines.append("sources:")
        for n, src in enumerate(d.sources, 1):
            bits = [src.get("title", compact(src["iri"]))]
            if src.get("publisher"):
                bits.append(src["publisher"])
            if src.get("date"):
                bits.append(src["date"])
            lines.append(f"  [{n}] " + ", ".join(bits))
            if src.get("url"):
                lines.append(f"      {src['url']}")
            if src.get("backs"):
                lines.append(f"      backs: {'; '.join(src['backs'])}")
    from aihkg.graph.terminal import flat

    # Labels and descriptions are data: each line stays one line, its control characters escaped.
    click.echo("\n".join(flat(line) for line in lines))


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(" ".join(text.split()), width) or [""]


@cli.command("search")
@click.argument("text")
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True, help="Hits to show (0 = all).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def search(opts: Options, text: str, limit: int, fmt: str) -> None:
    """Entities whose labels, acronyms or descriptions match TEXT, best first."""
    from aihkg.graph import compact, deadline

    kg = opts.kg()
    deadline.start(opts.timeout)
    hits = kg.search(text, limit=limit)
    if fmt == "json":
        import json

        click.echo(json.dumps([h.__dict__ for h in hits], indent=2, ensure_ascii=False))
        return
    if not hits:
        from aihkg.graph.terminal import one_line

        click.echo(f"no entity matches '{one_line(text)}'")
        return
    import pyoxigraph as ox

    from aihkg.graph.stores import Result
    from aihkg.queries.formats import render

    rows = [(ox.Literal(f"{h.score:.0f}"), ox.Literal(h.label), ox.Literal(compact(h.iri)),
             ox.Literal(", ".join(sorted(h.classes))), ox.Literal(f"{h.field}: {h.snippet}")) for h in hits]
    click.echo(render(Result("select", ["score", "label", "entity", "class", "match"], rows), "table",
                      limit=0), nl=False)


# ---------------------------------------------------------------------- time


_DATE_HELP = "YYYY-MM-DD, YYYY-MM, YYYY, today or postnote (19 January 2021)"


def _print_time_rows(kg: Any, result: Any, fmt: str, limit: int | None, output: str | None) -> None:
    from aihkg.queries.formats import render

    labels = None
    if fmt in ("table", "md"):
        # For people: "Label (kg:X)" in one column, and sources by their short citation.
        result.variables = ["entityLabel" if v == "label" else v for v in result.variables]
        labels = kg.labels([row[i].value for row in result.rows for i, v in enumerate(result.variables)
                            if v == "source" and row[i] is not None])
    shown = DEFAULT_TABLE_LIMIT if limit is None else limit
    emit(render(result, fmt, labels=labels, limit=shown if fmt in ("table", "md") else None), output)


@cli.command("asof")
@click.argument("date", metavar="DATE")
@click.option("--kind", type=click.Choice(["rules", "organisations", "all"]), default="all", show_default=True)
@click.option("--jurisdiction", default=None, metavar="J",
              help="Only what applies in J (a territory, e.g. England; larger territories it is part of count).")
@click.option("--format", "fmt", type=click.Choice(RESULT_FORMATS), default="table", show_default=True)
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Table rows to show (0 = all).")
@click.option("-o", "--output", default=None, metavar="FILE", help="Write the result to FILE.")
@click.pass_obj
def asof(opts: Options, date: str, kind: str, jurisdiction: str | None, fmt: str, limit: int | None,
         output: str | None) -> None:
    """The landscape on DATE: every rule and organisation that existed or was proposed by then, with its
    status on that day (rules: proposed, not yet in force, in force, no longer in force; organisations:
    active, closed) and since when.

    DATE is YYYY-MM-DD, YYYY-MM, YYYY, today or postnote (19 January 2021); a month or year means the
    landscape once it is over. A change dated only to a month or year counts from the day after it.
    """
    from aihkg.graph import deadline
    from aihkg.queries.time import describe_counts, parse_when

    kg = opts.kg()
    deadline.start(opts.timeout)
    result = kg.as_of_result(date, kind=kind, jurisdiction=jurisdiction)
    _print_time_rows(kg, result, fmt, limit, output)
    note(describe_counts(kg._as_of_rows(date, kind, jurisdiction), parse_when(date)))


@cli.command("changes")
@click.option("--since", default=None, metavar="DATE", help=f"From the start of DATE ({_DATE_HELP}).")
@click.option("--until", default="today", show_default=True, metavar="DATE", help="To the end of DATE.")
@click.option("--format", "fmt", type=click.Choice(RESULT_FORMATS), default="table", show_default=True)
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Table rows to show (0 = all).")
@click.option("-o", "--output", default=None, metavar="FILE", help="Write the result to FILE.")
@click.pass_obj
def changes(opts: Options, since: str | None, until: str, fmt: str, limit: int | None, output: str | None) -> None:
    """Every dated change between --since and --until, oldest first, each with the source that states it:
    rules proposed, made, in force, applying, amended, repealed; bodies founded, merged, renamed or
    closed; leaders changed; funding announced or revised. `--since postnote` is everything that changed
    since POSTnote 637 (19 January 2021)."""
    from aihkg.graph import deadline

    kg = opts.kg()
    deadline.start(opts.timeout)
    result = kg.changes_result(since, until)
    _print_time_rows(kg, result, fmt, limit, output)


@cli.command("timeline")
@click.argument("name", metavar="NAME")
@click.option("--format", "fmt", type=click.Choice(RESULT_FORMATS), default="table", show_default=True)
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Table rows to show (0 = all).")
@click.option("-o", "--output", default=None, metavar="FILE", help="Write the result to FILE.")
@click.pass_obj
def timeline(opts: Options, name: str, fmt: str, limit: int | None, output: str | None) -> None:
    """One entity's dated history (a rule, body, person, programme or funding), with sources, then the
    dates that are not known about it."""
    from aihkg.graph import deadline

    kg = opts.kg()
    deadline.start(opts.timeout)
    result = kg.timeline_result(name)
    if not result.rows:
        raise DataProblem(f"no dated facts about '{name}' in the graph")
    _print_time_rows(kg, result, fmt, limit, output)


# ---------------------------------------------------------------------- export / validate


@cli.command("export")
@click.option("-f", "--format", "fmt", type=click.Choice(EXPORT_FORMATS), default=None,
              help="Output format (default: from the -o extension, else turtle).")
@click.option("-o", "--output", default=None, metavar="FILE", help="Write to FILE (default stdout).")
@click.option("--inferred", is_flag=True, help="Add the OWL 2 RL closure (owlrl) to the graph.")
@click.pass_obj
def export(opts: Options, fmt: str | None, output: str | None, inferred: bool) -> None:
    """Write the whole graph (ontology + data + your --data) to a file or stdout."""
    from aihkg.graph import deadline
    from aihkg.graph.export import export_bytes, format_for

    fmt = format_for(output, fmt)
    kg = opts.kg()
    deadline.start(opts.timeout, "the export")
    data = export_bytes(kg, fmt, inferred=inferred, note=note)
    if output and output != "-":
        from aihkg.graph.atomic import atomic_write_bytes, write_error

        try:
            atomic_write_bytes(output, data)
        except OSError as exc:
            raise DataProblem(write_error(output, exc)) from None
        note(f"wrote {output} ({fmt}, {len(data):,} bytes)")
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


@cli.command("validate")
@click.argument("files", nargs=-1, metavar="[FILE ...]")
@click.option("--no-reasoner", is_flag=True, help="Skip the OWL consistency check (HermiT, needs Java).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def validate(opts: Options, files: tuple[str, ...], no_reasoner: bool, fmt: str) -> None:
    """Check the graph (plus any FILEs) against the SHACL shapes and for OWL consistency.

    Exit 0 when clean, 1 when anything is violated.
    """
    import json

    from aihkg.ontology.validate import validate_graph

    report = validate_graph(list(opts.data) + list(files), data_format=opts.data_format,
                            allow_remote=opts.allow_remote, reasoner=not no_reasoner,
                            include_data=not opts.no_builtin_data)
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(report.text())
    if not report.ok:
        sys.exit(1)


# ---------------------------------------------------------------------- networks


@cli.command("viz")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Picture (.png, .svg, .pdf) or interactive page (.html). Default: a named .png here.")
@click.option("--view", type=click.Choice(["governance", "network"]), default=None,
              help="governance: the layered map uses -> challenges -> rules and programmes -> bodies, gaps in "
                   "red (the default). network: individuals and links in a force layout (the default with "
                   "--focus, --class, --property, --communities, --layout, --include or .html).")
@click.option("--focus", default=None, metavar="NAME",
              help="Only this entity's neighbourhood (governance: the chains through it).")
@click.option("--depth", type=click.IntRange(min=1, max=6), default=1, show_default=True,
              help="How many links from --focus to include (network view).")
@click.option("--class", "classes", multiple=True, metavar="C",
              help="Only individuals of this class (repeatable), e.g. Challenge, Regulation, 'AI use'.")
@click.option("--property", "properties", multiple=True, metavar="P", help="Only links of this relation (repeatable).")
@click.option("--include", "include", multiple=True, type=click.Choice(["events", "statistics", "sources"]),
              help="Bring back what the network view folds away (repeatable).")
@click.option("--layout", type=click.Choice(["spring", "kamada-kawai", "shell"]), default=None,
              help="Network layout  [default: spring]")
@click.option("--communities", "by_community", is_flag=True,
              help="Colour nodes by modularity community, each named by its most central member.")
@click.pass_obj
def viz(opts: Options, output: str | None, view: str | None, focus: str | None, depth: int, classes: tuple[str, ...],
        properties: tuple[str, ...], include: tuple[str, ...], layout: str | None, by_community: bool) -> None:
    """Draw who governs AI in healthcare, or how any part of the graph connects."""
    import json
    import re

    from aihkg.graph.network import communities, governance_map, network_view
    from aihkg.graph.viz import draw_picture

    html = bool(output and output.lower().endswith(".html"))
    network_only = {"--class": classes, "--property": properties, "--communities": by_community, "--layout": layout,
                    "--include": include}
    if view is None:
        view = "network" if html or focus or any(network_only.values()) else "governance"
    elif view == "governance":
        given = [name for name, value in network_only.items() if value]
        if given:
            raise UsageProblem(f"{', '.join(given)} {'applies' if len(given) == 1 else 'apply'} to --view network")
        if html:
            raise UsageProblem("the governance map is drawn as .png, .svg or .pdf; the .html page shows the network")
    kg = opts.kg()
    focus_iri = kg.resolve(focus) if focus else None
    if view == "governance":
        g = governance_map(kg.store, focus=focus_iri)
    else:
        g = network_view(kg.store, classes=classes, properties=properties, focus=focus_iri, depth=depth,
                         include=include, with_sources=html)
    if output is None:
        name = re.sub(r"[^a-z0-9]+", "-", re.split(r"[/#]", focus_iri.rstrip("/#"))[-1].lower()).strip("-")[:60] \
            if focus_iri else ""
        stem = "aihkg-" + ("-".join(filter(None, ["governance", name])) if view == "governance" else name or "graph")
        output = f"{stem}.png"
    if view == "governance":
        title = ("aihkg governance map: AI uses → the challenges they face → the rules and programmes that address "
                 "them → the bodies behind them")
        if focus_iri:
            title = f"aihkg governance map through {g.nodes[focus_iri]['label']}: {title.split(': ', 1)[1]}"
    else:
        what = (f"neighbourhood of {g.nodes[g.graph['focus']]['label']} (depth {depth})" if focus
                else "the AI-in-healthcare knowledge graph")
        if classes:
            what += f", classes: {', '.join(classes)}"
        if properties:
            what += f", relations: {', '.join(properties)}"
        title = f"aihkg: {what}: {g.number_of_nodes()} individuals, {g.number_of_edges()} links"
    groups = communities(g) if by_community else None
    cache_name = json.dumps([view, focus_iri, depth, sorted(classes), sorted(properties), sorted(include), layout,
                             by_community])
    try:
        if output.lower().endswith(".html"):
            from aihkg.web.page import write_html  # the page `aihkg serve` shows at /graph, for offline use

            facts = write_html(g, output, title=title, layout=layout or "spring", groups=groups)
        else:
            facts = draw_picture(g, output, layout=layout, title=title, groups=groups,
                                 edge_labels=bool(focus) and view == "network", cache_name=cache_name)
    except OSError as exc:
        from aihkg.graph.atomic import write_error

        raise DataProblem(write_error(output, exc)) from None
    click.echo(output)
    note(f"{facts['nodes']} individuals, {facts['edges']} links"
         + (f", {facts['labelled']} labelled" if "labelled" in facts else ""))


@cli.command("path")
@click.argument("start")
@click.argument("end")
@click.option("--all", "all_paths", is_flag=True, help="Every shortest path, not just one.")
@click.option("--via-all", is_flag=True,
              help="Also pass through events, statistics and jurisdictions (skipped by default: they link everything).")
@click.pass_obj
def path(opts: Options, start: str, end: str, all_paths: bool, via_all: bool) -> None:
    """The shortest chain of relationships between two entities (labels, acronyms, CURIEs or IRIs)."""
    from aihkg.graph import deadline
    from aihkg.graph.network import BYPASSED_BY_DEFAULT, build_network, format_path, shortest_paths

    kg = opts.kg()
    deadline.start(opts.timeout)
    a, b = kg.resolve(start), kg.resolve(end)
    g = build_network(kg.store)
    found = shortest_paths(g, a, b, all_paths=all_paths, bypass=() if via_all else BYPASSED_BY_DEFAULT)
    if not found:
        raise DataProblem(f"no chain of relationships links '{start}' and '{end}'")
    from aihkg.graph.terminal import printable

    for steps in found:
        click.echo(printable(format_path(g, steps)))
    note(f"{len(found)} path(s) of {len(found[0])} link(s)")


@cli.command("rank")
@click.option("--by", type=click.Choice(["degree", "betweenness", "pagerank"]), default="degree", show_default=True)
@click.option("--class", "classes", multiple=True, metavar="C", help="Only rank individuals of this class.")
@click.option("--top", type=click.IntRange(min=0), default=20, show_default=True, help="How many (0 = all).")
@click.option("--format", "fmt", type=click.Choice(RESULT_FORMATS), default="table", show_default=True)
@click.pass_obj
def rank(opts: Options, by: str, classes: tuple[str, ...], top: int, fmt: str) -> None:
    """The most central entities of the network."""
    import pyoxigraph as ox

    from aihkg.graph import deadline
    from aihkg.graph.network import build_network
    from aihkg.graph.network import rank as rank_nodes
    from aihkg.graph.stores import Result
    from aihkg.queries.formats import render

    kg = opts.kg()
    deadline.start(opts.timeout)
    g = build_network(kg.store)
    ranked = rank_nodes(g, by, classes, top)
    xsd = "http://www.w3.org/2001/XMLSchema#decimal"
    rows = [(ox.Literal(str(i)), ox.NamedNode(n), ox.Literal(g.nodes[n]["label"]), ox.Literal(g.nodes[n]["cls"]),
             ox.Literal(f"{score:.4f}", datatype=ox.NamedNode(xsd)))
            for i, (n, score) in enumerate(ranked, 1)]
    result = Result("select", ["rank", "entity", "entityLabel", "class", by], rows)
    click.echo(render(result, fmt, limit=0), nl=False, color=True)


@cli.command("gaps")
@click.option("--format", "fmt", type=click.Choice(RESULT_FORMATS), default="table", show_default=True)
@click.pass_obj
def gaps(opts: Options, fmt: str) -> None:
    """Where governance falls short: unaddressed challenges, exposed uses, unenforced rules, unlinked bodies."""
    from aihkg.graph import deadline
    from aihkg.queries.formats import render

    kg = opts.kg()
    deadline.start(opts.timeout)
    sections = [
        ("Challenges that no regulation addresses", "challenges_without_regulation"),
        ("AI uses with the most unaddressed challenges", "uses_with_unaddressed_challenges"),
        ("Binding rules with no enforcing organisation", "regulations_without_enforcer"),
        ("Organisations with no link to a regulation", "organisations_without_regulation"),
    ]
    for i, (title, name) in enumerate(sections):
        result = kg.run(name)
        if fmt in ("table", "md"):
            click.echo(("\n" if i else "") + f"## {title} (aihkg query {name})")
        elif i:
            click.echo("")
        click.echo(render(result, fmt, labels=None, limit=0), nl=False, color=True)


@cli.command("communities")
@click.option("--top", type=click.IntRange(min=1), default=8, show_default=True,
              help="Members to list per community.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def communities_cmd(opts: Options, top: int, fmt: str) -> None:
    """Groups of closely linked entities found by modularity (Louvain, seeded)."""
    import json
    from collections import Counter

    from aihkg.graph import compact, deadline
    from aihkg.graph.network import build_network, communities

    kg = opts.kg()
    deadline.start(opts.timeout)
    g = build_network(kg.store)
    groups = communities(g)
    from aihkg.graph.terminal import printable

    if fmt == "json":
        click.echo(json.dumps([{"community": i + 1, "size": len(c), "members": c} for i, c in enumerate(groups)],
                              indent=2))
        return
    for i, group in enumerate(groups, 1):
        kinds = Counter(g.nodes[n]["top"] for n in group).most_common(3)
        click.echo(f"community {i}: {len(group)} members ({', '.join(f'{k} {v}' for k, v in kinds)})")
        for n in group[:top]:
            click.echo(printable(f"  - {g.nodes[n]['label']} ({compact(n)})"))
        if len(group) > top:
            click.echo(f"  ... and {len(group) - top} more")
    note(f"{len(groups)} communities over {g.number_of_nodes()} individuals")


# ---------------------------------------------------------------------- web explorer

DEFAULT_SERVE_TIMEOUT = 10.0


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (another host than 127.0.0.1 exposes the graph to the network).")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port; the URL printed says which).")
@click.option("--timeout", "serve_timeout", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help=f"Stop a request's query after this long (default {DEFAULT_SERVE_TIMEOUT:g} s, or the global "
                   "--timeout when given; 0: no limit).")
@click.option("--max-rows", type=click.IntRange(min=0), default=10_000, show_default=True,
              help="Rows a /sparql answer may carry (a notice and X-SPARQL-MaxRows say when it was cut; 0: no cap).")
@click.option("--cors", default=None, metavar="ORIGIN",
              help="Let web pages from ORIGIN (or '*') read answers (CORS is off by default).")
@click.option("--workers", type=click.IntRange(min=1, max=64), default=4, show_default=True,
              help="Worker processes that answer queries at once.")
@click.option("--no-cache", is_flag=True,
              help="Compute every answer afresh (by default the answers of a store that cannot change are kept).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, serve_timeout: float | None, max_rows: int, cors: str | None,
          workers: int, no_cache: bool) -> None:
    """A web explorer and read-only SPARQL 1.1 endpoint for the graph, until Ctrl-C.

    \b
    Pages: /  /search  /queries  /query/NAME  /id/NAME  /ontology  /graph  /sparql
    API:   /sparql (SPARQL 1.1 Protocol)  /query/NAME?format=csv|tsv|json  /openapi.json

    The graph is loaded once at start (the built-in graph and --data, in memory) and shared by the
    worker processes; a query that passes the timeout is stopped by ending its worker.
    """
    from aihkg.web.serve import run_server

    opts: Options = ctx.obj
    if serve_timeout is None:
        source = ctx.parent.get_parameter_source("timeout") if ctx.parent else None
        serve_timeout = opts.timeout if source not in (None, click.core.ParameterSource.DEFAULT) \
            else DEFAULT_SERVE_TIMEOUT
    run_server(opts.kg(), host=host, port=port, timeout=serve_timeout, max_rows=max_rows, cors=cors,
               workers=workers, allow_service=opts.allow_service, cache=not no_cache, echo=click.echo, note=note)


# ---------------------------------------------------------------------- stores


@cli.command("load")
@click.argument("files", nargs=-1, metavar="FILE ...")
@click.option("--refresh-builtin", is_flag=True, help="Replace the store's built-in graph with this version's.")
@click.pass_obj
def load(opts: Options, files: tuple[str, ...], refresh_builtin: bool) -> None:
    """Add RDF files to a persistent Oxigraph store (--store oxigraph:DIR), in bulk."""
    from aihkg.graph.stores import all_or_nothing, bulk_load, disk_store
    from aihkg.graph.stores import refresh_builtin as refresh

    spec = opts.store or os.environ.get("AIHKG_STORE") or "memory"
    if not spec.startswith("oxigraph:"):
        raise UsageProblem("`aihkg load` writes to a persistent store: use --store oxigraph:DIR "
                           "(for memory, pass --data FILE to any command)")
    if not files and not refresh_builtin:
        raise UsageProblem("name at least one FILE to load (or --refresh-builtin)")
    folder = spec.split(":", 1)[1]
    store = disk_store(folder, write=True, note=note)
    try:
        if refresh_builtin:
            note(f"replacing the built-in graph in {spec} ...")
            note(f"built-in graph: {refresh(store, folder):,} triples")
        if files:
            note(f"adding {len(files)} file(s) to {spec} (nothing else in the store changes)")
            held = len(store.store)  # a triple the store already holds is not added again: count what is new
            with all_or_nothing(store):  # a load that stops part-way leaves the store as it was
                total = bulk_load(store, files, data_format=opts.data_format, allow_remote=opts.allow_remote,
                                  progress=note)
            now = len(store.store)
            note(f"done: {now - held:,} new triples added to {spec} ({total:,} read; "
                 f"{total - (now - held):,} were already there); it holds {now:,}")
    finally:
        store.close()


@cli.command("push")
@click.option("--dry-run", is_flag=True, help="Say what would change, and change nothing.")
@click.pass_obj
def push(opts: Options, dry_run: bool) -> None:
    """Upload the built-in graph to a SPARQL endpoint (--store sparql:QUERY_URL,UPDATE_URL).

    The endpoint's aihkg graph (https://w3id.org/aihkg/graph, or the default graph when
    AIHKG_SPARQL_GRAPH=default) is replaced; nothing else on the server is touched.
    """
    from aihkg.graph.build import builtin_nquads
    from aihkg.graph.stores import SparqlStore, push_builtin

    kg = opts.kg()
    store = kg.store
    if not isinstance(store, SparqlStore):
        raise UsageProblem("`aihkg push` uploads to a SPARQL endpoint: use --store sparql:QUERY_URL,UPDATE_URL")
    count = builtin_nquads().count(b"\n")
    target = f"graph <{store.graph}>" if store.graph else "the default graph"
    note(f"will replace {target} at {store.update_url} with the built-in graph ({count:,} triples)")
    if dry_run:
        note("dry run: nothing sent")
        return
    sent = push_builtin(store, progress=note)
    note(f"done: {sent:,} triples in {target}")


@cli.group("cache")
def cache_group() -> None:
    """Inspect or clear the cache of the parsed and reasoned built-in graph."""


@cache_group.command("info")
def cache_info() -> None:
    """Where the cache is and what it holds."""
    from aihkg.graph import builtin
    from aihkg.graph.cache import cache_dir

    folder = cache_dir()
    click.echo(f"cache folder: {folder}")
    click.echo(f"built-in graph key: {builtin.content_hash()[:32]}")
    if folder.is_dir():
        for item in sorted(folder.iterdir()):
            if item.is_file() and not item.name.endswith(".lock"):
                click.echo(f"  {item.name}  {item.stat().st_size:,} bytes")


@cache_group.command("clear")
def cache_clear() -> None:
    """Remove every cache entry (they are rebuilt on demand)."""
    from aihkg.graph.cache import clear

    click.echo(f"removed {clear()} file(s)")


# ---------------------------------------------------------------------- diff


@cli.command("diff")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option("--format", "fmt", type=click.Choice(["text", "md", "json", "patch"]), default="text",
              show_default=True, help="text and md for people; json per entity; patch is RDF Patch (OLD -> NEW).")
@click.option("-o", "--output", default=None, metavar="FILE", help="Write the report to FILE instead of stdout.")
@click.option("--exit-code", is_flag=True, help="Exit 1 when the graphs differ (as `git diff --exit-code`).")
@click.pass_obj
def diff_cmd(opts: Options, old: str, new: str, fmt: str, output: str | None, exit_code: bool) -> None:
    """What changed from OLD to NEW, grouped by entity: added, removed and changed entities.

    OLD and NEW are RDF files (any format aihkg reads), or '-' for the graph of the current store
    (the built-in graph, with --data files, or the content of --store). Blank nodes are compared
    after canonicalisation, so files that differ only in blank-node labels are the same graph.
    --timeout bounds the whole command, as for every command (--timeout 0 for very large files).
    """
    from aihkg.graph.diff import diff

    kg = opts.kg() if "-" in (old, new) else None
    result = diff(old, new, data_format=opts.data_format, allow_remote=opts.allow_remote, timeout=opts.timeout,
                  kg=kg)
    emit(result.render(fmt), output)
    if exit_code and result:
        sys.exit(1)


# ---------------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every failure becomes one line on stderr and an exit code (2 usage, 1 data)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    code = 0
    try:
        rv = cli.main(args=args, prog_name="aihkg", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.NoArgsIsHelpError as exc:  # bare `aihkg`: help, not an error
        click.echo(exc.ctx.get_help() if exc.ctx else "", err=False)
        code = 0
    except click.UsageError as exc:
        where = f"aihkg {exc.ctx.info_name}" if exc.ctx and exc.ctx.parent else "aihkg"
        _fail(f"{_one_line(exc.format_message())} (see '{where} --help')", 2)
        code = 2
    except click.Abort:
        _fail("aborted", 1)
        code = 1
    except click.ClickException as exc:
        _fail(_one_line(exc.format_message()), exc.exit_code)
        code = exc.exit_code
    except BrokenPipeError:
        code = 0
        import contextlib

        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the interpreter's flush
    except (KeyboardInterrupt, _Interrupted):
        _fail("interrupted", 130)
        code = 130
    except Exception as exc:  # noqa: BLE001 - the boundary where everything becomes one line
        if isinstance(exc, AihkgError):
            code = exc.exit_code
            _fail(_one_line(str(exc)), code)
        elif isinstance(exc, RecursionError):
            code = 1
            _fail("the input is nested too deeply to process", code)
        elif isinstance(exc, MemoryError):
            code = 1
            _fail("out of memory", code)
        else:
            code = 1
            _fail(f"internal error: {type(exc).__name__}: {_one_line(str(exc))} "
                  "(run with --debug for the traceback)", code)
        if debug:
            import traceback

            traceback.print_exc()
    finally:
        from aihkg.graph import deadline
        from aihkg.graph.atomic import discard_open_temps

        deadline.cancel(exiting=True)
        discard_open_temps()
    sys.stdout.flush()
    sys.exit(code)


def _one_line(text: str) -> str:
    from aihkg.graph.terminal import one_line

    return one_line(text)


def _fail(message: str, code: int) -> None:
    """The one error line: control characters and terminal escapes in it are shown escaped."""
    click.echo(f"aihkg: error: {_one_line(message)}", err=True)


if __name__ == "__main__":
    main()
