"""The `aihkg` command, and `python -m aihkg`: the same command line."""

from __future__ import annotations

import gc


def main() -> None:
    """Start the CLI: imports first, with the cycle collector paused, then the command."""
    # Importing Click and aihkg creates tens of thousands of objects and nothing cyclic to free, yet
    # the collector would scan them about twenty times during a 100 ms command. Paused for the
    # imports, then the survivors are frozen (never scanned again) and collection resumes for the
    # command's own work, which may well make garbage (a long `serve`, a big export).
    gc.disable()
    try:
        from aihkg.cli import main as run
    finally:
        gc.freeze()
        gc.enable()
    run()


if __name__ == "__main__":
    main()
