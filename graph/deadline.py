"""A wall-clock limit for a command: when it passes, say so and end the process.

Queries run inside native code (Oxigraph) or long pure-Python loops (rdflib), neither of which
can be interrupted from Python; the process itself is the unit that can always be stopped. Temp
files still open are removed first, so a timed-out export leaves nothing behind.
"""

from __future__ import annotations

import os
import sys
import threading

from aihkg.graph.atomic import discard_open_temps

_timer: threading.Timer | None = None


def start(seconds: float, what: str = "the query") -> None:
    """End the process with exit code 1 if it is still running after `seconds` (0 = no limit)."""
    global _timer
    cancel()
    if seconds and seconds > 0:
        def expire() -> None:
            discard_open_temps()
            sys.stderr.write(f"aihkg: error: {what} did not finish within {seconds:g} s (--timeout); stopped\n")
            sys.stderr.flush()
            os._exit(1)

        _timer = threading.Timer(seconds, expire)
        _timer.daemon = True
        _timer.start()


def cancel() -> None:
    global _timer
    if _timer is not None:
        _timer.cancel()
        _timer = None
