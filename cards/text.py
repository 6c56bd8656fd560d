"""Text that goes on a card: Markdown escaping, size-safe shortening, UTC times.

Teams parses Markdown in TextBlock and Fact text, and Teams clients disagree on backslash escapes
(desktop honours them, some mobile versions do not). So the cards put every piece of user or
catalog text in a TextRun, which is never Markdown-parsed; `escape_markdown` is for the places
that can only take Markdown (a plain chat message, a TextBlock).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from json.encoder import encode_basestring_ascii

MARKDOWN_METACHARACTERS = frozenset("\\`*_{}[]()#+-.!|><~")
# C0 controls (but tab and newline), DEL, C1 controls and lone surrogates: invisible or not
# encodable as UTF-8 (a JSON payload can carry "\\ud800"), and PostgreSQL refuses NUL.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
ELLIPSIS = "… (shortened)"


def escape_markdown(text: str) -> str:
    """`text` with every Markdown metacharacter backslash-escaped, so it shows literally."""
    return "".join("\\" + ch if ch in MARKDOWN_METACHARACTERS else ch for ch in text)


def clean(text: str) -> str:
    """`text` without control characters or lone surrogates, CRLF made LF, no outer blanks."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def single_line(text: str) -> str:
    """`text` cleaned, with every run of whitespace (newlines included) made one space."""
    return " ".join(clean(text).split())


def wire_size(text: str) -> int:
    """Bytes `text` takes in JSON as the Bot Framework sends it (ASCII only, \\u escapes)."""
    return len(encode_basestring_ascii(text)) - 2  # what json.dumps(text) does, without its layers


def shorten(text: str, max_bytes: int) -> str:
    """`text` cut so that it takes at most `max_bytes` bytes of JSON, marked when it was cut.

    The budget is counted as JSON with \\u escapes (the worst case: 12 bytes for an emoji), so
    a card stays under Teams' size limit whatever a requester typed.
    """
    if wire_size(text) <= max_bytes:
        return text
    keep = max_bytes - wire_size(ELLIPSIS)
    used = 0
    for i, ch in enumerate(text):
        used += wire_size(ch)
        if used > keep:
            return text[:i].rstrip() + ELLIPSIS
    return text  # unreachable: the whole text was over the budget


def format_time(moment: datetime) -> str:
    """A moment as server UTC, e.g. "2026-11-27 10:02 UTC" (a naive datetime is taken as UTC)."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M UTC")


def format_date(day: date) -> str:
    """A date as ISO, e.g. "2027-02-25"."""
    return day.isoformat()


def join_names(names: list[str], last: str = "or") -> str:
    """ "A", "A or B", "A, B or C"."""
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} {last} {names[-1]}"
