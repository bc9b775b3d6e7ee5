"""web/negotiate.py: Accept headers as RFC 9110 reads them."""

from __future__ import annotations

import pytest

from aihkg.web.negotiate import choose, parse_accept, quality

OFFER = ["text/html", "text/turtle", "application/ld+json"]


@pytest.mark.parametrize("accept, expected", [
    (None, "text/html"),  # no header: anything, so the server's first
    ("", "text/html"),
    ("*/*", "text/html"),
    ("*", "text/html"),  # a bare * as some clients send
    ("text/turtle", "text/turtle"),
    ("TEXT/Turtle", "text/turtle"),
    ("text/turtle;q=0.5, application/ld+json;q=0.6", "application/ld+json"),
    ("text/*", "text/html"),
    ("text/*;q=0.2, text/turtle", "text/turtle"),  # the specific range overrides the wildcard
    ("text/html;q=0, */*", "text/turtle"),  # q=0: never
    ("text/html;level=1;q=0.9, text/turtle;q=0.8", "text/turtle"),  # html;level=1 is not what we send
    ("text/turtle;charset=utf-8", "text/turtle"),
    ("text/turtle;q=abc, application/ld+json;q=0.1", "application/ld+json"),  # a broken q is 0
    ("text/turtle;q=7", "text/turtle"),  # clamped to 1
    ("image/png", None),
    ("image/*, application/pdf", None),
    ("garbage, /, text/", None),
    ("*/*;q=0", None),
])
def test_choose(accept: str | None, expected: str | None) -> None:
    assert choose(accept, OFFER) == expected


def test_equal_preference_goes_to_the_servers_order() -> None:
    assert choose("application/ld+json, text/turtle", OFFER) == "text/turtle"
    assert choose("application/ld+json, text/turtle", list(reversed(OFFER))) == "application/ld+json"


def test_quality_comes_from_the_most_specific_range() -> None:
    ranges = parse_accept("*/*;q=0.1, text/*;q=0.5, text/turtle;q=0.9, text/turtle;format=x;q=0.3")
    assert quality(ranges, "text/turtle") == 0.9  # not the 0.3 of text/turtle;format=x
    assert quality(ranges, "text/html") == 0.5
    assert quality(ranges, "application/ld+json") == 0.1
