"""Errors that reach the user as one line on stderr.

The exit code follows DEVELOPERS.md: 2 for usage (bad options, parameters, query text),
1 for data and runtime problems (a file that does not parse, a store that cannot be reached).
"""

from __future__ import annotations


class AihkgError(Exception):
    """Base of every error aihkg reports to a user."""

    exit_code = 1


class UsageProblem(AihkgError):
    """The command line, a parameter or a query text is wrong."""

    exit_code = 2


class DataProblem(AihkgError):
    """An RDF file, the cache or the graph's content is wrong."""

    exit_code = 1


class StoreProblem(AihkgError):
    """A store cannot be opened, read, written or reached."""

    exit_code = 1


class QueryTimeout(AihkgError):
    """A query ran longer than --timeout."""

    exit_code = 1


class IncompleteResult(AihkgError):
    """A server returned fewer rows than the answer has (it truncated the result)."""

    exit_code = 1
