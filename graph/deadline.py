"""A wall-clock limit for a whole command: when it passes, say so and end the process.

Queries run inside native code (Oxigraph) or long pure-Python loops (rdflib), neither of which
can be interrupted from Python; the process itself is the unit that can always be stopped.

Two clocks guard the limit:

- a Python timer thread, which at the limit removes open temp files, stops the processes this one
  started (a reasoner's JVM, a canonicaliser) and exits with code 1 and a one-line message, without
  letting the command take another step once it has decided (see _end_now);
- a backstop for the case the timer cannot run, because a C call holds the GIL (Python's `re` on
  a catastrophic pattern, say): `faulthandler`'s watchdog is a C thread that needs no GIL, and a
  GRACE later it ends the process with exit code 1. It writes its traceback dump into a pipe read
  by a tiny `sh`, which turns "something arrived" into the same one-line message on stderr. When
  the process ends in any other way the pipe closes empty and the `sh` exits silently.
"""

from __future__ import annotations

import contextlib
import faulthandler
import math
import os
import signal
import sys
import threading
import time
from typing import Any

from aihkg.graph.atomic import _open_temps, discard_open_temps

# Seconds after the limit at which the backstop ends a process whose timer could not run.
GRACE = 1.0
# The longest limit accepted: a week. Larger values are typing mistakes, and threading.Timer
# cannot hold infinity.
MAX_SECONDS = 7 * 24 * 3600.0

_timer: threading.Timer | None = None
_expires: float | None = None
_what = ""  # the error line's text, without "aihkg: error: ", once a limit is armed
_backstop: tuple[int, int] | None = None  # (watchdog pid, write end of its pipe)
_WATCHDOG = 'IFS= read -r _ && printf "%s\\n" "$1" >&2'


def check_seconds(seconds: float) -> float:
    """`seconds` if it is a usable limit (0 = none), else ValueError saying why."""
    if not math.isfinite(seconds) or seconds < 0 or seconds > MAX_SECONDS:
        raise ValueError(f"expected a number of seconds from 0 (no limit) to {MAX_SECONDS:,.0f} (a week)")
    return seconds


def message(seconds: float, what: str) -> str:
    return f"aihkg: error: {what} did not finish within {seconds:g} s (--timeout); stopped"


def start(seconds: float, what: str = "the query") -> None:
    """End the process with exit code 1 if it is still running after `seconds` (0 = no limit).

    Once armed, the limit covers the rest of the command: a later call changes nothing, so a
    phase that starts late (the query after the store was loaded) cannot extend it.
    """
    global _timer, _expires, _what
    if _timer is not None or not seconds or seconds <= 0:
        return
    seconds = check_seconds(seconds)
    line = message(seconds, what)
    _what = line.removeprefix("aihkg: error: ")

    def expire() -> None:
        _end_now(line)

    _expires = time.monotonic() + seconds
    _timer = threading.Timer(seconds, expire)
    _timer.daemon = True
    _timer.start()
    _arm_backstop(seconds + GRACE, line)


def remaining() -> float | None:
    """Seconds left before the limit, or None when there is none."""
    return None if _expires is None else max(0.0, _expires - time.monotonic())


def overrun() -> str | None:
    """The limit's error text if it has passed (work that held the GIL past it, the timer unable
    to run), else None: for a step that must not commit once the limit is gone."""
    return _what if _expires is not None and time.monotonic() >= _expires else None


def cancel(*, exiting: bool = False) -> None:
    """Disarm the limit. `exiting`: the process ends next, so the watchdog is not waited for (it
    reads end-of-file and exits by itself, and init reaps it), which saves a command's last step."""
    global _timer, _expires, _backstop
    if _timer is not None:
        _timer.cancel()
        _timer = None
    _expires = None
    if _backstop is not None:
        pid, write_end = _backstop
        _backstop = None
        faulthandler.cancel_dump_traceback_later()
        with contextlib.suppress(OSError):
            os.close(write_end)  # the watchdog reads end-of-file with nothing before it, and exits quietly
        with contextlib.suppress(OSError):
            os.waitpid(pid, os.WNOHANG if exiting else 0)


def _arm_backstop(seconds: float, line: str) -> None:
    global _backstop
    if not os.path.exists("/bin/sh"):
        return
    read_end, write_end = os.pipe()
    try:
        pid = os.posix_spawn("/bin/sh", ["sh", "-c", _WATCHDOG, "sh", line], {"PATH": "/usr/bin:/bin"},
                             file_actions=[(os.POSIX_SPAWN_DUP2, read_end, 0),
                                           (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return
    os.close(read_end)
    faulthandler.dump_traceback_later(seconds, exit=True, file=write_end)
    _backstop = (pid, write_end)


def _end_now(line: str) -> None:
    """Remove open temp files, stop child processes, say why, and exit 1: with nothing in between.

    "stopped" must be true. Between two Python calls of this thread the main thread could take
    the GIL back and finish a rename or a commit that the message then denies, so from the moment
    of decision this thread keeps the GIL (a switch interval of an hour) and makes only calls that
    do not release it (ctypes.PyDLL), down to _exit.
    """
    import ctypes

    children = _children()  # reads /proc, which releases the GIL: before the decision
    data = (line + "\n").encode("utf-8", "replace")
    try:
        libc: Any = ctypes.PyDLL(None)
        libc.write.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t)
    except (OSError, AttributeError):
        libc = None
    sys.setswitchinterval(3600.0)  # the decision: the command makes no more progress
    temps = [name.encode() for name in list(_open_temps)]
    if libc is None:
        discard_open_temps()
        for pid in children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.write(2, data)
        os._exit(1)
    for name in temps:
        libc.unlink(name)
    for pid in children:
        libc.kill(pid, int(signal.SIGKILL))
    libc.write(2, data, len(data))
    libc._exit(1)


def _children() -> list[int]:
    """Every process whose parent is this one, but the watchdog (Linux; elsewhere none)."""
    me = os.getpid()
    watchdog = _backstop[0] if _backstop else None
    found: list[int] = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit() or int(entry) == watchdog:
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
            ppid = int(stat.rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == me:
            found.append(int(entry))
    return found
