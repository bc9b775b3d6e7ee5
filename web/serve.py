"""Run the explorer with uvicorn: bind, print the URL, serve until Ctrl-C or SIGTERM, stop every worker."""

from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import Callable
from typing import Any

from aihkg.graph.errors import StoreProblem, UsageProblem


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: any free one), or a one-line error."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageProblem(f"--host {host}: not an address this machine can listen on ({exc.strerror})") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise StoreProblem(f"cannot listen on {host}:{port} ({exc.strerror})") from None
    sock.set_inheritable(False)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def run_server(kg: Any, *, host: str = "127.0.0.1", port: int = 8000, timeout: float = 10.0, max_rows: int = 10_000,
               cors: str | None = None, workers: int = 4, allow_service: bool = False, cache: bool = True,
               echo: Callable[[str], None] = print, note: Callable[[str], None] = print) -> None:
    """Serve `kg` until interrupted; the graph is loaded (once) before the URL is printed."""
    import uvicorn

    from aihkg.web.app import Explorer, Settings

    settings = Settings(host=host, port=port, timeout=timeout, max_rows=max_rows, cors=cors, workers=workers,
                        allow_service=allow_service, cache=cache)
    sock = listen(host, port)
    explorer = Explorer(kg, settings)
    try:
        explorer.start()
        facts = explorer.facts
        config = uvicorn.Config(explorer.app(), log_level="warning", access_log=False, server_header=False,
                                lifespan="on", timeout_graceful_shutdown=5, h11_max_incomplete_event_size=64 * 1024)
        server = uvicorn.Server(config)
        stopped: list[int] = []

        def stop(sig: int, _frame: Any) -> None:
            # Until uvicorn has its own handlers (and again after it re-raises the signal that stopped
            # it), a signal just asks it to stop; the workers are stopped below and the command ends normally.
            stopped.append(sig)
            server.should_exit = True

        previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
        size = f" ({facts['triples']:,} triples)" if facts.get("triples") is not None else ""
        if host not in ("127.0.0.1", "localhost", "::1"):
            note(f"aihkg: warning: listening on {host}: anyone who can reach this machine can read the graph")
        echo(f"aihkg: serving {facts.get('store') or 'the graph'}{size} at {url_of(sock)} "
             f"({workers} workers, timeout {timeout:g} s; Ctrl-C stops)")
        try:
            server.run(sockets=[sock])
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
    finally:
        explorer.close()
        with contextlib.suppress(OSError):
            sock.close()
    note("aihkg: server stopped")
