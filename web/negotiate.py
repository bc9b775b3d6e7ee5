"""HTTP content negotiation: which of the media types we offer an Accept header prefers (RFC 9110 §12.5.1).

q-values, wildcards (``*/*``, ``text/*``), media-type parameters and ``q=0`` exclusions are honoured;
a more specific range overrides a less specific one for the types it matches (``text/*;q=0.1,
text/html`` prefers HTML over other text); among equal preferences, the server's order wins.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Range:
    type: str
    subtype: str
    params: tuple[tuple[str, str], ...]
    q: float

    def matches(self, media: str) -> int:
        """How specifically this range matches `media` (2 exact, 1 type/*, 0 */*), or -1.

        A range with parameters ("text/plain;format=flowed") names only representations with those
        parameters (RFC 9110's own example); we offer none, so it matches nothing."""
        kind, _, sub = media.partition("/")
        if self.params:
            return -1
        if self.type == "*":
            return 0
        if self.type != kind:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


def parse_accept(header: str | None) -> list[Range]:
    """The ranges of an Accept header; an absent or empty header accepts anything."""
    if header is None or not header.strip():
        return [Range("*", "*", (), 1.0)]
    ranges = []
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if media == "*":
            media = "*/*"  # some clients send a bare "*"
        kind, slash, sub = media.partition("/")
        if not slash or not kind or not sub or (kind == "*" and sub != "*"):
            continue
        q = 1.0
        params = []
        for piece in pieces[1:]:
            key, eq, value = piece.partition("=")
            key = key.strip().lower()
            value = value.strip().strip('"')
            if not eq:
                continue
            if key == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
                break  # parameters after q are accept-extensions
            if key != "charset":  # charset never changes which format we send
                params.append((key, value))
        ranges.append(Range(kind, sub, tuple(params), q))
    return ranges


def quality(ranges: list[Range], media: str) -> float:
    """The q-value the client gives `media`: from its most specific matching range, 0 if none."""
    best_specificity, q = -1, 0.0
    for r in ranges:
        s = r.matches(media)
        if s > best_specificity or (s == best_specificity and s >= 0 and r.q > q):
            best_specificity, q = s, r.q
    return q if best_specificity >= 0 else 0.0


def choose(header: str | None, offered: list[str]) -> str | None:
    """The offered media type the client prefers (server order breaks ties), or None (send 406)."""
    ranges = parse_accept(header)
    best, best_q = None, 0.0
    for media in offered:
        q = quality(ranges, media)
        if q > best_q:
            best, best_q = media, q
    return best
