"""Turn bench/work/results.json into bench/results.md and bench/latency.png."""

from __future__ import annotations

import math
import statistics
from pathlib import Path
from typing import Any

STORE_TITLES = {
    "memory": "memory (in-memory Oxigraph, `memory_store` + `--data FILE`)",
    "oxigraph": "oxigraph:DIR (persistent Oxigraph, created + `aihkg load` / `bulk_load`)",
    "rdflib": "rdflib (rdflib Dataset + rdflib SPARQL, `rdflib_store` + `--data FILE`)",
}
INF = math.inf

# Targets (from the brief).
COLD_MAX_S = 0.25
COLD_MAX_RATIO = 0.5
LOAD_MAX_S = 10.0
MEDIAN_MAX_S = 0.5
SLOWEST_MAX_S = 3.0
SPEEDUP_MIN = 10.0
# The on-disk store (issue 11): bound by RocksDB lookups, so at least 2x rdflib on every query and
# 15x over the 30 queries one after another.
DISK_SPEEDUP_MIN = 2.0
DISK_AGGREGATE_MIN = 15.0
RSS_MAX_MIB = 1024.0


def latency(rec: dict[str, Any] | None) -> float | None:
    """A query's median seconds; inf when capped; None when not measured (error or missing)."""
    if not rec:
        return None
    if rec.get("capped"):
        return INF
    return rec.get("median")


def fmt_s(seconds: float | None, cap: float | None = None) -> str:
    if seconds is None:
        return "n/a"
    if seconds == INF:
        return f"> {cap:g} s" if cap else "capped"
    if seconds < 0.001:
        return f"{seconds * 1000:.2f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_q(rec: dict[str, Any] | None, cap: float) -> str:
    if not rec:
        return "n/a"
    if rec.get("error"):
        return "error"
    if rec.get("capped"):
        if rec.get("skipped", "").startswith("predicted"):
            return f"> {cap:g} s ²"
        if rec.get("skipped"):
            return f"> {cap:g} s ¹"
        return f"> {cap:g} s (capped)"
    text = fmt_s(rec.get("median"))
    runs = rec.get("runs") or []
    return text + ("" if len(runs) >= 5 else f" ({len(runs)} run{'s' if len(runs) != 1 else ''})")


def summary(store: dict[str, Any]) -> tuple[float | None, float | None, str]:
    """(median over queries, slowest, slowest query's name); capped queries count as infinite."""
    values = {name: latency(rec) for name, rec in store.get("queries", {}).items()}
    measured = {k: v for k, v in values.items() if v is not None}
    if not measured:
        return None, None, ""
    slowest_name = max(measured, key=lambda k: measured[k])
    ordered = sorted(measured.values())
    return statistics.median(ordered), measured[slowest_name], slowest_name


def ratio_text(slow: float | None, fast: float | None, cap: float) -> tuple[str, float | None]:
    """slow/fast as text, and the lower bound value used to judge targets."""
    if slow is None or fast is None:
        return "n/a", None
    if fast == INF and slow == INF:
        return "both capped", None
    if fast == INF:
        return f"< {cap / slow:.2g}" if slow else "n/a", None
    if slow == INF:
        bound = cap / fast if fast else INF
        return f"> {bound:,.0f}×", bound
    value = slow / fast if fast else INF
    return f"{value:,.1f}×", value


def replace_section(target: Path, begin: str, end: str, text: str) -> None:
    """Put `text` (which starts with `begin` and ends with `end`) in place of that section of `target`.

    Each benchmark owns one section of results.md between its own markers; a section not there yet
    is added at the end, and the rest of the file is kept as it is.
    """
    current = target.read_text(encoding="utf-8") if target.exists() else "# aihkg benchmark results\n"
    text = text.strip("\n")
    if begin in current and end in current:
        before, rest = current.split(begin, 1)
        after = rest.split(end, 1)[1].lstrip("\n")
        current = before.rstrip("\n") + "\n\n" + text + "\n" + ("\n" + after if after else "")
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    target.write_text(current, encoding="utf-8")


def write_report(results: dict[str, Any], bench: Path) -> None:
    if not results:
        raise SystemExit("no results yet: run python bench/run.py first")
    target = bench / "results.md"
    # Other benchmarks (bench/viz.py, bench/load.py, bench/diff.py ...) keep their own sections at the end
    # of results.md, each between its own markers; a rewrite from results.json carries them all over.
    kept = ""
    if target.exists() and "\n<!-- bench/" in (old := target.read_text(encoding="utf-8")):
        kept = "\n" + old[old.index("\n<!-- bench/") + 1:]
    target.write_text(markdown(results, bench) + kept, encoding="utf-8")
    plot(results, bench / "latency.png")


def markdown(res: dict[str, Any], bench: Path) -> str:
    m = res["machine"]
    s = res["settings"]
    cap = float(s["cap"])
    out: list[str] = ["# aihkg benchmark results", ""]
    every_store = "memory,oxigraph,rdflib"
    stores_arg = "" if s.get("stores", every_store) == every_store else f" --stores {s['stores']}"
    budget_arg = "" if float(s.get("budget", 30)) == 30 else f" --budget {float(s['budget']):g}"
    out.append(f"Run of {m['date']} by `python bench/run.py --sizes {s['sizes']} --repeat {s['repeat']} "
               f"--cap {cap:g}{budget_arg}{stores_arg}{' --skip-cold' if not res.get('cold') else ''}` "
               f"({res.get('total_seconds', 0) / 60:.0f} min in all).")
    out += ["", "## Machine", "",
            f"- CPU: {m['cpu']} ({m['cpus']} CPUs visible), memory {m['memory']}",
            f"- {m['platform']}; Python {m['python']}",
            f"- pyoxigraph {m['pyoxigraph']}, rdflib {m['rdflib']}, roqet {m['roqet']}, {m['hyperfine']}",
            f"- code and canned queries: commit {m.get('git_head', '?')} (query texts are bound once at the start "
            "of the run, bench/work/prepared.json, and used for every size and store)",
            f"- load average (1 min) when the run started: {m.get('loadavg', ['?'])[0]}; other work on this "
            "2-core machine (the project's test suites) ran at times during the run, so expect noise",
            f"- built-in graph {res['builtin']['hash']}: {res['builtin']['triples']:,} triples "
            f"({res['split']['shared']:,} ontology triples written once, {res['split']['per_copy']:,} triples "
            "about individuals per copy)", ""]
    out += ["## How to read this", "",
            f"- Each query: one warm-up run, then up to {s['repeat']} timed runs; the median of those is shown. "
            f"A query whose runs add up to more than {float(s['budget']):g} s gets fewer runs (the count is shown).",
            f"- A single run is stopped after {cap:g} s: **> {cap:g} s (capped)**. "
            f"¹ = not run because it was already over the cap at a smaller size; "
            f"² = not run because its time at the smaller size times the growth in triples is more than "
            f"{2 * cap:g} s (a linear extrapolation; real growth was quadratic where we could check).",
            "- Latency is `store.query(checked)` as `aihkg query NAME` calls it (the bound text under the canned "
            "query's own verdict, run in the process): the query and turning every row into pyoxigraph terms; on "
            "oxigraph:DIR that includes sorting the rows in Python (graph/ordering.py). Parameters are bound once "
            "beforehand by the product's own `prepare()` (entity parameters by IRI, which copy 0 keeps).",
            "- Load time is the product's path: `memory_store([FILE])`, `rdflib_store([FILE])`, or for "
            "oxigraph:DIR creating the store (built-in graph, as on first use) plus `bulk_load` of the other "
            "copies (what `aihkg load FILE` does). Peak memory is `ru_maxrss` of the child process that "
            "loaded that store at that size and ran every query on it.",
            "- `median` below is the median over all canned queries of their median latency (capped queries "
            "count as slowest).", ""]

    sizes = res.get("sizes", {})
    out += ["## Scaled graphs", "", "| size | copies | triples | N-Triples file | raw Oxigraph load (engine only) "
            "| raw Oxigraph bulk load to disk (engine only) |", "|---|---:|---:|---:|---:|---:|"]
    for label, e in sizes.items():
        raw = e.get("raw_oxigraph_load", {})
        disk = e.get("raw_oxigraph_disk_load", {})
        on_disk = f"{fmt_s(disk.get('seconds'))}, {disk.get('rss_mib', 0):.0f} MiB" if disk else "(not run)"
        out.append(f"| {label} | {e['copies']} | {e['triples']:,} | {e['file_mib']:.1f} MiB | "
                   f"{fmt_s(raw.get('seconds'))}, {raw.get('rss_mib', 0):.0f} MiB | {on_disk} |")
    out.append("")

    stores = list(dict.fromkeys(st for e in sizes.values() for st in e["stores"]))
    for store in stores:
        out += [f"## Store: {STORE_TITLES.get(store, store)}", "",
                "| size | triples | load | peak memory | median query | slowest query | capped | load avg after |",
                "|---|---:|---:|---:|---:|---|---:|---:|"]
        for label, e in sizes.items():
            st = e["stores"].get(store)
            if not st:
                continue
            med, slow, slow_name = summary(st)
            capped = sum(1 for r in st.get("queries", {}).values() if r.get("capped"))
            load = st.get("load", {})
            extra = ""
            if store == "oxigraph" and load.get("disk_mib"):
                extra = f" ({load['disk_mib']:.0f} MiB on disk"
                engine = e.get("raw_oxigraph_disk_load", {}).get("seconds")
                if engine and load.get("seconds"):
                    extra += f"; {load['seconds'] / engine:.2f}× the engine's own bulk load to disk"
                extra += ")"
            out.append(f"| {label} | {e['triples']:,} | {fmt_s(load.get('seconds'))}{extra} | "
                       f"{st.get('rss_mib', 0):.0f} MiB | {fmt_s(med, cap)} | "
                       f"{fmt_s(slow, cap)} `{slow_name}` | {capped} | {st.get('loadavg_after', '')} |")
        out.append("")

    if sizes:
        top_label = list(sizes)[-1]
        top = sizes[top_label]["stores"]
        out += [f"## Per query at {top_label} ({sizes[top_label]['triples']:,} triples)", "",
                "| query | memory | oxigraph:DIR | rdflib | rdflib ÷ oxigraph:DIR | rdflib ÷ memory | rows |",
                "|---|---:|---:|---:|---:|---:|---:|"]
        for name in res["queries"]:
            recs = {st: top.get(st, {}).get("queries", {}).get(name) for st in ("memory", "oxigraph", "rdflib")}
            r_ox, _ = ratio_text(latency(recs["rdflib"]), latency(recs["oxigraph"]), cap)
            r_mem, _ = ratio_text(latency(recs["rdflib"]), latency(recs["memory"]), cap)
            rows = next((r.get("rows") for r in recs.values() if r and r.get("rows") is not None), "")
            out.append(f"| `{name}` | {fmt_q(recs['memory'], cap)} | {fmt_q(recs['oxigraph'], cap)} | "
                       f"{fmt_q(recs['rdflib'], cap)} | {r_ox} | {r_mem} | {rows} |")
        out.append("")
        out += ["## Per query, every size", "",
                "| query | " + " | ".join(f"{st} {lb}" for st in stores for lb in sizes) + " |",
                "|---|" + "---:|" * (len(stores) * len(sizes))]
        for name in res["queries"]:
            cells = [fmt_q(sizes[lb]["stores"].get(st, {}).get("queries", {}).get(name), cap)
                     for st in stores for lb in sizes]
            out.append(f"| `{name}` | " + " | ".join(cells) + " |")
        out.append("")

    out += binding_section(res)
    out += rewrites_section(res, bench)
    out += cold_section(res)
    out += roqet_section(res)
    out += targets_section(res)
    return "\n".join(out) + "\n"


def binding_section(res: dict[str, Any]) -> list[str]:
    """The product's parameter binding (prepare), which checks entity parameters against the store."""
    sizes = res.get("sizes", {})
    names = sorted(res.get("params", {}))
    if not sizes or not names:
        return []
    stores = list(dict.fromkeys(st for e in sizes.values() for st in e["stores"]))
    out = ["## Binding entity parameters (`KnowledgeGraph.prepare`)", "",
           "Checking that an entity given by IRI is in the graph (`queries/bind.py` `_EXISTS`), timed once per "
           "query, outside the latencies above; stopped after " + f"{res['settings'].get('prepare_cap', 10)} s.",
           "", "| query | " + " | ".join(f"{st} {lb}" for st in stores for lb in sizes) + " |",
           "|---|" + "---:|" * (len(stores) * len(sizes))]
    for name in names:
        cells = []
        for st in stores:
            for lb in sizes:
                rec = sizes[lb]["stores"].get(st, {}).get("queries", {}).get(name) or {}
                if rec.get("prepare_capped"):
                    cells.append(f"> {rec['prepare_capped']:g} s")
                else:
                    cells.append(fmt_s(rec.get("prepare_seconds")))
        out.append(f"| `{name}` | " + " | ".join(cells) + " |")
    out.append("")
    return out


def rewrites_section(res: dict[str, Any], bench: Path) -> list[str]:
    import json

    path = bench / "work" / "rewrites.json"
    if not path.is_file():
        return []
    data = json.loads(path.read_text())
    sizes = res.get("sizes", {})
    top = sizes[list(sizes)[-1]]["stores"] if sizes else {}
    cap = float(res["settings"]["cap"])
    out = ["## Proposed rewrites (`bench/rewrites/`, checked by `bench/check_rewrites.py`)", "",
           "Same rows as the catalog's query on the built-in graph, on both the memory and the rdflib store "
           "(compared as tests/canned.py compares engines); latency of the rewrite at the largest size, "
           "median of 5 after a warm-up, next to the original's from the tables above.", "",
           "| query | identical rows (built-in) | rdflib original → rewrite (built-in) | memory original | memory "
           "rewrite | oxigraph:DIR original | oxigraph:DIR rewrite |", "|---|---|---:|---:|---:|---:|---:|"]
    for name, rec in data.get("builtin", {}).items():
        sc = data.get("scale", {}).get(name, {})
        mem = sc.get("memory rewrite", {}).get("median")
        disk = sc.get("oxigraph:DIR rewrite", {}).get("median")
        o_mem = fmt_q(top.get("memory", {}).get("queries", {}).get(name), cap)
        o_disk = fmt_q(top.get("oxigraph", {}).get("queries", {}).get(name), cap)
        ro, rr = rec.get("rdflib original s"), rec.get("rdflib rewrite s")
        ro_text = fmt_s(ro) if isinstance(ro, float) else f"{ro}".replace(" (not compared)", " s (not compared)")
        out.append(f"| `{name}` | {'yes' if rec.get('identical') else '**NO**'} ({rec.get('rows')} rows) | "
                   f"{ro_text} → {fmt_s(rr) if isinstance(rr, float) else rr} | {o_mem} | {fmt_s(mem)} | "
                   f"{o_disk} | {fmt_s(disk)} |")
    out.append("")
    return out


def cold_section(res: dict[str, Any]) -> list[str]:
    cold = res.get("cold")
    if not cold:
        return []
    runs = res["settings"]["cold_runs"]
    out = ["## Cold start on the built-in graph (whole process, warm cache)", "",
           f"Median of {runs} runs after one warm-up, all three measured in the same hyperfine invocation per "
           "query. `aihkg query` = `python -m aihkg query NAME --format csv`; plain rdflib = `bench/plain_rdflib.py` "
           "(import rdflib, parse ontology/aihkg.ttl + graph/data/**/*.ttl, run the .rq file); roqet = "
           "`roqet -i sparql -r csv -D builtin.nt NAME.rq` over `aihkg export -f nt`. Python caches compiled "
           "modules as it does by default (PYTHONDONTWRITEBYTECODE is cleared for these runs), so aihkg, run "
           "from the source tree, starts like an installed package and like rdflib, which pip compiled.", "",
           "| query | aihkg query | plain rdflib | roqet | aihkg ÷ rdflib | roqet ÷ aihkg | load avg |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    if res.get("cold_machine"):
        again = res["cold_machine"]
        out[2:2] = [f"Measured again on its own at {again['date']}, commit {again.get('git_head', '?')} "
                    "(`--only-cold`).", ""]
    for name, rec in cold.items():
        t = rec["timings"]
        a, r, q = (t.get(k, {}).get("median") for k in ("aihkg query", "plain rdflib", "roqet"))
        failed = rec.get("failed", {})

        def cell(v: float | None, key: str, failed: dict[str, str] = failed) -> str:
            return fmt_s(v) if v is not None else ("fails ³" if key in failed else "n/a")

        out.append(f"| `{name}` | {cell(a, 'aihkg query')} | {cell(r, 'plain rdflib')} | {cell(q, 'roqet')} | "
                   f"{f'{a / r:.2f}' if a and r else 'n/a'} | {f'{q / a:.2f}' if a and q else 'n/a'} | "
                   f"{rec.get('loadavg', '')} |")
    out += ["", "³ roqet cannot parse the query (see the roqet table).", ""]
    return out


def roqet_section(res: dict[str, Any]) -> list[str]:
    roq = res.get("roqet")
    if not roq:
        return []
    if "unavailable" in roq:
        return ["## roqet", "", roq["unavailable"], ""]
    ok = sum(1 for r in roq.values() if r.get("ok") and r.get("same"))
    runs = sum(1 for r in roq.values() if r.get("ok"))
    out = ["## roqet (rasqal) on every canned query", "",
           "Each query bound exactly as aihkg binds it (sample parameters, defaults), run by roqet over the "
           "N-Triples export of the built-in graph; rows compared with the memory store's answer.", "",
           f"roqet runs {runs} of {len(roq)}; {ok} of those return the same rows as aihkg (cells compared, "
           "numbers by value).", "",
           "| query | roqet | rows (roqet / aihkg) | time | why not |", "|---|---|---:|---:|---|"]
    for name, r in roq.items():
        if r.get("ok"):
            same = r.get("same")
            status = "runs, same rows" if same else "runs, **different rows**"
            why = "" if same else "e.g. " + r.get("difference", "").replace("|", "\\|")
            out.append(f"| `{name}` | {status} | {r.get('rows')} / {r.get('expected')} | {fmt_s(r.get('seconds'))} "
                       f"| {why} |")
        else:
            err = r.get("error", "").replace("|", "\\|")
            out.append(f"| `{name}` | **fails** | – / {r.get('expected')} | {fmt_s(r.get('seconds'))} | {err} |")
    out.append("")
    return out


def targets_section(res: dict[str, Any]) -> list[str]:
    out = ["## Targets", ""]
    s = res["settings"]
    cap = float(s["cap"])
    cold = res.get("cold") or {}
    if cold:
        worst = max(((n, r["timings"]["aihkg query"]["median"]) for n, r in cold.items()
                     if "aihkg query" in r["timings"]), key=lambda x: x[1], default=None)
        ratios = [(n, r["timings"]["aihkg query"]["median"] / r["timings"]["plain rdflib"]["median"])
                  for n, r in cold.items() if "aihkg query" in r["timings"] and "plain rdflib" in r["timings"]]
        if worst:
            met = worst[1] <= COLD_MAX_S
            out.append(f"- Cold `aihkg query` ≤ {COLD_MAX_S} s: **{'met' if met else 'NOT met'}** "
                       f"(slowest of {len(cold)}: {fmt_s(worst[1])} for `{worst[0]}`).")
        if ratios:
            w = max(ratios, key=lambda x: x[1])
            met = w[1] <= COLD_MAX_RATIO
            out.append(f"- Cold `aihkg query` ≤ {COLD_MAX_RATIO}× the plain rdflib script: "
                       f"**{'met' if met else 'NOT met'}** (worst ratio {w[1]:.2f} for `{w[0]}`; "
                       f"best {min(r for _, r in ratios):.2f}).")
    sizes = res.get("sizes", {})
    if not sizes:
        return out + [""]
    label = list(sizes)[-1]
    entry = sizes[label]
    rd = entry["stores"].get("rdflib", {})
    for store in ("oxigraph", "memory"):
        st = entry["stores"].get(store)
        if not st:
            continue
        name = "oxigraph:DIR" if store == "oxigraph" else "memory (in-memory Oxigraph)"
        out.append(f"- At {label} ({entry['triples']:,} triples) on **{name}**:")
        load = st.get("load", {}).get("seconds")
        if load is not None:
            out.append(f"  - load ≤ {LOAD_MAX_S:g} s: **{'met' if load <= LOAD_MAX_S else 'NOT met'}** "
                       f"({fmt_s(load)})")
        med, slow, slow_name = summary(st)
        if med is not None:
            out.append(f"  - median canned query ≤ {MEDIAN_MAX_S} s: "
                       f"**{'met' if med <= MEDIAN_MAX_S else 'NOT met'}** ({fmt_s(med, cap)})")
            slow_list = sorted(((n, latency(r)) for n, r in st["queries"].items()
                                if latency(r) is not None and latency(r) > SLOWEST_MAX_S),
                               key=lambda x: -x[1])
            over = ", ".join(f"`{n}` {fmt_s(v, cap)}" for n, v in slow_list)
            out.append(f"  - slowest ≤ {SLOWEST_MAX_S:g} s: **{'met' if slow <= SLOWEST_MAX_S else 'NOT met'}** "
                       f"(slowest `{slow_name}` {fmt_s(slow, cap)}"
                       + (f"; over {SLOWEST_MAX_S:g} s: {over}" if over else "") + ")")
        if rd:
            speedup_min = DISK_SPEEDUP_MIN if store == "oxigraph" else SPEEDUP_MIN
            timed = {n: (latency(rd.get("queries", {}).get(n)), latency(st["queries"].get(n))) for n in res["queries"]}
            judged = [(n, *ratio_text(slow, fast, cap)) for n, (slow, fast) in timed.items()]
            known = [(n, v) for n, _, v in judged if v is not None]
            fast = [n for n, v in known if v >= speedup_min]
            # a lower bound under the target (rdflib capped, Oxigraph slow) decides nothing
            bound_only = {n for n, t, v in judged if v is not None and t.startswith(">") and v < speedup_min}
            slow_ones = [f"`{n}` ({t})" for n, t, v in judged
                         if v is not None and v < speedup_min and n not in bound_only]
            unknown = [f"`{n}` ({t})" for n, t, v in judged if v is None or n in bound_only]
            known = [(n, v) for n, v in known if n not in bound_only]
            finite = [v for _, v in known if v != INF and v > 0]
            gm = math.exp(sum(math.log(v) for v in finite) / len(finite)) if finite else None
            verdict = "met" if known and len(fast) == len(known) and not unknown else "NOT met"
            out.append(f"  - ≥ {speedup_min:g}× faster than rdflib on the same queries: **{verdict}** "
                       f"({len(fast)} of {len(res['queries'])} queries at ≥ {speedup_min:g}×"
                       + (f"; geometric mean of the ratios, lower bounds included, {gm:,.0f}×" if gm else "")
                       + (f"; below {speedup_min:g}×: {', '.join(slow_ones)}" if slow_ones else "")
                       + (f"; undecided (both capped or a lower bound only): {', '.join(unknown)}" if unknown else "")
                       + ")")
            pairs = [(a, b) for a, b in timed.values() if a is not None and b is not None and b != INF]
            if pairs:
                slow_total = sum(cap if a == INF else a for a, _ in pairs)
                fast_total = sum(b for _, b in pairs)
                bounded = sum(1 for a, _ in pairs if a == INF)
                out.append(f"  - in aggregate, the {len(pairs)} queries one after another: rdflib "
                           f"{'≥ ' if bounded else ''}{fmt_s(slow_total)}"
                           + (f" ({bounded} capped or not run, counted as {cap:g} s)" if bounded else "")
                           + f", this store {fmt_s(fast_total)}: {'≥ ' if bounded else ''}"
                           f"{slow_total / fast_total:,.0f}×"
                           + (f" (target ≥ {DISK_AGGREGATE_MIN:g}×: **"
                              f"{'met' if slow_total / fast_total >= DISK_AGGREGATE_MIN else 'NOT met'}**)"
                              if store == "oxigraph" else " (a summary; the verdict above is per query)"))
        rss = st.get("rss_mib")
        if rss:
            out.append(f"  - peak memory < 1 GiB: **{'met' if rss < RSS_MAX_MIB else 'NOT met'}** ({rss:.0f} MiB)")
    out.append("")
    return out


def plot(res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = res.get("sizes", {})
    if not sizes:
        return
    cap = float(res["settings"]["cap"])
    colours = {"memory": "tab:blue", "oxigraph": "tab:green", "rdflib": "tab:red"}
    names = {"memory": "memory (Oxigraph in memory)", "oxigraph": "oxigraph:DIR (on disk)", "rdflib": "rdflib"}
    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=120)
    stores = list(dict.fromkeys(st for e in sizes.values() for st in e["stores"]))
    for store in stores:
        xs, med, slow, capped_x = [], [], [], []
        for e in sizes.values():
            st = e["stores"].get(store)
            if not st:
                continue
            m, sl, _ = summary(st)
            if m is None:
                continue
            xs.append(e["triples"])
            med.append(min(m, cap))
            slow.append(min(sl, cap))
            if sl == INF:
                capped_x.append(e["triples"])
        colour = colours.get(store, "black")
        ax.plot(xs, med, "o-", color=colour, label=f"{names.get(store, store)}: median query")
        ax.plot(xs, slow, "s--", color=colour, alpha=0.6, label=f"{names.get(store, store)}: slowest query")
        if capped_x:
            ax.plot(capped_x, [cap] * len(capped_x), "^", color=colour, markersize=11, alpha=0.6)
    ax.axhline(cap, color="grey", linestyle=":", linewidth=1)
    ax.text(min(e["triples"] for e in sizes.values()), cap * 1.15, f"cap {cap:g} s (▲ = slowest query capped)",
            fontsize=8, color="grey")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("triples in the graph")
    ax.set_ylabel("query latency, seconds (median of runs)")
    ax.set_title("aihkg canned queries: latency against graph size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right", framealpha=0.9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
