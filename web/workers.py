"""Worker processes that run every query of the web explorer, so that a timeout really stops one.

A query inside Oxigraph's native code cannot be interrupted from Python, and a thread that runs
one cannot be stopped; a process can. So the server never queries in its own process:

- At start, the server forks a *zygote*, a single-threaded process that loads the graph once (the
  built-in graph and the ``--data`` files, in memory) and then only forks workers. Workers share the
  loaded store with it copy-on-write, so each starts in about a millisecond and answers at in-memory
  speed. (A persistent Oxigraph store is opened by each worker, read-only; a SPARQL endpoint is simply
  called.) Forking from the zygote rather than from the server keeps fork away from the server's
  threads and event loop.
- The server hands each request to an idle worker over a socket and waits for the answer in a
  thread, up to the timeout. A worker that passes it is killed (SIGKILL) and replaced by a fresh fork;
  the request gets a timeout error and every other request goes on being answered by the other workers.
- A worker that dies (a crash, or the memory limit) is replaced the same way.

Workers run the functions of `web.ops`, which call the library (`KnowledgeGraph`, `queries.explore`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from aihkg.graph.errors import AihkgError, QueryTimeout, StoreProblem


class WorkerDied(StoreProblem):
    """A worker process ended while answering (a crash or its memory limit)."""


@dataclass
class Worker:
    pid: int
    conn: Connection
    started: float = field(default_factory=time.monotonic)
    served: int = 0


@dataclass
class PoolStats:
    size: int
    idle: int
    pids: list[int]
    served: int
    timeouts: int
    restarts: int


def _set_parent_death_signal() -> None:
    """Ask Linux to kill this process when its parent dies (no orphaned workers); elsewhere a no-op."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _error_reply(exc: BaseException) -> tuple[Any, ...]:
    if isinstance(exc, AihkgError):
        return ("error", type(exc).__name__, str(exc), exc.exit_code)
    if isinstance(exc, RecursionError):
        return ("error", "UsageProblem", "the query is nested too deeply to process", 2)
    if isinstance(exc, MemoryError):
        return ("error", "StoreProblem", "the query needs more memory than a worker may use", 1)
    traceback.print_exc(file=sys.stderr)
    return ("internal", type(exc).__name__, str(exc))


def _worker_loop(conn: Connection, state: dict[str, Any], operations: dict[str, Callable[..., Any]],
                 memory_limit: int) -> None:
    if memory_limit:
        import resource

        # On top of what the worker already maps (the zygote's loaded graph, shared copy-on-write).
        with contextlib.suppress(ValueError, OSError):
            mapped = int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")  # noqa: SIM115
            resource.setrlimit(resource.RLIMIT_AS, (mapped + memory_limit, mapped + memory_limit))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        op, args, kwargs = request
        try:
            reply: tuple[Any, ...] = ("ok", operations[op](state, *args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back as a reply
            reply = _error_reply(exc)
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 - an answer that cannot be pickled
            conn.send(_error_reply(exc))


def _zygote(control: socket.socket, setup: Callable[[], dict[str, Any]],
            operations: dict[str, Callable[..., Any]], memory_limit: int) -> None:
    """Load once, report, then fork a worker per request until the server goes away."""
    _set_parent_death_signal()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped by the kernel
    try:
        state = setup()
    except BaseException as exc:  # noqa: BLE001 - reported to the server, which prints one line
        control.sendall(_frame(("error", _error_reply(exc))))
        return
    control.sendall(_frame(("ready", state.get("facts", {}))))
    while True:
        try:
            command = control.recv(16)
        except OSError:
            return
        if not command:
            return
        server_end, worker_end = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            try:
                control.close()
                server_end.close()
                _set_parent_death_signal()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                _worker_loop(Connection(worker_end.detach()), state, operations, memory_limit)
            finally:
                os._exit(0)
        worker_end.close()
        try:
            socket.send_fds(control, [pid.to_bytes(8, "little")], [server_end.fileno()])
        except OSError:
            return
        finally:
            server_end.close()


def _unpack(reply: tuple[Any, ...]) -> Any:
    """A worker's answer, or the error it reported raised again here (an AihkgError keeps its class)."""
    if reply[0] == "ok":
        return reply[1]
    if reply[0] == "error":
        from aihkg.graph import errors

        cls = getattr(errors, reply[1], None)
        if not (isinstance(cls, type) and issubclass(cls, AihkgError)):
            cls = StoreProblem
        raise cls(reply[2])
    raise RuntimeError(f"{reply[1]}: {reply[2]}")


def _frame(message: Any) -> bytes:
    import pickle

    body = pickle.dumps(message)
    return len(body).to_bytes(8, "little") + body


def _read_frame(sock: socket.socket) -> Any:
    import pickle

    def exactly(n: int) -> bytes:
        chunks = bytearray()
        while len(chunks) < n:
            part = sock.recv(n - len(chunks))
            if not part:
                raise EOFError("the zygote closed its socket")
            chunks += part
        return bytes(chunks)

    return pickle.loads(exactly(int.from_bytes(exactly(8), "little")))


class Pool:
    """A fixed number of worker processes forked from one zygote that holds the loaded graph.

    Args:
        setup: run once in the zygote; returns the state every worker's operations receive
            (``state["facts"]`` is reported back to the server).
        operations: name -> function(state, *args, **kwargs), run in a worker.
        size: how many workers answer at once.
        timeout: seconds a request may run before its worker is killed (0: no limit).
        memory_limit: bytes of address space a worker may add to what it inherits (0: no limit).
    """

    def __init__(self, setup: Callable[[], dict[str, Any]], operations: dict[str, Callable[..., Any]], *,
                 size: int = 4, timeout: float = 10.0, memory_limit: int = 0) -> None:
        self.setup = setup
        self.operations = operations
        self.size = max(1, size)
        self.timeout = timeout
        self.memory_limit = memory_limit
        self.facts: dict[str, Any] = {}
        self._zygote_pid = 0
        self._control: socket.socket | None = None
        self._spawn_lock = threading.Lock()
        self._idle: list[Worker] = []
        self._all: dict[int, Worker] = {}
        self._aside: dict[int, Worker] = {}  # one-off workers of run_aside
        self._aside_stopped = False
        self._cond = threading.Condition()
        self._threads: ThreadPoolExecutor | None = None
        self._closed = False
        self.served = 0
        self.timeouts = 0
        self.restarts = 0

    # ------------------------------------------------------------ life cycle

    def start(self) -> "Pool":
        """Fork the zygote, wait for it to load the graph, start the workers. Raises the load error."""
        ours, theirs = socket.socketpair()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                ours.close()
                _zygote(theirs, self.setup, self.operations, self.memory_limit)
            except BaseException:  # noqa: BLE001 - the zygote must never return into the server's code
                code = 1
            finally:
                os._exit(code)
        theirs.close()
        self._zygote_pid, self._control = pid, ours
        try:
            kind, payload = _read_frame(ours)
        except (EOFError, OSError):
            self.close()
            raise StoreProblem("the graph could not be loaded (the loading process ended)") from None
        if kind == "error":
            self.close()
            _, name, message, *rest = payload
            from aihkg.graph import errors

            cls = getattr(errors, name, StoreProblem) if payload[0] == "error" else StoreProblem
            raise cls(message if payload[0] == "error" else f"internal error: {name}: {message}")
        self.facts = payload
        self._threads = ThreadPoolExecutor(max_workers=self.size + 2, thread_name_prefix="aihkg-worker")
        for _ in range(self.size):
            self._add(self._spawn())
        return self

    def _spawn(self) -> Worker:
        if self._control is None:
            raise StoreProblem("the server is shutting down")
        with self._spawn_lock:
            self._control.sendall(b"s")
            msg, fds, _flags, _addr = socket.recv_fds(self._control, 8, 1)
        if not fds:
            raise StoreProblem("could not start a worker process")
        return Worker(int.from_bytes(msg, "little"), Connection(fds[0]))

    def _add(self, worker: Worker) -> None:
        with self._cond:
            self._all[worker.pid] = worker
            self._idle.append(worker)
            self._cond.notify()

    def _retire(self, worker: Worker) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(worker.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            worker.conn.close()
        with self._cond:
            self._all.pop(worker.pid, None)

    def close(self) -> None:
        """Stop every worker and the zygote."""
        self._closed = True
        with self._cond:
            workers = list(self._all.values()) + list(self._aside.values())
            self._all.clear()
            self._aside.clear()
            self._idle.clear()
            self._cond.notify_all()
        for worker in workers:
            self._retire(worker)
        if self._control is not None:
            with contextlib.suppress(OSError):
                self._control.close()
            self._control = None
        if self._zygote_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._zygote_pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._zygote_pid, 0)
            self._zygote_pid = 0
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
            self._threads = None

    def stop_aside(self) -> None:
        """End the one-off workers of run_aside, and start no more (their callers get WorkerDied)."""
        with self._cond:
            self._aside_stopped = True
            workers = list(self._aside.values())
        for worker in workers:
            self._retire(worker)

    def stats(self) -> PoolStats:
        with self._cond:
            return PoolStats(self.size, len(self._idle), sorted(self._all), self.served, self.timeouts, self.restarts)

    # ------------------------------------------------------------ requests

    def run(self, op: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        """Run `op` in a worker and return its answer; blocking. Raises what the operation raised
        (as an AihkgError), QueryTimeout after `timeout` seconds, WorkerDied if the worker ended."""
        limit = self.timeout if timeout is None else timeout
        with self._cond:
            while not self._idle:
                if self._closed:
                    raise StoreProblem("the server is shutting down")
                self._cond.wait()
            worker = self._idle.pop()
        replacement_needed = False
        try:
            worker.conn.send((op, args, kwargs))
            if limit and not worker.conn.poll(limit):
                replacement_needed = True
                with self._cond:
                    self.timeouts += 1
                raise QueryTimeout(f"the query did not finish within {limit:g} s (the server's --timeout); "
                                   "it was stopped")
            reply = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            replacement_needed = True
            raise WorkerDied("the worker answering this request stopped (it may have run out of memory)") from None
        finally:
            if replacement_needed:
                self._retire(worker)
                with self._cond:
                    self.restarts += 1
                if not self._closed:
                    with contextlib.suppress(OSError, StoreProblem):
                        self._add(self._spawn())
            else:
                worker.served += 1
                with self._cond:
                    self.served += 1
                    if worker.pid in self._all:
                        self._idle.append(worker)
                        self._cond.notify()
        return _unpack(reply)

    def run_aside(self, op: str, *args: Any, timeout: float | None = None) -> Any:
        """Run `op` in a worker of its own, forked for it and ended after it, so that a long job of the
        server's (laying out the whole network) never holds a worker that requests are waiting for."""
        limit = self.timeout if timeout is None else timeout
        worker = self._spawn()
        with self._cond:
            stopping = self._aside_stopped
            if not stopping:
                self._aside[worker.pid] = worker
        if stopping:
            self._retire(worker)
            raise WorkerDied(f"the server is stopping; {op} was not run")
        try:
            worker.conn.send((op, args, {}))
            if limit and not worker.conn.poll(limit):
                raise QueryTimeout(f"{op} did not finish within {limit:g} s")
            reply = worker.conn.recv()
        except (EOFError, OSError):
            raise WorkerDied(f"the worker running {op} stopped") from None
        finally:
            self._retire(worker)
            with self._cond:
                self._aside.pop(worker.pid, None)
        return _unpack(reply)

    async def call_aside(self, op: str, *args: Any, timeout: float | None = None) -> Any:
        """`run_aside` from the event loop, waiting in one of the pool's own threads (which `close` frees)."""
        if self._threads is None:
            raise StoreProblem("the worker pool is not running")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, lambda: self.run_aside(op, *args, timeout=timeout))

    async def call(self, op: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        """`run` from the event loop: the wait happens in a thread, so other requests go on."""
        if self._threads is None:
            raise StoreProblem("the worker pool is not running")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, lambda: self.run(op, *args, timeout=timeout, **kwargs))
