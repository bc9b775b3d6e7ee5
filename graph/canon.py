"""Canonical blank-node labels (RDF Dataset Canonicalization, RDFC-1.0), with a bound on the work.

Canonical labels make the same graph give the same bytes whichever store, process or run it comes
from (exports that diff cleanly, cache keys that hit). RDFC-1.0 is cheap when every blank node
can be told apart by the triples it is in: the "first-degree hash". When many cannot (a chain of
nested blank nodes, a ring), its search grows like n³ and faster: 400 nested ``[ ]`` take 8 s,
1,000 take minutes, 10,000 take more memory than the machine has. Oxigraph's implementation runs
in native code that cannot be interrupted, so such graphs are canonicalised in a child process
with a time and memory budget; past the budget, the blank nodes keep the labels they have and the
caller is told why. The triples are the same either way: only the labels differ between runs.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from typing import Any

# Work allowed to the search for canonical labels, in seconds and bytes of address space.
BUDGET_SECONDS = 3.0
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
    be found within the budget, the Dataset with its labels as they were and the reason."""
    import pyoxigraph as ox

    from aihkg.graph import deadline

    dataset = ox.Dataset(quads)
    hard = ambiguous_blank_nodes(dataset)
    if not hard or not sys.executable:
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        return dataset, None
    budget = BUDGET_SECONDS
    left = deadline.remaining()
    if left is not None:
        budget = max(0.1, min(budget, left - 0.5))
    data = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS)
    why = (f"{hard:,} blank nodes cannot be told apart by their own triples, and finding canonical "
           f"labels for them (RDFC-1.0) took more than")
    try:
        child = subprocess.run([sys.executable, "-I", "-c", _CHILD], input=data, capture_output=True,
                               timeout=budget)
    except subprocess.TimeoutExpired:
        return dataset, f"{why} {budget:g} s"
    except OSError:
        return dataset, f"{why} this system allows (no child process could start)"
    if child.returncode != 0:
        if b"memory allocation" in child.stderr or b"MemoryError" in child.stderr:
            return dataset, f"{why} {BUDGET_BYTES // 1024**2:,} MiB of memory"
        return dataset, f"finding canonical labels for {hard:,} blank nodes failed (exit code {child.returncode})"
    return ox.Dataset(ox.parse(child.stdout, format=ox.RdfFormat.N_QUADS)), None


def skipped_note(reason: str) -> str:
    return (f"aihkg: note: blank nodes keep arbitrary labels: {reason}; every triple is written, "
            "but the blank-node labels will differ from run to run")
