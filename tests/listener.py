"""A recording HTTP listener on 127.0.0.1: every connection made to it is kept, with what was sent.

It answers each request with `reply` (by default an empty SPARQL JSON result, so an engine that
does connect finishes at once instead of waiting for its own timeout). A test that expects no
connection asserts `requests == []`; its positive control proves the listener can be reached.

With process=True it serves from a forked process: an engine called in the test's own process may
hold the GIL while it waits for an answer, which a listener thread could then never give.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import threading
from contextlib import suppress

EMPTY_RESULTS = b'{"head":{"vars":[]},"results":{"bindings":[]}}'


def http_reply(body: bytes = EMPTY_RESULTS, content_type: str = "application/sparql-results+json",
               status: str = "200 OK") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode() + body


class Listener:
    def __init__(self, reply: bytes | None = None, *, process: bool = False) -> None:
        self.reply = http_reply() if reply is None else reply
        self._requests: list[bytes] = []
        self._process = process
        self._queue: multiprocessing.SimpleQueue | None = None
        self._child: multiprocessing.Process | None = None
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.05)
        self.port = int(self._sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._parent = os.getpid()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def requests(self) -> list[bytes]:
        if self._queue is not None:
            while not self._queue.empty():
                self._requests.append(self._queue.get())
        return self._requests

    def __enter__(self) -> Listener:
        if self._process:
            context = multiprocessing.get_context("fork")
            self._queue = context.SimpleQueue()
            self._child = context.Process(target=self._serve, daemon=True)
            self._child.start()
        else:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._child is not None:
            self._child.terminate()
            self._child.join(10)
        else:
            self._stop.set()
            self._thread.join(10)
            self.drain()
        self._sock.close()

    def drain(self) -> None:
        """Answer connections still waiting in the backlog (made after the last accept)."""
        if self._child is not None:
            return  # the serving process answers them
        self._sock.setblocking(False)
        with suppress(OSError):
            while True:
                conn, _ = self._sock.accept()
                self._answer(conn)
        self._sock.settimeout(0.05)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.setblocking(True)
            conn.settimeout(5)
            data = b""
            with suppress(OSError):
                data = conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(body) < length:
                    more = conn.recv(65536)
                    if not more:
                        break
                    body += more
                    data += more
            if self._queue is not None and os.getpid() != self._parent:
                self._queue.put(data or b"<connected>")
            else:
                self._requests.append(data or b"<connected>")
            with suppress(OSError):
                conn.sendall(self.reply)
