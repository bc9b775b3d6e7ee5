"""Load test of `aihkg serve` on 127.0.0.1: concurrent clients on canned queries and entity pages.

    python bench/load.py [--clients 50] [--seconds 30] [--think 0.2] [--skip-scale] [--scale-only]

1. Built-in graph. The server (`aihkg serve`, 4 workers, its own process) is hammered by --clients
   virtual users for --seconds, each looping: pick a request, send it, wait for the whole answer, think
   (--think seconds, exponentially distributed), again. Requests: canned-query pages with their
   parameters (35%), canned-query CSV downloads (15%), entity pages (50%), over every canned query and
   every entity of the built-in graph. Once with the server's answer cache (the default) and once
   with --no-cache, so every answer is computed by a worker (and again with five times the think
   time). Also once with no think time, to find the throughput at saturation. Reported: requests,
   errors, p50/p95/p99 per route, throughput, and the CPU the load generator and the server used.
2. 10^6 triples. bench/scale.py's scaled graph (the same file bench/run.py uses) is served from memory
   (`aihkg --data scaled-1e6.nt serve --no-cache`); each canned query's CSV is timed over HTTP (median of
   5 after a warm-up) and compared with the same bound query text run by pyoxigraph alone on the same
   file in this process (the "in-memory Oxigraph speed").

Every request goes to 127.0.0.1; loops are bounded in time and count. The load generator (aiohttp, whose C
parser costs a fraction of httpx's CPU per request) shares the 2 cores with the server, so the figures are
for both on one machine; the CPU each used is reported. Results go to
bench/work/load.json and to their section of bench/results.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / "work"
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(BENCH))

from report import replace_section  # noqa: E402  (bench/report.py, on the path just above)

MAX_REQUESTS_PER_CLIENT = 100_000
BEGIN, END = "<!-- bench/load.py -->", "<!-- /bench/load.py -->"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Server:
    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "aihkg", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
                                     env=dict(os.environ, **(env or {})))
        line = self.proc.stdout.readline()
        match = re.search(r"at (http://\S+?)/? ", line)
        if not match:
            self.proc.kill()
            raise SystemExit(f"the server did not start: {line!r}")
        self.url = match.group(1)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)


# ---------------------------------------------------------------------- what the clients ask for


def request_mix() -> dict[str, list[str]]:
    from aihkg.graph import DATA_NS
    from aihkg.queries.api import KnowledgeGraph
    from canned import SAMPLE_PARAMS

    kg = KnowledgeGraph()
    canned = []
    for name in kg.catalog.names():
        query = "?" + urllib.parse.urlencode(SAMPLE_PARAMS[name]) if name in SAMPLE_PARAMS else ""
        canned.append(f"/query/{name}{query}")
    rows = kg.sparql(f'SELECT DISTINCT ?s WHERE {{ ?s rdfs:label ?l FILTER STRSTARTS(STR(?s), "{DATA_NS}") }}').rows
    entities = sorted(f"/id/{urllib.parse.quote(s.value[len(DATA_NS):])}.html" for (s,) in rows)
    return {"canned page": canned, "canned csv": [u + ("&" if "?" in u else "?") + "format=csv" for u in canned],
            "entity page": entities}


def pick(mix: dict[str, list[str]], rng: random.Random) -> tuple[str, str]:
    roll = rng.random()
    route = "canned page" if roll < 0.35 else ("canned csv" if roll < 0.5 else "entity page")
    return route, rng.choice(mix[route])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def load(url: str, mix: dict[str, list[str]], clients: int, seconds: float, think: float,
               seed: int = 42, server_pid: int = 0) -> dict[str, Any]:
    import aiohttp

    samples: dict[str, list[float]] = {route: [] for route in mix}
    errors: list[str] = []
    connector = aiohttp.TCPConnector(limit=clients, limit_per_host=clients)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(base_url=url, connector=connector, timeout=timeout,
                                     headers={"Accept": "text/html"}) as client:
        async def get(path: str) -> int:
            async with client.get(path) as r:
                await r.read()
                return r.status

        for route in mix:  # every answer once, so the cached run measures the cache and the other the workers
            for path in mix[route]:
                await get(path)
        load_before = os.getloadavg()[0]
        cpu_client, cpu_server = time.process_time(), cpu_seconds(server_pid) if server_pid else 0.0
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()

        async def user(k: int) -> None:
            rng = random.Random(seed * 1000 + k)
            await asyncio.sleep(rng.random() * max(think, 0.05))  # users do not all arrive at once
            for _ in range(MAX_REQUESTS_PER_CLIENT):
                if time.perf_counter() >= deadline:
                    return
                route, path = pick(mix, rng)
                t0 = time.perf_counter()
                try:
                    status: Any = await get(path)
                except (TimeoutError, aiohttp.ClientError) as exc:
                    status = repr(exc)
                elapsed = time.perf_counter() - t0
                if status == 200:
                    samples[route].append(elapsed)
                else:
                    errors.append(f"{path}: {status}")
                if think:
                    await asyncio.sleep(rng.expovariate(1 / think))

        await asyncio.gather(*(user(k) for k in range(clients)))
        wall = time.perf_counter() - started
        cpu_client = time.process_time() - cpu_client
        cpu_server = (cpu_seconds(server_pid) - cpu_server) if server_pid else None
    every = [x for xs in samples.values() for x in xs]
    return {"clients": clients, "seconds": seconds, "think": think, "wall": wall,
            "loadavg": [load_before, os.getloadavg()[0]], "cpu_client": cpu_client, "cpu_server_http": cpu_server,
            "requests": len(every) + len(errors), "errors": len(errors), "error_examples": errors[:5],
            "throughput": (len(every) + len(errors)) / wall,
            "routes": {route: summary(xs) for route, xs in samples.items()}, "all": summary(every)}


def summary(xs: list[float]) -> dict[str, float]:
    if not xs:
        return {"n": 0}
    q = statistics.quantiles(xs, n=100, method="inclusive") if len(xs) > 1 else [xs[0]] * 99
    return {"n": len(xs), "p50": q[49] * 1000, "p95": q[94] * 1000, "p99": q[98] * 1000, "max": max(xs) * 1000}


# ---------------------------------------------------------------------- 10^6 triples


def scaled_file() -> Path:
    from scale import copies_for, split_builtin, write_scaled

    from aihkg.graph import builtin
    from aihkg.graph.build import builtin_nquads

    split = split_builtin(builtin_nquads())
    files = write_scaled(WORK, "1e6", copies_for(1_000_000, split), split, builtin.content_hash())
    log(f"scaled graph: {files.full} ({files.triples:,} triples, {'reused' if files.reused else 'written'})")
    return files.full


def bound_params() -> dict[str, dict[str, str]]:
    """SAMPLE_PARAMS with entities named by IRI: in the scaled graph every label names one entity per copy."""
    from aihkg.queries.api import KnowledgeGraph
    from canned import SAMPLE_PARAMS

    kg = KnowledgeGraph()
    out: dict[str, dict[str, str]] = {}
    for name in kg.catalog.names():
        query = kg.catalog.get(name)
        given = SAMPLE_PARAMS.get(name, {})
        out[name] = {k: (f"<{kg.resolve(v, query.param(k).cls)}>" if query.param(k).type == "entity" else v)
                     for k, v in given.items()}
    return out


def at_scale(repeat: int) -> dict[str, Any]:
    import httpx
    import pyoxigraph as ox

    from aihkg.queries.api import KnowledgeGraph

    path = scaled_file()
    params = bound_params()
    log("loading the scaled graph into a pyoxigraph store in this process (the reference) ...")
    t0 = time.perf_counter()
    engine = ox.Store()
    engine.load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    engine_load = time.perf_counter() - t0
    kg = KnowledgeGraph(data=[str(path)])  # for the bound query texts, exactly as the server binds them
    texts = {name: kg.prepare(name, params[name]).text for name in kg.catalog.names()}
    kg.close()
    log("starting the server on the scaled graph ...")
    t0 = time.perf_counter()
    server = Server("--data", str(path), "--timeout", "120", "serve", "--port", "0", "--no-cache", "--workers", "2")
    server_start = time.perf_counter() - t0
    rows: dict[str, Any] = {}
    try:
        with httpx.Client(base_url=server.url, timeout=300) as client:
            for name, text in texts.items():
                url = f"/query/{name}?" + urllib.parse.urlencode({**params[name], "format": "csv"})
                client.get(url)
                http = []
                for _ in range(repeat):
                    t = time.perf_counter()
                    r = client.get(url)
                    http.append(time.perf_counter() - t)
                    assert r.status_code == 200, (name, r.status_code, r.text[:200])
                list(engine.query(text))
                alone = []
                for _ in range(repeat):
                    t = time.perf_counter()
                    answer = engine.query(text)
                    n = sum(1 for _ in answer) if isinstance(answer, ox.QuerySolutions) else 1
                    alone.append(time.perf_counter() - t)
                rows[name] = {"http": statistics.median(http) * 1000, "engine": statistics.median(alone) * 1000,
                              "rows": n, "csv_rows": r.text.count("\n") - 1}
                log(f"  {name}: http {rows[name]['http']:.1f} ms, engine {rows[name]['engine']:.1f} ms, {n} rows")
    finally:
        server.stop()
    triples = len(engine)
    return {"triples": triples, "engine_load": engine_load, "server_start": server_start, "queries": rows}


# ---------------------------------------------------------------------- report


def markdown(res: dict[str, Any]) -> str:
    out = [BEGIN, "## Web explorer under load (`bench/load.py`)", ""]
    m = res["machine"]
    out.append(f"Run {res['date']} at commit `{res['commit']}` on {m['cpus']} cores ({m['platform']}), "
               f"Python {m['python']}; the load generator (aiohttp) runs on the same cores as the server. "
               "`python bench/load.py` rewrites this section.")
    out.append("")
    for key, title in (("cached", "answer cache on (the default)"),
                       ("uncached", "`--no-cache`: every answer computed by a worker"),
                       ("uncached, slower users", "`--no-cache`, users who think five times longer"),
                       ("saturated", "no think time (`--no-cache`): the throughput limit")):
        run = res.get(key)
        if not run:
            continue
        out.append(f"**Built-in graph, {title}**: {run['clients']} clients for {run['seconds']:.0f} s"
                   + (f", think time {run['think']:g} s (exponential)" if run["think"] else ", no think time")
                   + f": {run['requests']:,} requests, **{run['errors']} errors**, "
                   f"{run['throughput']:,.0f} requests/s"
                   + (f" (machine load average {run['loadavg'][0]:.1f} before, {run['loadavg'][1]:.1f} after, "
                      "on 2 cores)." if run.get("loadavg") else "."))
        out.append("")
        out.append("| route | requests | p50 | p95 | p99 | max |")
        out.append("|---|---:|---:|---:|---:|---:|")
        for route, s in [*run["routes"].items(), ("all", run["all"])]:
            if s.get("n"):
                out.append(f"| {route} | {s['n']:,} | {s['p50']:.1f} ms | {s['p95']:.1f} ms | {s['p99']:.1f} ms | "
                           f"{s['max']:.0f} ms |")
        out.append("")
    scale = res.get("scale")
    if scale:
        q = scale["queries"]
        overhead = [v["http"] - v["engine"] for v in q.values()]
        out.append(f"**{scale['triples']:,} triples in memory** (`aihkg --data scaled-1e6.nt serve --no-cache`; "
                   f"the server loaded and was answering in {scale['server_start']:.1f} s): each canned query's "
                   "CSV over HTTP (median of 5) against the same bound query run by pyoxigraph alone on the same "
                   "file in the bench process (the engine's own in-memory speed, results iterated).")
        out.append("")
        out.append("| query | rows | HTTP | engine alone | ratio |")
        out.append("|---|---:|---:|---:|---:|")
        for name, v in q.items():
            out.append(f"| `{name}` | {v['rows']:,} | {v['http']:.1f} ms | {v['engine']:.1f} ms | "
                       f"{v['http'] / v['engine']:.2f}× |" if v["engine"] > 0 else f"| `{name}` | | | | |")
        big = [v["http"] / v["engine"] for v in q.values() if v["engine"] >= 10]
        gm = math.exp(sum(math.log(r) for r in big) / len(big)) if big else float("nan")
        small = [v["http"] - v["engine"] for v in q.values() if v["engine"] < 10]
        aggregate = sum(v["http"] for v in q.values()) / sum(v["engine"] for v in q.values())
        out.append("")
        out.append(f"The 30 queries one after another: {sum(v['http'] for v in q.values()) / 1000:.2f} s over HTTP, "
                   f"{sum(v['engine'] for v in q.values()) / 1000:.2f} s for the engine alone ({aggregate:.2f}×). "
                   f"Queries of 10 ms or more: geometric mean {gm:.2f}× ({len(big)} queries). The others "
                   f"(under 10 ms) pay a fixed {statistics.median(small) if small else 0:.1f} ms (median) for HTTP, "
                   "binding and the worker hand-off. Median overhead over all: "
                   f"{statistics.median(overhead):.1f} ms.")
        out.append("")
    out.append("Targets:")
    for key in ("cached", "uncached", "uncached, slower users"):
        run = res.get(key)
        if run:
            worst = max(run["routes"]["canned page"].get("p95", 0), run["routes"]["canned csv"].get("p95", 0),
                        run["routes"]["entity page"].get("p95", 0))
            verdict = "met" if worst < 100 and run["errors"] == 0 else "NOT met"
            out.append(f"- {key}: p95 < 100 ms on entity pages and canned queries with 0 errors: **{verdict}** "
                       f"(worst route p95 {worst:.1f} ms, {run['errors']} errors)")
    if scale:
        verdict = "met" if aggregate <= 1.5 else "NOT met"
        out.append(f"- 10^6 triples at in-memory Oxigraph speed (the 30 canned queries over HTTP within 1.5× of "
                   f"pyoxigraph alone on the same file): **{verdict}** ({aggregate:.2f}×)")
    out.append(END)
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--think", type=float, default=0.2, help="mean think time between a user's requests (s)")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per canned query at 10^6")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--scale-only", action="store_true")
    args = ap.parse_args()
    if args.clients < 1 or args.seconds <= 0 or args.seconds > 600:
        raise SystemExit("--clients >= 1 and 0 < --seconds <= 600")
    WORK.mkdir(exist_ok=True)
    os.environ.setdefault("AIHKG_CACHE_DIR", str(WORK / "cache"))
    saved = WORK / "load.json"
    res: dict[str, Any] = json.loads(saved.read_text()) if saved.exists() else {}  # the parts not run stay
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout
    res.update(date=time.strftime("%Y-%m-%d"), commit=commit.strip(),
               machine={"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()})
    if not args.scale_only:
        mix = request_mix()
        log(f"{sum(len(v) for v in mix.values())} distinct requests")
        for key, extra, think in (("cached", [], args.think), ("uncached", ["--no-cache"], args.think),
                                  ("uncached, slower users", ["--no-cache"], args.think * 5),
                                  ("saturated", ["--no-cache"], 0.0)):
            server = Server("serve", "--port", "0", "--workers", "4", *extra)
            try:
                log(f"{key}: {args.clients} clients for {args.seconds:g} s against {server.url}")
                res[key] = asyncio.run(load(server.url, mix, args.clients, args.seconds, think,
                                            server_pid=server.proc.pid))
                a = res[key]["all"]
                log(f"  {res[key]['requests']:,} requests, {res[key]['errors']} errors, "
                    f"p50 {a.get('p50', 0):.1f} ms, p95 {a.get('p95', 0):.1f} ms; CPU s: load generator "
                    f"{res[key]['cpu_client']:.1f}, server's HTTP process {res[key]['cpu_server_http']:.1f}")
            finally:
                server.stop()
    if not args.skip_scale:
        res["scale"] = at_scale(args.repeat)
    saved.write_text(json.dumps(res, indent=1))
    replace_section(BENCH / "results.md", BEGIN, END, markdown(res))
    log(f"wrote {saved} and the load section of {BENCH / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
