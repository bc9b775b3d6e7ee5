"""What may run: every SPARQL text is checked before any engine or server sees it.

Read-only-ness and SERVICE are decided on the parsed query, by a real SPARQL parser (rdflib's),
never on text patterns: a regex and an engine's parser read comments, strings, names and line
endings differently, and each difference was a way past the old guard. The check:

1. refuses texts that are too large, empty, not UTF-8, or hold a bare carriage return (SPARQL ends
   a comment at CR, rdflib's grammar only at LF, so a lone CR is where two parsers disagree);
2. bounds what a parser must hold before it parses: bracket depth, chained operators and the
   number of terms outside VALUES data (Oxigraph's planner and parser grow without bound, and
   crash, on query texts far below the size cap);
3. parses the text as a SPARQL 1.1 query; a SERVICE anywhere in its tree is refused unless
   allowed; a text that parses as SPARQL Update is refused;
4. a text the parser cannot read may still run on a local store, where the engine reports its own
   syntax error, but only if it cannot hold SERVICE at all (no spelling of the keyword's letters),
   and never on a remote store.

The verdict is kept per text (in the process, and on disk for the canned queries and built-in
templates, beside the very text it was given for: an entry is used only for an identical text), so
a query process does not import the parser again.
Filling a template's ``VALUES ?x { UNDEF }`` lines with RDF terms (queries/bind.py) keeps its
verdict: a term serialised by Oxigraph is one token and cannot change the query around it.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, NamedTuple

from aihkg.graph.errors import UsageProblem

MAX_QUERY_CHARS = 500_000
MAX_NESTING = 100
# Oxigraph's parser recurses once per operator or clause of a chain and overflows its stack
# (SIGSEGV) from about 3,000 BINDs or OPTIONALs, 10,000 '+' or '||', 10,000 UNIONs.
MAX_OPERATORS = 1_000
# Terms (IRIs, names, variables, literals, blank nodes) outside VALUES data. Oxigraph's planner
# takes minutes from a few hundred joined triple patterns and crashes from about 9,000; VALUES
# rows, which it reads flat, are not counted.
MAX_TERMS = 2_000
_CHAIN_WORDS = {"UNION", "OPTIONAL", "MINUS", "BIND", "FILTER", "SERVICE", "GRAPH"}

FORMS = {"SELECT": "select", "ASK": "ask", "CONSTRUCT": "graph", "DESCRIBE": "graph"}
UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}


class _Lexer(NamedTuple):
    escape: re.Pattern[str]
    iri: re.Pattern[str]
    word: re.Pattern[str]
    var_chars: re.Pattern[str]
    local_chars: re.Pattern[str]
    number: re.Pattern[str]


@cache
def _lexer() -> _Lexer:
    """The lexer's patterns, compiled on first use: a canned query's verdict comes from the cache,
    so its process never lexes, and would pay a millisecond compiling these for nothing."""
    return _Lexer(
        re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})"),
        re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>"),
        re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*"),
        # Name characters: ASCII letters, digits, '_', and everything from U+00B7 on. Written as the
        # complement of what they exclude: a class of a few small ranges compiles in microseconds,
        # one spanning the whole of Unicode in milliseconds.
        re.compile(r"[^\x00-/:-@\[-^`{-\xb6]*"),  # VARNAME: no '.' or '-' (in `?o.SERVICE` '.' ends it)
        re.compile(r"(?:[^\x00-,/;-@\[-^`{-\xb6]|\\[_~.\-!$&'()*+,;=/?#@%]|%[0-9A-Fa-f]{2})*"),
        re.compile(r"[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?"),
    )


_KEYWORD_LETTERS = ("service",)
NO_SERVICE = ("SPARQL SERVICE would contact another server, so it is refused and no connection was made; "
              "pass --allow-service to permit federated queries")


class Verdict(NamedTuple):
    """What the parser made of a text."""

    form: str  # "select", "ask" or "graph"; "update"; "invalid" when the parser could not read it
    service: bool  # a SERVICE in the parse tree (or, for an unreadable text, its letters anywhere)
    update_word: str | None = None  # the first update operation's keyword, for the message
    error: str | None = None  # the parser's complaint about an unreadable text

    @property
    def parsed(self) -> bool:
        return self.form in ("select", "ask", "graph")


class CheckedQuery(NamedTuple):
    """A query text with the verdict of the check it passed; stores run only these."""

    text: str
    form: str  # "select", "ask" or "graph"
    service: bool
    parsed: bool  # False: the parser could not read it (a local engine will report why)
    trusted: bool = False  # aihkg's own text (a built-in canned query or template), not a user's


class QueryShape(NamedTuple):
    form: str  # "select", "ask", "graph", "update" or "unknown"
    update_word: str | None
    depth: int
    keywords: tuple[str, ...]
    operators: int = 0
    terms: int = 0


def unescape_codepoints(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        code = int(m.group(1) or m.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise UsageProblem(f"invalid \\u escape at character {m.start() + 1}")
        return chr(code)

    return _lexer().escape.sub(repl, text) if "\\" in text else text


# --------------------------------------------------------------------------- bounds (a light lexer)


def shape(text: str) -> QueryShape:
    """Keywords, nesting, operator chains and term counts of a SPARQL text, for the bounds.

    It over-counts rather than under-counts, and decides nothing about SERVICE or updates except
    which keyword to name in a message.
    """
    src = unescape_codepoints(text)
    lexer = _lexer()
    iri_at, var_chars_at, number_at, word_at, local_chars_at = \
        lexer.iri.match, lexer.var_chars.match, lexer.number.match, lexer.word.match, lexer.local_chars.match
    keywords: list[str] = []
    depth = max_depth = operators = terms = 0
    values_at: list[int] = []  # depths at which a VALUES data block is open
    pending_values = False
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        in_values = bool(values_at)
        if c == "#":
            j = src.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if c in "\"'":
            i = _skip_string(src, i)
            terms += not in_values
        elif c == "<":
            m = iri_at(src, i)
            operators += m is None
            terms += m is not None and not in_values
            i = m.end() if m else i + 1
        elif c in "?$":
            m = var_chars_at(src, i + 1)
            i = m.end() if m else i + 1
            terms += not in_values
        elif c in "{([":
            depth += 1
            max_depth = max(max_depth, depth)
            if c == "{" and pending_values:
                values_at.append(depth)
                pending_values = False
            terms += c == "[" and not in_values
            i += 1
        elif c in "})]":
            if values_at and values_at[-1] == depth:
                values_at.pop()
            depth -= 1
            i += 1
        elif c.isdigit() or (c == "." and i + 1 < n and src[i + 1].isdigit()):
            m = number_at(src, i)
            i = m.end() if m and m.end() > i else i + 1
            terms += not in_values
        elif c.isalpha() or c == "_":
            m = word_at(src, i)
            end = m.end() if m else i + 1
            name = end < n and src[end] == ":"
            if name:  # a prefixed name (ex:Thing), a term
                rest = local_chars_at(src, end + 1)
                end = rest.end() if rest else end + 1
                terms += not in_values
            elif m is not None:
                word = m.group(0).upper()
                keywords.append(word)
                if word == "VALUES":
                    pending_values = True
                elif word == "A":
                    terms += not in_values
            i = end
        elif c == ":":
            rest = local_chars_at(src, i + 1)
            i = rest.end() if rest and rest.end() > i + 1 else i + 1
            terms += not in_values
        else:
            operators += c in "|&+-*/=!>^"
            i += 1
    form, update_word = "unknown", None
    for word in keywords:
        if word in ("PREFIX", "BASE"):
            continue
        if word in FORMS:
            form = FORMS[word]
            break
        if word in UPDATE_WORDS:
            form, update_word = "update", word
            break
    if form != "update":
        update_word = next((w for w in keywords if w in UPDATE_WORDS), None)
        if update_word:
            form = "update"
    operators += sum(word in _CHAIN_WORDS for word in keywords)
    return QueryShape(form, update_word, max_depth, tuple(keywords), operators, terms)


def _skip_string(src: str, i: int) -> int:
    quote = src[i]
    if src.startswith(quote * 3, i):
        end = src.find(quote * 3, i + 3)
        while end > 0 and _escaped(src, end):
            end = src.find(quote * 3, end + 1)
        return len(src) if end < 0 else end + 3
    j = i + 1
    while j < len(src):
        ch = src[j]
        if ch == "\\":
            j += 2
            continue
        if ch == quote or ch == "\n":
            return j + 1
        j += 1
    return len(src)


def _escaped(src: str, pos: int) -> bool:
    backslashes = 0
    k = pos - 1
    while k >= 0 and src[k] == "\\":
        backslashes += 1
        k -= 1
    return backslashes % 2 == 1


def check_text(text: str) -> None:
    """Refuse a text that is too large, empty or not UTF-8 (before anything is added to it)."""
    if len(text) > MAX_QUERY_CHARS:
        raise UsageProblem(f"query text is {len(text):,} characters; the limit is {MAX_QUERY_CHARS:,}")
    if not text.strip():
        raise UsageProblem("query text is empty")
    surrogate = next((i for i, ch in enumerate(text) if "\ud800" <= ch <= "\udfff"), None)
    if surrogate is not None:
        raise UsageProblem(f"query text is not valid UTF-8 (at character {surrogate + 1})")


def check_bounds(text: str) -> QueryShape:
    """Refuse texts no parser should be handed; return their lexical shape."""
    check_text(text)
    bare_cr = _bare_cr(text)
    if bare_cr is not None:
        raise UsageProblem(f"query text has a carriage return without a line feed (at character {bare_cr + 1}), "
                           "where SPARQL parsers disagree, so it is refused; "
                           "end its lines with LF or CRLF")
    info = shape(text)
    if info.depth > MAX_NESTING:
        raise UsageProblem(f"query nests brackets {info.depth} levels deep; the limit is {MAX_NESTING}")
    if info.operators > MAX_OPERATORS:
        raise UsageProblem(f"query chains {info.operators:,} operators and clauses; the limit is {MAX_OPERATORS:,}")
    if info.terms > MAX_TERMS:
        raise UsageProblem(f"query holds {info.terms:,} terms outside VALUES data; the limit is {MAX_TERMS:,} "
                           "(long lists of values belong in a VALUES block)")
    return info


def _bare_cr(text: str) -> int | None:
    at = text.find("\r")
    while at >= 0:
        if not text.startswith("\r\n", at):
            return at
        at = text.find("\r", at + 2)
    return None


# --------------------------------------------------------------------------- the verdict (a real parser)

_PARSE_STACK_BYTES = 64 * 1024 * 1024  # four times what the worst text within the bounds needs
_PARSE_RECURSION = 100_000


def parse_verdict(text: str) -> Verdict:
    """The verdict of rdflib's SPARQL 1.1 parser on `text` (bounds already checked).

    rdflib's grammar recurses several Python frames per triple pattern, so the parse runs in a
    thread with a large stack and recursion limit: the bounds above keep it finite.
    """
    import sys
    import threading

    out: list[Verdict | BaseException] = []

    def work() -> None:
        # The limit is the interpreter's, not the thread's: raised for the parse, then put back.
        before = sys.getrecursionlimit()
        sys.setrecursionlimit(max(before, _PARSE_RECURSION))
        try:
            out.append(_parse(text))
        except BaseException as exc:  # noqa: BLE001 - handed back to the calling thread
            out.append(exc)
        finally:
            sys.setrecursionlimit(before)

    # Collect this thread's garbage first: a collection the parse thread triggered would free
    # pyoxigraph objects there, which pyoxigraph refuses (they belong to the thread that made them).
    import gc

    if gc.isenabled():
        gc.collect()
    old = threading.stack_size()
    threading.stack_size(_PARSE_STACK_BYTES)
    try:
        worker = threading.Thread(target=work, name="aihkg-guard-parse", daemon=True)
        worker.start()
    except RuntimeError:  # no room for the thread's stack (a low address-space limit): parse here, as is
        try:
            out.append(_parse(text))
        except BaseException as exc:  # noqa: BLE001
            out.append(exc)
    else:
        worker.join()
    finally:
        threading.stack_size(old)
    result = out[0]
    if isinstance(result, RecursionError):
        raise UsageProblem("query is nested too deeply to check") from None
    if isinstance(result, BaseException):
        raise result
    return result


def _parse(text: str) -> Verdict:
    import warnings

    from pyparsing import ParseBaseException

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from rdflib.plugins.sparql import parser
    try:
        tree = parser.parseQuery(text)
    except ParseBaseException as exc:
        query_error = exc
    else:
        form = {"SelectQuery": "select", "AskQuery": "ask", "ConstructQuery": "graph",
                "DescribeQuery": "graph"}.get(tree[1].name, "invalid")
        return Verdict(form, _has_service(tree))
    try:
        update = parser.parseUpdate(text)
    except ParseBaseException:
        return Verdict("invalid", _spells_service(text), None, _one_line(str(query_error)))
    requests = list(update.get("request") or [])
    if not requests:  # only PREFIX or BASE lines: an empty update, and no query either
        return Verdict("invalid", False, None, "no query after the PREFIX and BASE declarations")
    return Verdict("update", _has_service(update), _update_word(requests[0]))


def _has_service(tree: Any) -> bool:
    """Whether a parse tree holds a SERVICE pattern (walked with a stack: trees can be deep)."""
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                return True
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)) or type(node).__name__ == "ParseResults":
            stack.extend(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
    return False


def _update_word(request: Any) -> str:
    name = getattr(request, "name", "")
    if name == "Modify":
        return "WITH" if request.get("withClause") is not None else \
            ("DELETE" if request.get("delete") is not None else "INSERT")
    return {"InsertData": "INSERT", "DeleteData": "DELETE", "DeleteWhere": "DELETE", "Load": "LOAD",
            "Clear": "CLEAR", "Drop": "DROP", "Create": "CREATE", "Add": "ADD", "Move": "MOVE",
            "Copy": "COPY"}.get(name, "INSERT")


def _spells_service(text: str) -> bool:
    """Whether the letters of SERVICE appear anywhere, however escaped or cased.

    Only a text holding them could hold the keyword, in any parser: rdflib compares keywords after
    str.upper(), so 'ſervice' (long s) would be SERVICE to it; Oxigraph compares ASCII letters.
    """
    try:
        src = unescape_codepoints(text)
    except UsageProblem:
        return True
    return any(word in form for word in _KEYWORD_LETTERS
               for form in (src.lower(), src.upper().lower(), src.casefold()))


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


# --------------------------------------------------------------------------- verdict cache

# Verdicts by text, for a process that checks the same text again (a server, a notebook). Bounded:
# a long-running server sees any number of distinct texts, each up to MAX_QUERY_CHARS.
_memo: dict[str, Verdict] = {}
_MEMO_ENTRIES = 1024
_MEMO_TEXT_CHARS = 65_536


def verdict(text: str, *, remember: str | None = None) -> Verdict:
    """The checked verdict for `text` (bounds, then the parser), memoised; refuses what is unbounded.

    remember=SLOT keeps it on disk too, under that cache slot (a canned query's name, or a built-in
    template's slot: few, fixed texts, each slot holding its latest version), so later processes
    need neither the lexer nor the parser.
    """
    found = _memo.get(text)
    if found is not None:
        return found
    if remember:
        found = _disk_verdict(text, remember)
    else:
        check_bounds(text)
        found = parse_verdict(text)
    if len(text) <= _MEMO_TEXT_CHARS:
        if len(_memo) >= _MEMO_ENTRIES:
            _memo.clear()
        _memo[text] = found
    return found


def _disk_verdict(text: str, slot: str) -> Verdict:
    import json

    from aihkg.graph.cache import cached, text_key

    def build() -> bytes:
        check_bounds(text)
        return json.dumps({"text": text, "verdict": list(parse_verdict(text))}).encode()

    def for_this_text(body: bytes) -> bool:
        return json.loads(body)["text"] == text

    try:
        raw = json.loads(cached(f"guard-{slot}", text_key(text), build, ".json", check=for_this_text))["verdict"]
        return Verdict(str(raw[0]), bool(raw[1]), raw[2], raw[3])
    except (ValueError, TypeError, IndexError, KeyError):  # a damaged entry: decide afresh
        check_bounds(text)
        return parse_verdict(text)


# --------------------------------------------------------------------------- the check


def accept(found: Verdict, text: str, *, allow_service: bool = False, allow_update: bool = False,
           remote: bool = False, trusted: bool = False) -> CheckedQuery:
    """The CheckedQuery for a verdict, or the UsageProblem that says why it may not run."""
    if found.form == "update" and not allow_update:
        raise UsageProblem(
            f"queries are read-only: SPARQL Update ({found.update_word}) is refused; "
            "add data with `aihkg load` or `--data`"
        )
    if found.parsed:
        if found.service and not allow_service:
            raise UsageProblem(NO_SERVICE)
        return CheckedQuery(text, found.form, found.service, True, trusted)
    # The parser could not read it. A local engine may still run it, or say precisely why not.
    info = shape(text)
    if info.form == "update" and not allow_update:
        raise UsageProblem(
            f"queries are read-only: SPARQL Update ({info.update_word}) is refused; "
            "add data with `aihkg load` or `--data`"
        )
    if info.form not in FORMS.values():
        raise UsageProblem("not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
    if found.service and not allow_service:
        raise UsageProblem(f"SPARQL SERVICE may be in this query, which aihkg's SPARQL checker cannot read "
                           f"({found.error}), so it is refused and no connection was made; "
                           "pass --allow-service to permit federated queries")
    if remote:
        raise UsageProblem(f"SPARQL syntax error: {found.error or 'the query could not be read'} "
                           "(the query was not sent)")
    return CheckedQuery(text, info.form, found.service, False, trusted)


def checked(text: str, *, allow_service: bool = False, remote: bool = False, remember: str | None = None,
            trusted: bool = False) -> CheckedQuery:
    """Check `text` for running on a store; the CheckedQuery, or a UsageProblem saying why not."""
    return accept(verdict(text, remember=remember), text, allow_service=allow_service, remote=remote,
                  trusted=trusted)


def template(text: str) -> CheckedQuery:
    """One of aihkg's own query texts (fixed, in its code or catalog): checked like any other, with
    the verdict kept on disk, so later processes need no parser. SERVICE is decided by the store."""
    from aihkg.graph.cache import text_key

    slot = "t" + text_key(text)
    return checked(text, allow_service=True, remember=slot, trusted=True)


def check(text: str, *, allow_service: bool = False, allow_update: bool = False) -> str:
    """The query form ("select", "ask" or "graph") if `text` may run, else a UsageProblem."""
    return accept(verdict(text), text, allow_service=allow_service, allow_update=allow_update).form


def refill(template: CheckedQuery, text: str) -> CheckedQuery:
    """`text`, a checked template whose VALUES placeholders were filled with RDF terms, under the
    template's verdict."""
    return template._replace(text=text)
