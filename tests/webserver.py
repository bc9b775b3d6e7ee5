"""`aihkg serve` as a real process for the tests, on a free loopback port, stopped (and only it) afterwards."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


class Server:
    """Starts `python -m aihkg ARGS...` (which must include `serve --port 0`) and reads the URL it prints."""

    def __init__(self, *args: str) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "aihkg", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        line = self.proc.stdout.readline()
        match = re.search(r"at (http://\S+/) ", line)
        if not match:
            self.proc.kill()
            raise AssertionError(f"no URL printed: {line!r} {self.proc.stderr.read()}")
        self.url = match.group(1).rstrip("/")

    def get(self, path: str, timeout: float = 120, **kw):  # noqa: ANN201 - an httpx.Response
        import httpx

        return httpx.get(self.url + path, timeout=timeout, **kw)

    def stop(self, sig: int = signal.SIGTERM, wait: float = 30) -> tuple[int, str]:
        """Send `sig`, wait for the process to end; return its exit code and what it wrote on stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise
        return self.proc.returncode, self.proc.stderr.read()


def alive(pid: int) -> bool:
    """Whether process `pid` is running (a zombie is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"
