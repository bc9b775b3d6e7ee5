"""Take the README's screenshots of the web explorer in headless Chromium.

    python docs/screenshot.py [--chromium /usr/bin/chromium]

Starts `aihkg serve` on a free loopback port, opens two pages in Debian's chromium through Playwright
(which cannot download a browser of its own here), writes docs/web-explorer.png (an entity page) and
docs/web-network.png (the network view), and stops the server.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = [("/id/MHRA.html", "web-explorer.png", (1280, 1000)), ("/graph", "web-network.png", (1400, 860))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    server = subprocess.Popen([sys.executable, "-m", "aihkg", "serve", "--port", "0", "--workers", "2"],
                              stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
    try:
        url = re.search(r"at (http://\S+?)/? ", server.stdout.readline()).group(1)
        with sync_playwright() as p:
            for path, name, (width, height) in SHOTS:
                context = p.chromium.launch_persistent_context(
                    tempfile.mkdtemp(prefix="aihkg-shot-"), executable_path=args.chromium, headless=True, args=ARGS,
                    viewport={"width": width, "height": height}, device_scale_factor=1)
                page = context.new_page()
                page.goto(url + path, timeout=300_000)
                if path == "/graph":
                    page.wait_for_selector("body[data-ready=true]", timeout=120_000)
                    page.wait_for_timeout(500)
                page.screenshot(path=str(HERE / name))
                context.close()
                print(HERE / name)
    finally:
        server.terminate()
        server.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
