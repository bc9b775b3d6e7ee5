"""Canonical blank-node labels (RDF Dataset Canonicalization, RDFC-1.0), with a bound on the work.

Canonical labels make the same graph give the same bytes whichever store, process or run it comes
from (exports that diff cleanly, cache keys that hit). RDFC-1.0 is cheap when every blank node
can be told apart by the triples it is in: the "first-degree hash". When many cannot (a chain of
nested blank nodes, a ring), its search grows like n³ and faster: 400 nested ``[ ]`` take 8 s,
1,000 take minutes, 10,000 take more memory than the machine has. Oxigraph's implementation runs
in native code that cannot be interrupted, so the quads that mention blank nodes (the only ones
RDFC-1.0 reads) are canonicalised in a child process with a time and memory budget: 40 ms for the
built-in graph's. Past the budget, the blank nodes keep the labels they have and the caller is
told why. The triples are the same either way: only the labels differ between runs.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from typing import Any

# Work allowed to the search for canonical labels, in seconds and bytes of address space.
# The time grows with the blank-node quads an easy graph holds too (5 s for 235,000 of them).
BUDGET_SECONDS = 3.0
BUDGET_SECONDS_PER_QUAD = 25e-6
BUDGET_BYTES = 512 * 1024**2

_CHILD = f"""
import resource, sys
soft, hard = resource.getrlimit(resource.RLIMIT_AS)
cap = {BUDGET_BYTES} if soft == resource.RLIM_INFINITY else min(soft, {BUDGET_BYTES})
resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
import pyoxigraph as ox
d = ox.Dataset(ox.parse(sys.stdin.buffer.read(), format=ox.RdfFormat.N_QUADS))
d.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
sys.stdout.buffer.write(ox.serialize(d, format=ox.RdfFormat.N_QUADS))
"""


def ambiguous_blank_nodes(quads: Iterable[Any]) -> int:
    """How many blank nodes share their first-degree signature with another (RDFC-1.0, 4.6).

    The signature is the sorted quads that mention the node, with the node itself written _:a and
    every other blank node _:z: what RDFC-1.0 hashes first. Nodes with a unique one get their
    canonical label at once; only the rest need the search that can blow up.
    """
    import pyoxigraph as ox

    lines: dict[Any, list[str]] = {}
    for q in quads:
        terms = (q.subject, q.predicate, q.object, q.graph_name)
        blanks = {t for t in terms if isinstance(t, ox.BlankNode)}
        for node in blanks:
            lines.setdefault(node, []).append(
                " ".join("_:a" if t == node else "_:z" if isinstance(t, ox.BlankNode) else str(t) for t in terms))
    counts: dict[tuple[str, ...], int] = {}
    for node_lines in lines.values():
        key = tuple(sorted(node_lines))
        counts[key] = counts.get(key, 0) + 1
    return sum(n for n in counts.values() if n > 1)


def canonical_dataset(quads: Iterable[Any]) -> tuple[Any, str | None]:
    """A pyoxigraph Dataset of `quads` with RDFC-1.0 labels, and None; or, when the labels could not
    be found within the budget, the Dataset with its labels as they were and the reason.

    Only the quads that mention a blank node take part in canonicalisation (RDFC-1.0 hashes nothing
    else), so only they go to the child process that searches for the labels.
    """
    import pyoxigraph as ox

    every = list(quads)
    blank = [q for q in every if _mentions_blank(q)]
    if not blank:
        return ox.Dataset(every), None
    relabelled, why = _canonical_in_child(blank)
    if relabelled is None:
        return ox.Dataset(every), why
    return ox.Dataset([q for q in every if not _mentions_blank(q)] + relabelled), None


def _mentions_blank(q: Any) -> bool:
    import pyoxigraph as ox

    return isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) \
        or isinstance(q.graph_name, ox.BlankNode)


def _canonical_in_child(blank: list[Any]) -> tuple[list[Any] | None, str | None]:
    """The blank-node quads relabelled by a child process within the budget, or None and why not."""
    import pyoxigraph as ox

    from aihkg.graph import deadline

    if not sys.executable:  # embedded without an interpreter to start: no bound can be kept
        dataset = ox.Dataset(blank)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        return list(dataset), None
    budget = BUDGET_SECONDS + BUDGET_SECONDS_PER_QUAD * len(blank)
    left = deadline.remaining()
    if left is not None:
        budget = max(0.1, min(budget, left - 0.5))
    data = ox.serialize(blank, format=ox.RdfFormat.N_QUADS)
    try:
        child = subprocess.run([sys.executable, "-I", "-c", _CHILD], input=data, capture_output=True,
                               timeout=budget)
    except subprocess.TimeoutExpired:
        return None, f"{_hard_ones(blank)} took more than {budget:.1f} s"
    except OSError:
        return None, "finding them needs a child process, and none could start"
    if child.returncode != 0:
        if b"memory allocation" in child.stderr or b"MemoryError" in child.stderr:
            return None, f"{_hard_ones(blank)} needed more than {BUDGET_BYTES // 1024**2:,} MiB of memory"
        return None, f"the search for them failed (exit code {child.returncode})"
    return list(ox.parse(child.stdout, format=ox.RdfFormat.N_QUADS)), None


def _hard_ones(blank: list[Any]) -> str:
    what = "finding canonical labels (RDFC-1.0)"
    if len(blank) > 200_000:
        return what
    return f"{ambiguous_blank_nodes(blank):,} blank nodes cannot be told apart by their own triples, and {what}"


def skipped_note(reason: str) -> str:
    return (f"aihkg: note: blank nodes keep arbitrary labels: {reason}; every triple is written, "
            "but the blank-node labels will differ from run to run")
