"""Build the graph with rdflib: the built-in ontology and data, plus a user's own files.

rdflib is the API for building, validating and exporting. The query path reads the N-Quads this
module caches (see graph/stores.py), so a query never has to import rdflib.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, BinaryIO

from aihkg.graph import builtin, cache

if TYPE_CHECKING:
    import rdflib

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _parse_builtin(include_data: bool) -> "rdflib.Graph":
    import rdflib

    g = rdflib.Graph()
    for name, data in builtin.builtin_bytes():
        if include_data or name.startswith("ontology/"):
            g.parse(data=data, format="turtle", publicID=f"https://w3id.org/aihkg/{name}")
    return g


def builtin_nquads(include_data: bool = True) -> bytes:
    """The built-in graph as sorted N-Quads (all in the default graph), from the cache.

    With include_data=False, only the ontology: for working on one's own data alone.
    """
    return cache.cached(*_builtin_entry(include_data), suffix=".nq")


def builtin_nquads_source(include_data: bool = True) -> "BinaryIO | bytes":
    """`builtin_nquads` for a parser: the cache file open at the N-Quads (the caller closes it),
    or the bytes when they were built now."""
    return cache.cached_file(*_builtin_entry(include_data), suffix=".nq")


def _builtin_entry(include_data: bool) -> "tuple[str, str, Callable[[], bytes]]":
    key = builtin.content_hash()

    def build() -> bytes:
        import pyoxigraph as ox

        from aihkg.graph.canon import canonical_dataset

        if builtin.hash_files() != key:  # the bytes about to be parsed are not the ones the key names
            from aihkg.graph.errors import DataProblem

            raise DataProblem("the built-in data files changed while aihkg was reading them; run the command again")
        g = _parse_builtin(include_data)
        # rdflib names blank nodes afresh on every parse; canonical labels (RDFC-1.0) make every
        # build of the same sources byte-identical. The search for them is bounded (graph.canon),
        # like every other graph's, though the built-in graph is ours and takes milliseconds.
        dataset, _skipped = canonical_dataset(
            ox.parse(g.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES))
        lines = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS).splitlines(keepends=True)
        return b"".join(sorted(set(lines)))

    return ("builtin" if include_data else "ontology"), key, build


def ox_to_rdflib(term):  # noqa: ANN001, ANN201 - pyoxigraph term in, rdflib term out
    import pyoxigraph as ox
    import rdflib

    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        if term.datatype.value == XSD_STRING:
            return rdflib.Literal(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    if isinstance(term, ox.DefaultGraph):
        return None
    raise TypeError(f"unsupported term {term!r}")


def rdflib_to_ox(term):  # noqa: ANN001, ANN201 - rdflib term in, pyoxigraph term out
    import pyoxigraph as ox
    import rdflib

    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


def default_graph(ds: "rdflib.Dataset") -> "rdflib.Graph":
    """The Dataset's default graph (`default_graph` since rdflib 7.2; `default_context` before)."""
    return ds.default_graph if hasattr(type(ds), "default_graph") else ds.default_context


def add_quads(ds: "rdflib.Dataset", quads: Iterable) -> None:
    """Add pyoxigraph quads to an rdflib Dataset, keeping named graphs."""
    import rdflib

    default = default_graph(ds)
    for q in quads:
        g = ox_to_rdflib(q.graph_name)
        target = ds.graph(rdflib.URIRef(str(g))) if g is not None else default
        target.add((ox_to_rdflib(q.subject), ox_to_rdflib(q.predicate), ox_to_rdflib(q.object)))


def load_dataset(data_files: Sequence[str] = (), *, data_format: str | None = None,
                 allow_remote: bool = False, include_data: bool = True) -> "rdflib.Dataset":
    """The built-in graph (default graph) plus the user's files, as an rdflib Dataset.

    Triples from the user's files join the default graph; quads from TriG or N-Quads files keep
    their named graphs. The Dataset's default graph is the union, as queries see it.
    """
    import pyoxigraph as ox
    import rdflib

    from aihkg.graph.files import iter_rdf

    ds = rdflib.Dataset(default_union=True)
    bind_prefixes(ds)
    add_quads(ds, ox.parse(builtin_nquads(include_data), format=ox.RdfFormat.N_QUADS))
    for location in data_files:
        add_quads(ds, iter_rdf(location, format_override=data_format, allow_remote=allow_remote))
    return ds


def union_graph(ds: "rdflib.Dataset") -> "rdflib.Graph":
    """Every triple of every graph in `ds`, as one plain rdflib Graph."""
    import rdflib

    g = rdflib.Graph()
    bind_prefixes(g)
    for s, p, o, _ in ds.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


def load_graph(data_files: Sequence[str] = (), **kwargs: object) -> "rdflib.Graph":
    """The built-in graph plus the user's files, merged into one rdflib Graph."""
    return union_graph(load_dataset(data_files, **kwargs))  # type: ignore[arg-type]


def bind_prefixes(g: "rdflib.Graph") -> None:
    from aihkg.graph import PREFIXES

    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, override=True, replace=True)
