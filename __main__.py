"""`python -m aihkg`: the same command line as `aihkg`."""

from aihkg.cli import main

main()
