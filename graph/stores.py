"""Where queries run: one interface over four stores.

- ``memory`` (default): the built-in graph (from the cache) plus ``--data`` files, in an in-memory
  Oxigraph store. Fast to start; answers are the same as rdflib's (the tests prove it).
- ``rdflib``: the same content in an rdflib Dataset, queried by rdflib's SPARQL engine.
- ``oxigraph:DIR``: a persistent Oxigraph store, created on first use with the built-in graph;
  ``aihkg load`` adds data to it.
- ``sparql:QUERY_URL[,UPDATE_URL]``: any SPARQL 1.1 endpoint, through the SPARQL protocol.

Every store answers ``query(text, form)`` with a :class:`Result` of pyoxigraph terms, so the
formatting, the networkx views and the tests treat them all alike.

Queries read the default graph, which holds every triple once: quads a user loads into a named
graph (TriG, N-Quads) are also copied into it. Oxigraph's "default graph as union" option would
count a triple present in two graphs twice (a bag, not the set union RDF means), so it is used
only for stores aihkg did not build.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aihkg.graph import GRAPH_IRI, builtin
from aihkg.graph.errors import DataProblem, IncompleteResult, QueryTimeout, StoreProblem, UsageProblem

if TYPE_CHECKING:
    from aihkg.queries.guard import CheckedQuery

STORE_ENV = "AIHKG_STORE"
SPARQL_GRAPH_ENV = "AIHKG_SPARQL_GRAPH"


class Result:
    """A query's answer: SELECT rows, an ASK boolean, or CONSTRUCT/DESCRIBE triples."""

    # A plain class, not a dataclass: generating a dataclass's methods compiles source text, which
    # every query process would pay for at import.
    def __init__(self, kind: str, variables: list[str] | None = None, rows: list[tuple[Any, ...]] | None = None,
                 boolean: bool | None = None, triples: list[Any] | None = None, incomplete: str | None = None,
                 seconds: float = 0.0) -> None:
        self.kind = kind  # "select", "ask" or "graph"
        self.variables = variables if variables is not None else []
        self.rows = rows if rows is not None else []  # tuples of pyoxigraph terms or None
        self.boolean = boolean
        self.triples = triples if triples is not None else []  # pyoxigraph Triples
        self.incomplete = incomplete  # why the answer is known to be partial, if it is
        self.seconds = seconds

    def __repr__(self) -> str:
        size = f"{len(self.rows)} rows" if self.kind == "select" else \
            (f"boolean={self.boolean}" if self.kind == "ask" else f"{len(self.triples)} triples")
        return f"Result({self.kind!r}, variables={self.variables!r}, {size})"

    def __eq__(self, other: object) -> bool:
        return vars(self) == vars(other) if isinstance(other, Result) else NotImplemented

    __hash__ = None  # type: ignore[assignment] - mutable

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.variables, row, strict=False)) for row in self.rows]


class Store:
    """Interface every store implements.

    `query` is the one door to every engine and server: a text is admitted only as a
    guard.CheckedQuery (a plain string is checked first), SERVICE only where the store allows it,
    and a text the checker could not parse never leaves for a remote server. Subclasses run what
    was admitted in `_run`.
    """

    name = "store"
    writable = False
    allow_service = False  # set by open_store(allow_service=...)
    remote = False  # a server parses what is sent: only fully parsed texts may go

    def query(self, query: CheckedQuery | str, form: str | None = None) -> Result:
        """Run a query. `form` is accepted for older callers; the check decides the form."""
        return self._run(self.admit(query))

    def admit(self, query: CheckedQuery | str) -> CheckedQuery:
        from aihkg.queries import guard

        if isinstance(query, str):
            return guard.checked(query, allow_service=self.allow_service, remote=self.remote)
        if not isinstance(query, guard.CheckedQuery):
            raise TypeError(f"a store runs query texts, not {type(query).__name__}")
        if query.service and not self.allow_service:
            raise UsageProblem(guard.NO_SERVICE)
        if self.remote and not query.parsed:
            return guard.checked(query.text, allow_service=self.allow_service, remote=True)
        return query

    def _run(self, query: CheckedQuery) -> Result:
        raise NotImplementedError

    def triples(self) -> Iterator[tuple[Any, Any, Any, Any]]:
        """Every quad (subject, predicate, object, graph-or-None) the store holds for aihkg."""
        raise NotImplementedError

    def size(self) -> int:
        return sum(1 for _ in self.triples())

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- Oxigraph


def _ox_result(raw: Any, started: float) -> Result:
    import pyoxigraph as ox

    if isinstance(raw, ox.QueryBoolean):
        return Result("ask", boolean=bool(raw), seconds=time.perf_counter() - started)
    if isinstance(raw, ox.QuerySolutions):
        variables = [v.value for v in raw.variables]
        rows = [tuple(sol[v] for v in variables) for sol in raw]
        return Result("select", variables, rows, seconds=time.perf_counter() - started)
    return Result("graph", triples=list(raw), seconds=time.perf_counter() - started)


def encode_result(result: Result) -> bytes:
    """A Result as the bytes a sandboxed child hands back: a kind line, then SPARQL JSON or N-Triples."""
    import pyoxigraph as ox

    if result.kind == "ask":
        return b"ask\n" + (b"true" if result.boolean else b"false")
    if result.kind == "select":
        from aihkg.queries.formats import to_json

        return b"select\n" + to_json(result).encode("utf-8")
    return b"graph\n" + ox.serialize(result.triples, format=ox.RdfFormat.N_TRIPLES)


def decode_result(body: bytes, started: float) -> Result:
    import pyoxigraph as ox

    kind, _, data = body.partition(b"\n")
    try:
        if kind == b"ask":
            return Result("ask", boolean=data.strip() == b"true", seconds=time.perf_counter() - started)
        if kind == b"select":
            return _ox_result(ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON), started)
        if kind == b"graph":
            quads = ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
            triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
            return Result("graph", triples=triples, seconds=time.perf_counter() - started)
    except (SyntaxError, ValueError) as exc:
        raise StoreProblem(f"the isolated query's answer could not be read ({exc})") from None
    raise StoreProblem("the isolated query's answer could not be read")


class OxigraphStore(Store):
    """An Oxigraph store, in memory or on disk (`path`: the folder Oxigraph reads)."""

    def __init__(self, store: Any, name: str, writable: bool = False, lock: Any = None,
                 union: bool = False, path: str | None = None) -> None:
        self.store = store
        self.name = name
        self.writable = writable
        self._lock = lock
        self._union = union  # only for stores laid out by another tool
        self.path = path
        # On disk, ORDER BY reads every sort key back from RocksDB: aihkg's own queries are sorted
        # in Python instead (graph/ordering.py), to the same order. User texts keep the engine's
        # ORDER BY: parsers read odd texts differently, and a misread cut would change an answer.
        self.sort_in_python = path is not None

    def _run(self, query: CheckedQuery) -> Result:
        started = time.perf_counter()
        if not query.trusted:
            return self._run_isolated(query, started)
        if self.sort_in_python and query.form == "select":
            from aihkg.graph import ordering

            sorting = ordering.plan(query.text)
            if sorting is not None and sorting.sortable():
                result = self._engine(sorting.text, started)
                rows = ordering.order(result.variables, result.rows, sorting)
                if rows is not None:
                    result.rows = rows
                    result.seconds = time.perf_counter() - started
                    return result
                # a column only the engine sorts exactly: it runs the original text (timed in full)
        return self._engine(query.text, started)

    def _engine(self, text: str, started: float) -> Result:
        try:
            raw = self.store.query(text, use_default_graph_as_union=self._union)
            return _ox_result(raw, started)
        except SyntaxError as exc:
            raise UsageProblem(f"SPARQL syntax error: {exc}") from None
        except OSError as exc:
            raise StoreProblem(f"{self.name}: {exc}") from None
        except RuntimeError as exc:  # RocksDB reports damaged files as RuntimeError("Corruption: ...")
            if _is_damage(exc):
                raise _damaged(self.name, exc) from None
            raise

    def _run_isolated(self, query: CheckedQuery, started: float) -> Result:
        """A user's query, in a child process that cannot crash or outgrow this one (graph/sandbox.py)."""
        from aihkg.graph import sandbox

        if self.path is None:
            def work() -> bytes:
                return sandbox.serialize_raw(self.store.query(query.text, use_default_graph_as_union=self._union))

            body = sandbox.run_forked(work, allow_network=query.service)
        else:
            body = sandbox.run_spawned({"path": self.path, "union": self._union, "text": query.text},
                                       allow_network=query.service, timeout=None)
        return decode_result(body, started)

    def triples(self) -> Iterator[tuple[Any, Any, Any, Any]]:
        """Named-graph quads in their graphs; default-graph triples that are in no named graph."""
        try:
            yield from self._triples()
        except RuntimeError as exc:
            if _is_damage(exc):
                raise _damaged(self.name, exc) from None
            raise

    def _triples(self) -> Iterator[tuple[Any, Any, Any, Any]]:
        import pyoxigraph as ox

        named_graphs = list(self.store.named_graphs())
        for q in self.store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
            if named_graphs and any(True for _ in self.store.quads_for_pattern(q.subject, q.predicate, q.object,
                                                                                 None) if _.graph_name != q.graph_name):
                continue  # the copy of a named-graph quad: it is written with its graph below
            yield q.subject, q.predicate, q.object, None
        for graph in named_graphs:
            for q in self.store.quads_for_pattern(None, None, None, graph):
                yield q.subject, q.predicate, q.object, graph

    def size(self) -> int:
        """How many distinct triples queries see."""
        rows = self.store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", use_default_graph_as_union=self._union)
        return int(next(iter(rows))["n"].value)

    def close(self) -> None:
        self.store = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def memory_store(data_files: Sequence[str] = (), *, data_format: str | None = None,
                 allow_remote: bool = False, include_data: bool = True) -> OxigraphStore:
    """The built-in graph (or only the ontology) plus the user's files in an in-memory Oxigraph store."""
    import pyoxigraph as ox

    from aihkg.graph.build import builtin_nquads_source

    store = ox.Store()
    source = builtin_nquads_source(include_data)
    try:
        # lenient: the cache entry is aihkg's own N-Quads, written by Oxigraph from terms it had
        # checked, and its checksum held; checking every IRI again is a quarter of the load's time.
        store.load(source, format=ox.RdfFormat.N_QUADS, lenient=True)
    finally:
        if not isinstance(source, bytes):
            source.close()
    if data_files:
        from aihkg.graph.files import add_in_batches, iter_rdf

        for location in data_files:
            add_in_batches(store, visible(iter_rdf(location, format_override=data_format,
                                                   allow_remote=allow_remote)))
    return OxigraphStore(store, "memory")


def visible(quads: Iterable[Any]) -> Iterator[Any]:
    """Each quad, and for a quad in a named graph its triple in the default graph too (which queries read)."""
    import pyoxigraph as ox

    default = ox.DefaultGraph()
    for q in quads:
        yield q
        if not isinstance(q.graph_name, ox.DefaultGraph):
            yield ox.Quad(q.subject, q.predicate, q.object, default)


# --------------------------------------------------------------------------- rdflib


class RdflibStore(Store):
    """The graph in an rdflib Dataset, queried by rdflib's own SPARQL engine."""

    name = "rdflib"

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset

    def _run(self, query: CheckedQuery) -> Result:
        if query.trusted:
            return self._evaluate(query.text)
        from aihkg.graph import sandbox

        started = time.perf_counter()
        body = sandbox.run_forked(lambda: encode_result(self._evaluate(query.text)), allow_network=query.service)
        return decode_result(body, started)

    def _evaluate(self, text: str) -> Result:
        import rdflib.plugins.sparql as rdflib_sparql

        from aihkg.graph.build import rdflib_to_ox

        # rdflib would fetch FROM/FROM NAMED graphs from the web; we never load remote data.
        rdflib_sparql.SPARQL_LOAD_GRAPHS = False
        started = time.perf_counter()
        try:
            res = self.dataset.query(text)
        except RecursionError:
            raise UsageProblem("query is nested too deeply to parse") from None
        except Exception as exc:  # rdflib raises pyparsing errors for syntax, Python errors for the rest
            if type(exc).__name__ in {"ParseException", "ParseSyntaxException"}:
                raise UsageProblem(f"SPARQL syntax error: {exc}") from None
            raise StoreProblem(f"rdflib could not evaluate the query ({type(exc).__name__}: {exc})") from None
        seconds = time.perf_counter() - started
        if res.type == "ASK":
            return Result("ask", boolean=bool(res.askAnswer), seconds=seconds)
        if res.type == "SELECT":
            variables = [str(v) for v in res.vars]
            rows = [tuple(None if t is None else rdflib_to_ox(t) for t in row) for row in res]
            return Result("select", variables, rows, seconds=time.perf_counter() - started)
        import pyoxigraph as ox

        triples = [ox.Triple(rdflib_to_ox(s), rdflib_to_ox(p), rdflib_to_ox(o)) for s, p, o in res.graph]
        return Result("graph", triples=triples, seconds=time.perf_counter() - started)

    def triples(self) -> Iterator[tuple[Any, Any, Any, Any]]:
        import rdflib

        from aihkg.graph.build import rdflib_to_ox

        for s, p, o, g in self.dataset.quads((None, None, None, None)):
            ident = getattr(g, "identifier", g)
            named = None
            if ident is not None and ident != rdflib.graph.DATASET_DEFAULT_GRAPH_ID:
                import pyoxigraph as ox

                named = ox.NamedNode(str(ident))
            yield rdflib_to_ox(s), rdflib_to_ox(p), rdflib_to_ox(o), named


def rdflib_store(data_files: Sequence[str] = (), *, data_format: str | None = None,
                 allow_remote: bool = False, include_data: bool = True) -> RdflibStore:
    from aihkg.graph.build import load_dataset

    return RdflibStore(load_dataset(data_files, data_format=data_format, allow_remote=allow_remote,
                                    include_data=include_data))


# --------------------------------------------------------------------------- Oxigraph on disk


class _ReadOnlyFolder(Exception):
    """The store's folder cannot be written (a read-only mount, say)."""


class _FileLock:
    """A shared (readers) or exclusive (writers) advisory lock on a file, released on close.

    Readers of a store on a read-only file system need no lock: no process can write there. A lock
    held by another process is waited for until the command's --timeout, and then reported.
    """

    def __init__(self, path: Path, exclusive: bool, wait_note: Callable[[str], None] | None = None,
                 name: str = "the store") -> None:
        import errno
        import fcntl

        self._fh: Any = None
        try:
            self._fh = open(path, "a+")  # noqa: SIM115 - held for the store's lifetime
        except OSError as exc:
            if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise
            if exclusive:
                raise _ReadOnlyFolder(exc.strerror) from None
            try:
                self._fh = open(path)  # noqa: SIM115 - a read-only descriptor still takes a shared lock
            except OSError:
                return  # no lock file and no way to make one: nothing can write here either
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(self._fh, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            if wait_note:
                wait_note("waiting for another aihkg process using the store ...")
            self._wait(mode, name)

    def _wait(self, mode: int, name: str) -> None:
        import fcntl

        from aihkg.graph import deadline

        left = deadline.remaining()
        if left is None:
            fcntl.flock(self._fh, mode)
            return
        started = time.monotonic()
        stop = started + max(0.0, left - 0.5)
        while True:
            try:
                fcntl.flock(self._fh, mode | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= stop:
                    self._fh.close()
                    self._fh = None
                    raise StoreProblem(f"{name} is in use by another aihkg process (a `load` holds its lock); "
                                       f"stopped after waiting {time.monotonic() - started:.1f} s (--timeout)"
                                       ) from None
                time.sleep(0.05)

    def release(self) -> None:
        import fcntl

        if self._fh:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


def _damaged(name: str, exc: BaseException) -> StoreProblem:
    """A store whose files RocksDB finds corrupt: say so, and how to get a working store back."""
    from aihkg.graph.terminal import excerpt

    folder = name.split(":", 1)[-1]
    return StoreProblem(f"{name}: the store is damaged ({excerpt(str(exc), 120)}); move the folder {folder} "
                        f"aside and build the store again from your files (`aihkg --store {name} load FILE ...`)")


def _is_damage(exc: BaseException) -> bool:
    return "Corruption" in str(exc) or "corrupted" in str(exc)


def store_layout(folder: Path) -> tuple[Path, Path, bool]:
    """(store path, metadata path, managed?) for a store folder.

    A folder made by aihkg keeps the Oxigraph data in ``oxigraph/`` beside ``aihkg.json``; a
    folder that already is an Oxigraph store (made by the ``oxigraph`` CLI, say) is used as it is.
    """
    if (folder / "CURRENT").exists() and not (folder / "aihkg.json").exists():
        return folder, folder / ".aihkg.json", False
    return folder / "oxigraph", folder / "aihkg.json", True


def disk_store(folder: str, *, write: bool = False,
               note: Callable[[str], None] | None = None) -> OxigraphStore:
    """Open (creating on first use, with the built-in graph) a persistent Oxigraph store."""
    import pyoxigraph as ox

    from aihkg.graph.build import builtin_nquads

    name = f"oxigraph:{folder}"
    root = Path(folder).expanduser()
    if root.exists() and not root.is_dir():
        raise UsageProblem(f"{name}: not a folder")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreProblem(f"{name}: cannot create the store folder ({exc.strerror})") from None
    path, meta, managed = store_layout(root)
    lock_path = root / ".aihkg.lock"
    key = builtin.content_hash()
    if managed and not _meta_ok(meta):
        try:
            lock = _FileLock(lock_path, exclusive=True, wait_note=note, name=name)
        except _ReadOnlyFolder as exc:
            raise StoreProblem(f"{name}: cannot create the store: the folder is read-only ({exc})") from None
        try:
            if not _meta_ok(meta):
                if note:
                    note(f"creating the Oxigraph store in {root} with the built-in graph ...")
                store = ox.Store(str(path))
                # extend, not bulk_load: it keeps the blank-node labels (bulk_load renames them), so
                # refresh_builtin can later take exactly these triples out again. One transaction.
                store.extend(ox.parse(builtin_nquads(), format=ox.RdfFormat.N_QUADS))
                store.flush()
                del store
                _write_builtin_copy(root)
                _write_meta(meta, key)
        except OSError as exc:
            raise StoreProblem(f"{name}: cannot create the store ({exc})") from None
        finally:
            lock.release()
    if managed and _read_meta(meta).get("builtin") != key and note:
        note(f"{name}: the built-in graph in this store is from another aihkg version; "
             "run `aihkg load --refresh-builtin` to update it")
    if managed and (root / _REFRESH_JOURNAL).exists() and note:
        note(f"{name}: a refresh of the built-in graph was interrupted; run `aihkg load --refresh-builtin` "
             "to finish it")
    try:
        lock = _FileLock(lock_path, exclusive=write, wait_note=note, name=name)
    except _ReadOnlyFolder as exc:
        raise StoreProblem(f"{name}: the store folder is read-only ({exc}); `aihkg load` needs to write to it "
                           "(queries can still read it)") from None
    try:
        if write:
            _undo_interrupted_load(path, name, note)
        elif _undo_paths(path)[0].exists():
            # A load died without undoing its part (the process was killed): read the store as it was.
            if note:
                note(f"{name}: a load was interrupted; reading the store as it was before it "
                     "(the next `aihkg load` takes the partial load out)")
            path = _undo_paths(path)[0]
        store = ox.Store(str(path)) if write else ox.Store.read_only(str(path))
    except OSError as exc:
        lock.release()
        raise StoreProblem(f"{name}: cannot open the store ({exc})") from None
    except RuntimeError as exc:
        lock.release()
        if _is_damage(exc):
            raise _damaged(name, exc) from None
        raise StoreProblem(f"{name}: cannot open the store ({exc})") from None
    return OxigraphStore(store, name, writable=write, lock=lock, union=not managed, path=str(path))


def _read_meta(meta: Path) -> dict[str, Any]:
    try:
        return json.loads(meta.read_text())
    except (OSError, ValueError):
        return {}


def _meta_ok(meta: Path) -> bool:
    return bool(_read_meta(meta).get("builtin"))


def _write_meta(meta: Path, key: str) -> None:
    from aihkg.graph import __version__
    from aihkg.graph.atomic import atomic_write_bytes

    body = {"builtin": key, "aihkg": __version__}
    atomic_write_bytes(meta, json.dumps(body, indent=2).encode())


def _write_builtin_copy(root: Path) -> None:
    # Kept so that a later version can take exactly these triples out again (refresh_builtin).
    from aihkg.graph.atomic import atomic_write_bytes
    from aihkg.graph.build import builtin_nquads

    atomic_write_bytes(root / "builtin.nq", builtin_nquads())


_REFRESH_JOURNAL = "refresh-pending.nq"


def refresh_builtin(store: OxigraphStore, folder: str) -> int:
    """Replace the built-in triples in a persistent store with this version's; return how many there are.

    The previous version's triples (kept in builtin.nq at creation) are removed first; a triple the
    user also loaded is removed with them, since the store keeps one copy of each triple. Blank
    nodes are found by shape, not label: a store made before labels were kept (or one that earlier
    refreshes left with several copies) holds the old structures under other labels, and every copy
    that matches a structure of the old built-in graph goes.

    Safe to interrupt: the exact triples to remove are written to a journal first, and a later
    refresh finishes removing them before it adds the new graph (adding it twice changes nothing).
    """
    import pyoxigraph as ox

    from aihkg.graph.atomic import atomic_write_bytes
    from aihkg.graph.build import builtin_nquads

    root = Path(folder).expanduser()
    _, meta, managed = store_layout(root)
    if not managed:
        raise UsageProblem(f"oxigraph:{folder} was not created by aihkg; it has no built-in graph to refresh")
    journal = root / _REFRESH_JOURNAL
    db = store.store
    if journal.exists():
        pending = list(ox.parse(path=str(journal), format=ox.RdfFormat.N_QUADS))
    else:
        old = root / "builtin.nq"
        previous = list(ox.parse(path=str(old), format=ox.RdfFormat.N_QUADS)) if old.exists() else []
        pending = _copies_in_store(db, previous)
        atomic_write_bytes(journal, ox.serialize(pending, format=ox.RdfFormat.N_QUADS) if pending else b"")
    for quad in pending:
        db.remove(quad)
    new = builtin_nquads()
    db.extend(ox.parse(new, format=ox.RdfFormat.N_QUADS))
    db.flush()
    _write_builtin_copy(root)
    _write_meta(meta, builtin.content_hash())
    journal.unlink()
    return new.count(b"\n")


def _has_blank(quad: Any) -> bool:
    import pyoxigraph as ox

    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def _shape(quads: Iterable[Any]) -> bytes:
    """A blank-node structure with its labels canonicalised (RDFC-1.0): equal for equal structures."""
    import pyoxigraph as ox

    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)  # small: a built-in structure's size at most
    return b"".join(sorted(ox.serialize(dataset, format=ox.RdfFormat.N_QUADS).splitlines(keepends=True)))


def _copies_in_store(db: Any, previous: list[Any]) -> list[Any]:
    """The quads of `db` that are the previous built-in graph: its triples without blank nodes, and
    every blank-node structure of the store (in the default graph) shaped like one of its own."""
    import pyoxigraph as ox

    from aihkg.graph.disjoint import DisjointSets

    found = [q for q in previous if not _has_blank(q)]
    blank = [q for q in previous if _has_blank(q)]
    if not blank:
        return found
    sets = DisjointSets()
    for q in blank:
        ends = [t for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)]
        sets.union(str(ends[0]), str(ends[-1]))
    structures: dict[str, list[Any]] = {}
    for q in blank:
        end = q.subject if isinstance(q.subject, ox.BlankNode) else q.object
        structures.setdefault(sets.find(str(end)), []).append(q)
    shapes = {_shape(group) for group in structures.values()}
    largest = max(len(group) for group in structures.values())
    default = ox.DefaultGraph()
    visited: set[Any] = set()
    for group in structures.values():
        # Look for copies through the group's most specific triple: one with a named end.
        anchor = next((q for q in group if not (isinstance(q.subject, ox.BlankNode)
                                                and isinstance(q.object, ox.BlankNode))), group[0])
        subject = None if isinstance(anchor.subject, ox.BlankNode) else anchor.subject
        obj = None if isinstance(anchor.object, ox.BlankNode) else anchor.object
        for match in db.quads_for_pattern(subject, anchor.predicate, obj, default):
            start = match.subject if subject is None else match.object
            if not isinstance(start, ox.BlankNode) or start in visited:
                continue
            copy = _structure_at(db, start, largest, visited)
            if copy is not None and _shape(copy) in shapes:
                found.extend(copy)
    return found


def _structure_at(db: Any, start: Any, limit: int, visited: set[Any]) -> list[Any] | None:
    """The default-graph quads that link to `start` through blank nodes, or None past `limit` quads."""
    import pyoxigraph as ox

    default = ox.DefaultGraph()
    quads: set[Any] = set()
    todo = [start]
    visited.add(start)
    while todo:
        node = todo.pop()
        for q in (*db.quads_for_pattern(node, None, None, default), *db.quads_for_pattern(None, None, node, default)):
            quads.add(q)
            if len(quads) > limit:
                return None
            for end in (q.subject, q.object):
                if isinstance(end, ox.BlankNode) and end not in visited:
                    visited.add(end)
                    todo.append(end)
    return sorted(quads, key=str)


def _undo_paths(path: Path) -> tuple[Path, Path]:
    """(the checkpoint a load can be undone to, the name it takes once the load has succeeded)."""
    return path.with_name(f".{path.name}.load-undo"), path.with_name(f".{path.name}.load-done")


def _undo_interrupted_load(path: Path, name: str, note: Callable[[str], None] | None) -> None:
    """Put back the checkpoint of a load that did not finish; the store must be closed and locked.

    Each step is a rename or the removal of a folder nobody reads, so a crash between any two of
    them leaves a state this function finishes from.
    """
    import shutil

    undo, done = _undo_paths(path)
    partial = path.with_name(f".{path.name}.load-partial")
    for leftover in (done, partial, undo.with_name(undo.name + ".tmp")):  # .tmp: RocksDB's unfinished checkpoint
        shutil.rmtree(leftover, ignore_errors=True)
    if not undo.exists():
        return
    if path.exists():
        os.rename(path, partial)
    os.rename(undo, path)
    shutil.rmtree(partial, ignore_errors=True)
    if note:
        note(f"{name}: a load did not finish; the store is back as it was before it")


@contextmanager
def all_or_nothing(store: OxigraphStore, note: Callable[[str], None] | None = None) -> Iterator[None]:
    """Undo every change made inside the block if it does not finish (an error, --timeout, Ctrl-C).

    Oxigraph's bulk loader writes batch by batch, so a stopped load would leave part of a file in
    the store. A checkpoint (hard links to RocksDB's immutable files: cheap) is taken first and put
    back on failure; if the process is killed instead, the next open of the store puts it back.
    """
    import gc
    import shutil

    path = Path(store.path or "")
    undo, done = _undo_paths(path)
    try:
        store.store.backup(str(undo))
    except (OSError, RuntimeError) as exc:
        raise StoreProblem(f"{store.name}: cannot keep a checkpoint to undo a failed load ({exc}); "
                           "nothing was loaded") from None
    from aihkg.graph import deadline

    try:
        yield
        store.store.flush()
        late = deadline.overrun()
        if late:  # the loader held the GIL past --timeout, so the timer could not stop it: undo, as promised
            raise QueryTimeout(late)
    except BaseException:
        store.store = None  # closes the database (the lock stays held) so its folder can be swapped
        gc.collect()
        _undo_interrupted_load(path, store.name, None)
        raise
    os.rename(undo, done)  # from here on the load counts as done, even if the removal is cut short
    shutil.rmtree(done, ignore_errors=True)


def bulk_load(store: OxigraphStore, locations: Iterable[str], *, data_format: str | None,
              allow_remote: bool, progress: Callable[[str], None]) -> int:
    """Add files to a writable Oxigraph store, in bulk, reporting triples and rate; return total."""
    import pyoxigraph as ox

    from aihkg.graph.files import engine_errors, engine_ntriples, is_remote, iter_rdf, resolve_format

    total = 0
    for location in locations:
        started = time.perf_counter()
        if is_remote(location) or data_format == "check":
            raise UsageProblem(f"{location}: `aihkg load` reads local files only")
        fmt = resolve_format(location, data_format)  # an unknown extension is a usage error, before the file is read
        if Path(location).is_dir():
            raise DataProblem(f"{location}: is a folder, not an RDF file (name the files in it)")
        if not Path(location).exists():
            raise DataProblem(f"{location}: no such file")
        counter = {"n": 0, "next": 100_000}

        triples = engine_ntriples(location, data_format)
        try:
            if triples is not None:  # a big N-Triples file: Oxigraph reads it, without a Python object a triple
                progress(f"  {location}: {triples:,} triples, loading ...")
                try:
                    store.store.bulk_load(path=location, format=ox.RdfFormat.N_TRIPLES)
                except (SyntaxError, ValueError) as exc:
                    raise engine_errors(location, fmt, exc) from None
                counter["n"] = triples
            else:
                # The same reader as --data, so a file `load` accepts passes the same checks (literal
                # size, XML entity expansion, encoding); large files are streamed from disk.
                quads = _counted(iter_rdf(location, format_override=data_format), counter, location, started,
                                 progress)
                # Formats of triples only put nothing in a named graph: no default-graph copies to add.
                store.store.bulk_extend(quads if fmt in ("N_TRIPLES", "TURTLE", "RDF_XML") else visible(quads))
        except DataProblem as exc:
            raise DataProblem(f"{exc} (nothing from this load was kept)") from None
        seconds = time.perf_counter() - started
        progress(f"{location}: {counter['n']:,} triples loaded in {seconds:.2f} s "
                 f"({counter['n'] / max(seconds, 1e-9):,.0f} triples/s)")
        total += counter["n"]
    store.store.flush()
    return total


def _counted(quads: Iterable[Any], counter: dict[str, int], location: str, started: float,
             progress: Callable[[str], None]) -> Iterator[Any]:
    """Pass quads through, reporting progress every 100,000."""
    for q in quads:
        counter["n"] += 1
        if counter["n"] >= counter["next"]:
            rate = counter["n"] / max(time.perf_counter() - started, 1e-9)
            progress(f"  {location}: {counter['n']:,} triples ({rate:,.0f}/s)")
            counter["next"] += 100_000
        yield q


# --------------------------------------------------------------------------- SPARQL endpoints

_PROBE = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"
_ACCEPT = {
    "select": "application/sparql-results+json",
    "ask": "application/sparql-results+json",
    "graph": "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5",
}


class SparqlStore(Store):
    """A remote SPARQL 1.1 endpoint, spoken to through the SPARQL protocol."""

    remote = True

    def __init__(self, query_url: str, update_url: str | None, graph: str | None,
                 timeout: float, allow_remote: bool = False) -> None:
        self.allow_remote = allow_remote  # follow redirects to another server
        self.query_url = query_url
        self.update_url = update_url or query_url
        self.graph = graph
        self.timeout = timeout
        self.name = f"sparql:{query_url}"
        self._cap: int | None = None  # the server's row cap, once an answer has shown it
        self._uncapped_below = 0  # graph answers smaller than this are known not to be capped

    def _post(self, url: str, fields: list[tuple[str, str]], accept: str) -> tuple[bytes, Any]:
        import http.client
        import urllib.error
        import urllib.parse
        import urllib.request

        body = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Accept": accept,
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "aihkg",
        })
        opener = urllib.request.build_opener(_redirects(self.name, self.allow_remote))
        try:
            with opener.open(request, timeout=self.timeout) as response:
                return _read_capped(response, self.name), response.headers
        except urllib.error.HTTPError as exc:
            detail = exc.read(2000).decode("utf-8", "replace").strip().splitlines()
            first = next((line.strip() for line in detail if line.strip()), exc.reason)
            from aihkg.graph.terminal import excerpt

            first = excerpt(str(first), 200)
            if exc.code in (400,):
                raise UsageProblem(f"{self.name} rejected the query: {first}") from None
            raise StoreProblem(f"{self.name}: HTTP {exc.code}: {first}") from None
        except http.client.HTTPException as exc:
            raise StoreProblem(f"{self.name}: the server's answer is not valid HTTP ({_http_fault(exc)})") from None
        except TimeoutError:
            from aihkg.graph.errors import QueryTimeout

            raise QueryTimeout(f"{self.name}: no answer within {self.timeout:g} s (--timeout)") from None
        except OSError as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, http.client.HTTPException):
                raise StoreProblem(f"{self.name}: the server's answer is not valid HTTP ({_http_fault(reason)})"
                                   ) from None
            raise StoreProblem(f"cannot reach {url}: {reason}") from None

    def _run(self, query: CheckedQuery) -> Result:
        import pyoxigraph as ox

        text, form = query.text, query.form
        started = time.perf_counter()
        fields = [("query", text)]
        if self.graph:
            fields.append(("default-graph-uri", self.graph))
        kind = "select" if form in ("select", "ask") else "graph"
        raw, headers = self._post(self.query_url, fields, _ACCEPT[form if form in _ACCEPT else "graph"])
        if kind == "select":
            try:
                parsed = ox.parse_query_results(_relabel_bnodes(raw), format=ox.QueryResultsFormat.JSON)
            except (SyntaxError, ValueError) as exc:
                raise StoreProblem(f"{self.name}: answer is not SPARQL JSON results ({exc})") from None
            result = _ox_result(parsed, started)
        else:
            content_type = (headers.get("Content-Type") or "application/n-triples").split(";")[0].strip()
            fmt = ox.RdfFormat.from_media_type(content_type) or ox.RdfFormat.N_TRIPLES
            try:
                triples = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(raw, format=fmt)]
            except SyntaxError as exc:
                raise StoreProblem(f"{self.name}: answer is not valid RDF ({exc})") from None
            result = Result("graph", triples=triples, seconds=time.perf_counter() - started)
        result.incomplete = _truncation(headers, result)
        self._note_cap(headers)
        if kind == "graph" and result.incomplete is None:
            result.incomplete = self._graph_cap(len(result.triples))
        return result

    def _note_cap(self, headers: Any) -> None:
        cap = headers.get("X-SPARQL-MaxRows")
        if cap is not None and cap.strip().isdigit():
            self._cap = int(cap)

    def _graph_cap(self, count: int) -> str | None:
        """Whether `count` triples may be a server's silent cap (Virtuoso caps CONSTRUCT and
        DESCRIBE at ResultSetMaxRows with no header); asks the server at most once per size."""
        if self._cap is None and count >= self._uncapped_below and count > 0:
            # A SELECT of count+1 rows: a server capping at or below `count` says so (X-SPARQL-MaxRows).
            from aihkg.queries import guard

            limit = f"LIMIT {int(count) + 1}"  # digits only: the probe keeps its template's verdict
            probe = self.query(guard.refill(guard.template(_PROBE), _PROBE.replace("LIMIT 1", limit)))
            if probe.incomplete is None:
                self._uncapped_below = count + 1
        if self._cap is not None and count >= self._cap:
            return (f"the server caps answers at {self._cap} rows and sent {count} triples, so the graph "
                    "may be cut (servers such as Virtuoso send no signal for CONSTRUCT or DESCRIBE)")
        return None

    def triples(self) -> Iterator[tuple[Any, Any, Any, Any]]:
        # SELECT, not CONSTRUCT: Virtuoso cuts both at ResultSetMaxRows but signals it only for SELECT.
        from aihkg.queries import guard

        result = self.query(guard.template("SELECT ?s ?p ?o WHERE { ?s ?p ?o }"))
        if result.incomplete:
            raise IncompleteResult(f"{self.name}: {result.incomplete}; the graph cannot be read whole")
        for s, p, o in result.rows:
            yield s, p, o, None

    def update(self, text: str) -> None:
        self._post(self.update_url, [("update", text)], "*/*")


def _truncation(headers: Any, result: Result) -> str | None:
    """Why a server's answer is partial, from the signals servers send, or None."""
    max_rows = headers.get("X-SPARQL-MaxRows")
    if max_rows is not None:
        return f"the server capped the answer at {max_rows} rows (X-SPARQL-MaxRows)"
    state = headers.get("X-SQL-State") or ""
    if state.strip().upper() == "S1TAT":
        message = (headers.get("X-SQL-Message") or "query interrupted by the server's time limit")
        message = message.split("Activity:")[0].removeprefix("RC...:").strip()
        return f"the server returned a partial answer: {message} (X-SQL-State S1TAT)"
    return None


def _relabel_bnodes(raw: bytes) -> bytes:
    """SPARQL JSON results whose blank-node labels pyoxigraph accepts.

    Virtuoso writes {"type": "bnode", "value": "nodeID://b10032"}; a label may hold only name
    characters, so each distinct value becomes b0, b1 ... (one node keeps one label in an answer).
    """
    if b'"bnode"' not in raw:
        return raw
    try:
        data = json.loads(raw)
    except ValueError:
        return raw  # let the parser report it
    labels: dict[str, str] = {}
    for binding in (data.get("results") or {}).get("bindings") or []:
        for term in binding.values():
            if isinstance(term, dict) and term.get("type") == "bnode":
                term["value"] = labels.setdefault(str(term.get("value")), f"b{len(labels)}")
    return json.dumps(data).encode()


# An answer larger than this is refused while it is read, before it can exhaust memory.
MAX_RESPONSE_BYTES = 256 * 1024 * 1024


def _redirects(name: str, allow_remote: bool) -> Any:
    """A redirect handler that follows only to the same server (scheme, host, port), or anywhere with
    --allow-remote, and always with the same method and body: urllib turns a redirected POST into a
    GET without its body, and the server then answers a request that holds no query (0 rows, exit 0)."""
    import urllib.parse
    import urllib.request

    class Redirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
            here, there = urllib.parse.urlsplit(req.full_url), urllib.parse.urlsplit(newurl)
            if there.scheme not in ("http", "https"):
                raise StoreProblem(f"{name}: the server redirected to {_shown_url(newurl)}, which is not http(s)")
            if (here.scheme, here.hostname, here.port) != (there.scheme, there.hostname, there.port) \
                    and not allow_remote:
                raise StoreProblem(f"{name}: the server redirected the request to another server "
                                   f"({_shown_url(newurl)}); it was not followed (pass --allow-remote to follow it)")
            # urllib reads the redirect's body whole before it follows; read it here, bounded.
            drained = 0
            while chunk := fp.read(65536):
                drained += len(chunk)
                if drained > 1024 * 1024:
                    raise StoreProblem(f"{name}: the server sent a redirect with a body of more than 1 MiB")
            return urllib.request.Request(newurl, data=req.data, method=req.get_method(),
                                          headers=dict(req.header_items()), origin_req_host=req.origin_req_host)

    return Redirects()


def _shown_url(url: str) -> str:
    from aihkg.graph.terminal import excerpt

    return excerpt(url, 100)


def _read_capped(response: Any, name: str, limit: int | None = None) -> bytes:
    """The response body, read in pieces and refused once it passes `limit` bytes."""
    limit = MAX_RESPONSE_BYTES if limit is None else limit
    length = response.headers.get("Content-Length")
    if length and length.strip().isdigit() and int(length) > limit:
        raise StoreProblem(f"{name}: the answer is {int(length):,} bytes; aihkg reads at most {limit:,} "
                           "(narrow the query or add LIMIT)")
    parts: list[bytes] = []
    total = 0
    while chunk := response.read(1 << 20):
        total += len(chunk)
        if total > limit:
            raise StoreProblem(f"{name}: the answer is larger than {limit:,} bytes; stopped reading it "
                               "(narrow the query or add LIMIT)")
        parts.append(chunk)
    if length and length.strip().isdigit() and total < int(length):
        # http.client returns a short body without complaint when read in pieces.
        raise StoreProblem(f"{name}: the server's answer is not valid HTTP (the body ended after {total:,} of "
                           f"the {int(length):,} bytes it announced: truncated)")
    return b"".join(parts)


def _http_fault(exc: BaseException) -> str:
    import http.client

    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(exc, http.client.IncompleteRead):
        return f"the body ended after {len(exc.partial):,} bytes, before the length it announced (truncated)"
    if isinstance(exc, http.client.LineTooLong):
        return "a header or status line is too long"
    if isinstance(exc, http.client.BadStatusLine):
        return "a malformed status line"
    if "more than" in str(exc) and "headers" in str(exc):
        return "too many headers"
    from aihkg.graph.terminal import excerpt

    return f"{type(exc).__name__}: {excerpt(str(exc), 60)}"


def _check_url(url: str, spec: str) -> str:
    import urllib.parse

    usage = f"--store sparql:{spec}: expected sparql:QUERY_URL or sparql:QUERY_URL,UPDATE_URL with http(s) URLs"
    if not url.startswith(("http://", "https://")) or any(c.isspace() or ord(c) < 32 for c in url):
        raise UsageProblem(usage)
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise UsageProblem(f"{usage} ({exc})") from None
    if not parts.hostname:
        raise UsageProblem(f"{usage} (no host in {url!r})")
    return url


def graph_name(value: str) -> Any:
    """The pyoxigraph NamedNode for AIHKG_SPARQL_GRAPH, or a UsageProblem: the name goes into SPARQL
    Update text (push), where anything but a valid IRI could end the IRI and add commands."""
    import pyoxigraph as ox

    from aihkg.graph.terminal import excerpt

    try:
        return ox.NamedNode(value)
    except ValueError as exc:
        raise UsageProblem(f"{SPARQL_GRAPH_ENV}='{excerpt(value, 60)}' is not a valid IRI ({exc}); "
                           "name the graph with an absolute IRI, or 'default'") from None


def sparql_store(spec: str, timeout: float, allow_remote: bool = False) -> SparqlStore:
    urls = [u.strip() for u in spec.split(",") if u.strip()]
    if not urls or len(urls) > 2 or not all(u.startswith(("http://", "https://")) for u in urls):
        raise UsageProblem(f"--store sparql:{spec}: expected sparql:QUERY_URL or sparql:QUERY_URL,UPDATE_URL")
    urls = [_check_url(u, spec) for u in urls]
    graph = os.environ.get(SPARQL_GRAPH_ENV, GRAPH_IRI)
    if graph not in ("", "default"):
        graph = graph_name(graph).value
    # --timeout 0 means no limit; a socket timeout of 0 would mean "never wait".
    return SparqlStore(urls[0], urls[1] if len(urls) == 2 else None,
                       None if graph in ("", "default") else graph, timeout or None, allow_remote)  # type: ignore[arg-type]


def push_builtin(store: SparqlStore, progress: Callable[[str], None], chunk: int = 500) -> int:
    """Replace the aihkg graph on a SPARQL endpoint with the built-in graph, by SPARQL Update.

    The graph is uploaded into a staging graph beside the target, then moved over the target in
    one update (SPARQL 1.1 MOVE: the server drops the target and renames the staging graph). An
    interrupted push leaves the target as it was and a partial staging graph, which the next push
    drops first; queries never read the staging graph. Every IRI in the update text is an RDF term
    serialised by Oxigraph, never pasted text.
    """
    import pyoxigraph as ox

    from aihkg.graph.build import builtin_nquads

    target = graph_name(store.graph) if store.graph else None
    staging = graph_name(f"{store.graph or GRAPH_IRI}/aihkg-staging")
    quads = list(ox.parse(builtin_nquads(), format=ox.RdfFormat.N_QUADS))
    groups = _bnode_closed_groups([(q.subject, q.predicate, q.object) for q in quads])
    # INSERT { ... } WHERE {} inserts exactly the triples INSERT DATA would (one solution, so each
    # blank-node label is one new node per request), but Virtuoso 7 rejects blank nodes in INSERT
    # DATA ("not allowed in a constant clause") and accepts them in a template. 500 triples a request
    # keep under Virtuoso's limit on the SQL it generates for one update (2000 fail, SP031).
    store.update(f"DROP SILENT GRAPH {staging}")
    batch: list[str] = []
    sent = 0
    for group in groups:
        batch.extend(f"{s} {p} {o} ." for s, p, o in group)
        if len(batch) >= chunk:
            store.update(f"INSERT {{ GRAPH {staging} {{\n" + "\n".join(batch) + "\n} } WHERE {}")
            sent += len(batch)
            progress(f"  {sent:,} of {len(quads):,} triples sent")
            batch = []
    if batch:
        store.update(f"INSERT {{ GRAPH {staging} {{\n" + "\n".join(batch) + "\n} } WHERE {}")
        sent += len(batch)
    store.update(f"MOVE SILENT GRAPH {staging} TO " + (f"GRAPH {target}" if target else "DEFAULT"))
    return sent


def _bnode_closed_groups(triples: list[tuple[Any, Any, Any]]) -> list[list[tuple[Any, Any, Any]]]:
    """Group triples so that each blank node travels with the triples that mention it.

    Blank-node labels are scoped to one update request, so a structure such as an OWL list must
    not be split across requests.
    """
    import pyoxigraph as ox

    from aihkg.graph.disjoint import DisjointSets

    sets = DisjointSets()
    keys = []
    for s, _, o in triples:
        key = str(s)
        if isinstance(o, ox.BlankNode):
            sets.union(str(o), key)
        keys.append(key)
    grouped: dict[str, list[tuple[Any, Any, Any]]] = {}
    for key, triple in zip(keys, triples, strict=False):
        grouped.setdefault(sets.find(key), []).append(triple)
    return list(grouped.values())


# --------------------------------------------------------------------------- opening


def open_store(spec: str | None = None, *, data_files: Sequence[str] = (), data_format: str | None = None,
               allow_remote: bool = False, timeout: float = 60.0, write: bool = False,
               note: Callable[[str], None] | None = None, include_data: bool = True,
               allow_service: bool = False) -> Store:
    """Open the store named by `spec` (or $AIHKG_STORE, or memory).

    include_data=False leaves the built-in instance data out (the ontology stays), so a user can
    work on their own files alone; it applies to the memory and rdflib stores. allow_service=True
    lets its queries use SPARQL SERVICE (off: refused before any connection).
    """
    store = _open_store(spec, data_files=data_files, data_format=data_format, allow_remote=allow_remote,
                        timeout=timeout, write=write, note=note, include_data=include_data)
    store.allow_service = allow_service
    return store


def _open_store(spec: str | None, *, data_files: Sequence[str], data_format: str | None, allow_remote: bool,
                timeout: float, write: bool, note: Callable[[str], None] | None, include_data: bool) -> Store:
    spec = spec or os.environ.get(STORE_ENV) or "memory"
    kind, _, rest = spec.partition(":")
    if kind == "memory" and not rest:
        return memory_store(data_files, data_format=data_format, allow_remote=allow_remote,
                            include_data=include_data)
    if kind == "rdflib" and not rest:
        return rdflib_store(data_files, data_format=data_format, allow_remote=allow_remote,
                            include_data=include_data)
    if not include_data:
        raise UsageProblem("--no-builtin-data applies to the memory and rdflib stores")
    if data_files:
        raise UsageProblem(f"--data merges files into the memory or rdflib store only; "
                           f"use `aihkg load FILE` to add data to {spec}")
    if kind == "oxigraph" and rest:
        return disk_store(rest, write=write, note=note)
    if kind == "sparql" and rest:
        return sparql_store(rest, timeout, allow_remote)
    raise UsageProblem(f"unknown store '{spec}' (use memory, rdflib, oxigraph:DIR or sparql:URL)")
