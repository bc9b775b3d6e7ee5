"""Running a query someone else wrote where it cannot take the process down or reach the network.

A query from a user (``aihkg sparql``, a shared ``--queries`` folder, the web endpoint) runs in a
child process with a cap on its address space and, unless SERVICE was allowed, no way to open a
socket or file: the child may use only the descriptors it already holds, so a SERVICE that slipped
past every check still cannot connect. Whatever the engine does there (a stack overflow in its
parser, an allocation failure when a string doubles past the cap, a hang until ``--timeout``), the
command reports it in one line and carries on.

- In-memory stores (Oxigraph, rdflib) are forked: the child shares the loaded graph copy-on-write,
  so isolation costs a few milliseconds, not a reload.
- A persistent Oxigraph store is opened read-only by a fresh process instead, because RocksDB's
  background threads make a forked copy of an open database unsafe.

The child hands back only data (SPARQL JSON results, N-Triples), which the parent parses; nothing
is unpickled from a process that ran hostile input.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from aihkg.graph.errors import QueryTimeout, StoreProblem, UsageProblem

# Address space a query may add to what the process already maps. Sorting every label of a
# 10^6-triple graph needs a few hundred MiB; a string doubled past this is an attack or a mistake.
QUERY_MEMORY_BYTES = 2 * 1024**3
MEMORY_ENV = "AIHKG_QUERY_MEMORY_MB"


def memory_budget() -> int:
    configured = os.environ.get(MEMORY_ENV, "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured) * 1024**2
    return QUERY_MEMORY_BYTES


def run_forked(work: Callable[[], bytes], *, allow_network: bool, what: str = "the query") -> bytes:
    """Run `work` in a forked child under the limits; return the bytes it produced.

    `work` returns bytes or raises; an AihkgError it raises is re-raised here with its message,
    any other exception becomes a StoreProblem.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        _child(work, write_fd, allow_network)
    os.close(write_fd)
    try:
        data = _read_all(read_fd)
    except BaseException:
        _kill(pid)
        raise
    finally:
        os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    return _outcome(data, status, what)


def _child(work: Callable[[], bytes], write_fd: int, allow_network: bool) -> None:
    code = 0
    try:
        _limit_self(allow_network)
        try:
            body = b"OK\n" + work()
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, whatever it is
            body = b"ERR\n" + json.dumps(_describe(exc)).encode()
        _write_all(write_fd, body)
    except BaseException:  # noqa: BLE001 - nothing may escape a forked child
        code = 70
    finally:
        os._exit(code)


def _limit_self(allow_network: bool) -> None:
    _die_with_parent()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # a native abort's backtrace must not reach the user's terminal
    os.close(devnull)
    _limit_memory()
    if not allow_network and not _unshare_network():
        _limit_files()


def _limit_memory() -> None:
    import resource

    with open("/proc/self/statm", "rb") as fh:
        mapped = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    cap = mapped + memory_budget()
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))


def _unshare_network() -> bool:
    """Move this (single-threaded) process into a network namespace of its own, with no interface up.

    Root may; others may through a user namespace where the kernel allows it. False if neither.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        clone_newnet, clone_newuser = 0x40000000, 0x10000000
        return libc.unshare(clone_newnet) == 0 or libc.unshare(clone_newuser | clone_newnet) == 0
    except (OSError, AttributeError):
        return False


def _network_isolated() -> bool:
    """Whether this process can reach no network at all (its namespace has no interface up)."""
    import socket

    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.settimeout(1)
        probe.connect(("127.0.0.1", 9))
    except OSError as exc:
        return exc.errno == 101  # ENETUNREACH: not even loopback exists
    finally:
        probe.close()
    return False


def _limit_files() -> None:
    import resource

    # RLIMIT_NOFILE is one more than the highest descriptor that may be opened; set to the lowest
    # free one, no new socket or file can be opened at all.
    lowest_free = os.dup(0)
    os.close(lowest_free)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowest_free, hard))


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _describe(exc: BaseException) -> dict[str, str]:
    from aihkg.graph.errors import AihkgError

    if isinstance(exc, AihkgError):
        return {"kind": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, MemoryError):
        return {"kind": "memory", "message": ""}
    if isinstance(exc, RecursionError):
        return {"kind": "UsageProblem", "message": "the query is nested too deeply to evaluate"}
    if isinstance(exc, SyntaxError):
        return {"kind": "UsageProblem", "message": f"SPARQL syntax error: {exc}"}
    if isinstance(exc, OSError) and exc.errno == 24:
        return {"kind": "UsageProblem", "message": "the query tried to open a connection or file, which is refused "
                                                   "(pass --allow-service for federated queries)"}
    return {"kind": "StoreProblem", "message": f"{type(exc).__name__}: {exc}"}


def _outcome(data: bytes, status: int, what: str) -> bytes:
    head, _, body = data.partition(b"\n")
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and head == b"OK":
        return body
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and head == b"ERR":
        try:
            info = json.loads(body)
            kind, message = str(info["kind"]), str(info["message"])
        except (ValueError, KeyError, TypeError):
            raise StoreProblem(f"{what} failed and its report could not be read") from None
        if kind == "memory":
            raise StoreProblem(_memory_message(what))
        from aihkg.graph import errors

        cls = getattr(errors, kind, StoreProblem)
        if not (isinstance(cls, type) and issubclass(cls, errors.AihkgError)):
            cls = StoreProblem
        raise cls(message)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGABRT:
            raise StoreProblem(_memory_message(what) + " (or the engine aborted)")
        if sig in (signal.SIGSEGV, signal.SIGBUS):
            raise UsageProblem(f"{what} crashed the SPARQL engine (signal {sig}), probably by being too large or "
                               "too deeply nested to evaluate; it was stopped and nothing changed")
        if sig == signal.SIGKILL:
            raise QueryTimeout(f"{what} was stopped (killed)")
        raise StoreProblem(f"{what} was stopped by signal {sig}")
    raise StoreProblem(f"{what} ended without an answer (exit {os.WEXITSTATUS(status)})")


def _memory_message(what: str) -> str:
    return (f"{what} needed more memory than its limit of {memory_budget() // 1024**2:,} MiB "
            f"(set {MEMORY_ENV} to change it) and was stopped")


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


# --------------------------------------------------------------------------- a separate process


def run_spawned(request: dict[str, Any], *, allow_network: bool, timeout: float | None,
                what: str = "the query") -> bytes:
    """Run `python -m aihkg.graph.sandbox` on a JSON request, under the same limits."""
    import subprocess

    def limits() -> None:  # between fork and exec: the process is single-threaded here
        _die_with_parent()
        _limit_memory()
        if not allow_network:
            _unshare_network()

    payload = json.dumps({**request, "allow_network": allow_network}).encode()
    try:
        proc = subprocess.run([sys.executable, "-m", "aihkg.graph.sandbox"], input=payload, capture_output=True,
                              timeout=timeout or None, preexec_fn=limits)
    except subprocess.TimeoutExpired:
        raise QueryTimeout(f"{what} did not finish within {timeout:g} s (--timeout); stopped") from None
    status = proc.returncode
    wait_status = (-status) if status < 0 else (status << 8)  # back to a waitpid status
    return _outcome(proc.stdout, wait_status, what)


def _serve_request() -> None:
    """The spawned child: open the persistent store read-only, run the query, write the answer."""
    import pyoxigraph as ox

    request = json.loads(sys.stdin.buffer.read())

    def work() -> bytes:
        store = ox.Store.read_only(request["path"])
        if not request["allow_network"] and not _network_isolated():
            _limit_files()  # no namespace of its own: at least no new socket once the store is open
        raw = store.query(request["text"], use_default_graph_as_union=bool(request["union"]))
        return serialize_raw(raw)

    try:
        body = b"OK\n" + work()
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        body = b"ERR\n" + json.dumps(_describe(exc)).encode()
    sys.stdout.buffer.write(body)
    sys.stdout.buffer.flush()


def serialize_raw(raw: Any) -> bytes:
    """An Oxigraph answer as bytes the parent can parse: a one-line kind, then SPARQL JSON or N-Triples."""
    import pyoxigraph as ox

    if isinstance(raw, ox.QueryBoolean):
        return b"ask\n" + (b"true" if bool(raw) else b"false")
    if isinstance(raw, ox.QuerySolutions):
        return b"select\n" + raw.serialize(format=ox.QueryResultsFormat.JSON)
    return b"graph\n" + raw.serialize(format=ox.RdfFormat.N_TRIPLES)


if __name__ == "__main__":
    _serve_request()
