"""The canned-query catalog: one `.rq` file per question, self-described by its header.

A header is the run of ``#+`` comment lines at the top of the file, in YAML (grlc style)::

    #+ summary: Challenges ranked by how many AI uses they affect
    #+ description: >-
    #+   Longer text.
    #+ params:
    #+   - name: category
    #+     type: entity
    #+     class: aihkg:ChallengeCategory
    #+     required: false
    #+     description: Only challenges in this category.
    #+ tags: [challenges]

Each parameter is bound through a ``VALUES ?name { UNDEF }`` line in the body: the value (an RDF
term, serialised by Oxigraph) replaces ``UNDEF``; left unset, ``UNDEF`` constrains nothing. The
body is therefore runnable as it stands, by any SPARQL engine.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from aihkg.graph.errors import DataProblem, UsageProblem

PARAM_TYPES = ("entity", "iri", "string", "integer", "decimal", "year", "date", "boolean")
QUERY_PATH_ENV = "AIHKG_QUERY_PATH"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def placeholder(name: str) -> re.Pattern[str]:
    return re.compile(r"VALUES\s+\?" + re.escape(name) + r"\s*\{\s*UNDEF\s*\}")


@dataclass(frozen=True)
class Param:
    name: str
    type: str = "string"
    required: bool = False
    default: object = None
    description: str = ""
    cls: str | None = None  # for entity parameters: the class the entity must belong to
    multiple: bool = False

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "name": self.name, "type": self.type, "required": self.required,
            "default": self.default, "description": self.description, "multiple": self.multiple,
        }
        if self.cls:
            out["class"] = self.cls
        return out


@dataclass(frozen=True)
class CannedQuery:
    name: str
    summary: str
    description: str
    params: tuple[Param, ...]
    text: str  # the whole file, header included
    origin: str
    tags: tuple[str, ...] = field(default=())
    builtin: bool = False  # one of aihkg's own queries, not from a user's --queries folder

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name, "summary": self.summary, "description": self.description,
            "params": [p.as_dict() for p in self.params], "tags": list(self.tags), "origin": self.origin,
        }


# A header is a few lines a person wrote; these bounds refuse a "billion laughs" (600 bytes of
# nested YAML aliases that expand to gigabytes when the parsed value is walked) before it grows.
MAX_HEADER_CHARS = 65_536
MAX_HEADER_VALUES = 10_000


def _read_header(header: str, origin: str) -> Any:
    """The YAML of a `#+` header, parsed safely: no Python objects, and a bound on what aliases expand to."""
    import yaml

    if len(header) > MAX_HEADER_CHARS:
        raise DataProblem(f"{origin}: the #+ header is {len(header):,} characters; the limit is {MAX_HEADER_CHARS:,}")
    loader = yaml.SafeLoader(header)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}
        values = _expanded_values(node)
        if values > MAX_HEADER_VALUES:
            shown = "without end" if values == float("inf") else f"to {values:,.0f} YAML values"
            raise DataProblem(f"{origin}: the #+ header expands {shown} through its aliases (*name); "
                              f"the limit is {MAX_HEADER_VALUES:,}")
        return loader.construct_document(node) or {}
    except yaml.YAMLError as exc:
        from aihkg.graph.terminal import excerpt

        raise DataProblem(f"{origin}: the #+ header is not valid YAML "
                          f"({excerpt(str(exc).splitlines()[0], 120)})") from None
    except RecursionError:
        raise DataProblem(f"{origin}: the #+ header is nested too deeply to read") from None
    finally:
        loader.dispose()


def _expanded_values(root: Any) -> float:
    """How many values the composed YAML `root` holds once every alias is expanded, counted without
    expanding it: an alias is the same node object as its anchor, so each node is sized once. A
    node that contains itself (``&a [*a]``) expands without end."""
    import yaml

    def children(node: Any) -> list[Any]:
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        if isinstance(node, yaml.MappingNode):
            return [item for pair in node.value for item in pair]
        return []

    sizes: dict[int, float] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:  # depth first, without recursion: a node is sized once all its children are
        node, finished = stack.pop()
        if finished:
            open_nodes.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in children(node))
            continue
        if id(node) in sizes:
            continue
        open_nodes.add(id(node))
        stack.append((node, True))
        for child in children(node):
            if id(child) in open_nodes:
                return float("inf")
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


def _header_meta(name: str, header: str, origin: str) -> Any:
    """The parsed header, from the cache when this exact header was read before.

    Importing PyYAML costs a `query` process about a tenth of its start-up; the parsed header is
    kept as JSON, keyed by the header's hash. A header whose values JSON cannot hold unchanged
    (a YAML date, say) is parsed every time.
    """
    import hashlib
    import json

    from aihkg.graph.cache import cached

    def build() -> bytes:
        meta = _read_header(header, origin)
        try:
            body = json.dumps(meta, sort_keys=True)
        except (TypeError, ValueError):
            body = ""
        return (body if body and json.loads(body) == meta else "null").encode()

    key = hashlib.sha256(header.encode("utf-8")).hexdigest()
    slot = name if _NAME.match(name) else hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
    # check: an entry whose checksum holds but whose body is not JSON (written by a broken build,
    # say) is rebuilt, not an error on every later run.
    meta = json.loads(cached(f"query-header-{slot}", key, build, ".json", check=_is_json))
    return _read_header(header, origin) if meta is None else meta  # None: JSON cannot hold this header


def _is_json(body: bytes) -> bool:
    import json

    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def parse_query_file(name: str, text: str, origin: str) -> CannedQuery:
    """Read one `.rq` file's header and check its parameters against its body."""
    header_lines = []
    for line in text.splitlines():
        if line.startswith("#+"):
            header_lines.append(line[3:] if line.startswith("#+ ") else line[2:])
        elif line.strip() and not header_lines or header_lines and not line.startswith("#+"):
            break
    meta = _header_meta(name, "\n".join(header_lines), origin)
    if not isinstance(meta, dict) or not meta.get("summary"):
        raise DataProblem(f"{origin}: the #+ header needs at least a 'summary:' line")
    params = []
    for raw in meta.get("params") or []:
        if not isinstance(raw, dict) or not raw.get("name"):
            raise DataProblem(f"{origin}: every parameter in '#+ params:' needs a name")
        ptype = str(raw.get("type", "string"))
        if ptype not in PARAM_TYPES:
            raise DataProblem(f"{origin}: parameter '{raw['name']}' has unknown type '{ptype}' "
                              f"(use {', '.join(PARAM_TYPES)})")
        param = Param(
            name=str(raw["name"]), type=ptype, required=bool(raw.get("required", False)),
            default=raw.get("default"), description=str(raw.get("description", "")).strip(),
            cls=raw.get("class"), multiple=bool(raw.get("multiple", False)),
        )
        found = len(placeholder(param.name).findall(text))
        if found != 1:
            raise DataProblem(f"{origin}: parameter '{param.name}' needs exactly one "
                              f"'VALUES ?{param.name} {{ UNDEF }}' line in the query (found {found})")
        params.append(param)
    tags = meta.get("tags") or []
    return CannedQuery(
        name=name, summary=str(meta["summary"]).strip(), description=str(meta.get("description", "")).strip(),
        params=tuple(params), text=text, origin=origin,
        tags=tuple(str(t) for t in (tags if isinstance(tags, list) else [tags])),
    )


class Catalog:
    """The built-in queries plus any folders of the user's own `.rq` files (theirs win on a name clash)."""

    def __init__(self, extra_dirs: Iterable[str] = ()) -> None:
        dirs = list(extra_dirs)
        env = os.environ.get(QUERY_PATH_ENV)
        if env:
            dirs.extend(d for d in env.split(os.pathsep) if d)
        self.extra_dirs = dirs
        self._files: dict[str, tuple[str, object, bool]] | None = None
        self._parsed: dict[str, CannedQuery] = {}

    def _index(self) -> dict[str, tuple[str, object, bool]]:
        if self._files is None:
            files: dict[str, tuple[str, object, bool]] = {}
            for entry in (Path(__file__).resolve().parent / "catalog").iterdir():
                if entry.name.endswith(".rq"):
                    files[entry.name[:-3]] = (f"queries/catalog/{entry.name}", entry, True)
            for folder in self.extra_dirs:
                path = Path(folder)
                if not path.is_dir():
                    raise UsageProblem(f"--queries {folder}: no such folder")
                for entry in sorted(path.glob("*.rq")):
                    files[entry.stem] = (str(entry), entry, False)
            self._files = files
        return self._files

    def names(self) -> list[str]:
        return sorted(self._index())

    def get(self, name: str) -> CannedQuery:
        if name in self._parsed:
            return self._parsed[name]
        index = self._index()
        if name not in index:
            close = difflib.get_close_matches(name, list(index), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else "; `aihkg queries` lists them"
            raise UsageProblem(f"no canned query named '{name}'{hint}")
        origin, entry, builtin = index[name]
        if not _NAME.match(name):
            raise DataProblem(f"{origin}: query names are lower_snake_case")
        raw = entry.read_bytes()  # type: ignore[attr-defined]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise DataProblem(f"{origin}:{line}: not valid UTF-8 (byte offset {exc.start})") from None
        query = parse_query_file(name, text, origin)
        if builtin:
            query = replace(query, builtin=True)
        self._parsed[name] = query
        return query

    def __iter__(self) -> Iterator[CannedQuery]:
        for name in self.names():
            yield self.get(name)
