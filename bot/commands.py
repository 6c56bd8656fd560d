"""Text commands: the @mention already removed, case-insensitive, small typos tolerated."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

# Each command's keywords, in the order they are tried; the rest of the text is its argument.
PHRASES: list[tuple[str, tuple[str, ...]]] = [
    ("help", ("help",)),
    ("who_owns", ("who", "owns")),
    ("request_exception", ("request", "exception")),
    ("request_rollback", ("request", "rollback")),
    ("status", ("status",)),
    ("my_requests", ("my", "requests")),
    ("my_approvals", ("my", "approvals")),
    ("withdraw", ("withdraw",)),
    ("revoke", ("revoke",)),
    ("renew", ("renew",)),
    ("delegation_off", ("delegation", "off")),
    ("delegation_off", ("delegate", "off")),
    ("delegation", ("delegation",)),
    ("delegate", ("delegate",)),
]
FILLER = {"for", "of", "on", "the", "an", "a", "please", "pls"}


@dataclass(frozen=True)
class Command:
    name: str  # one of PHRASES' names, or "unknown"
    argument: str = ""
    text: str = ""


def _same_word(word: str, keyword: str) -> bool:
    if word == keyword:
        return True
    if len(keyword) < 4:
        return False
    return difflib.SequenceMatcher(None, word, keyword).ratio() >= 0.8


def _strip_filler(words: list[str]) -> str:
    while words and words[0].lower() in FILLER:
        words = words[1:]
    return " ".join(words).strip(" ?.!")


def parse_command(text: str) -> Command:
    """Map chat text to a command; anything unrecognised is `unknown` (and gets help)."""
    clean = re.sub(r"\s+", " ", (text or "").replace("\u00a0", " ")).strip()
    words = clean.split(" ") if clean else []
    lowered = [w.lower().strip("?.!,:") for w in words]
    if lowered[:2] in (["who's", "owner"], ["whos", "owner"]) or lowered[:1] == ["owner"]:
        start = 2 if lowered[0] != "owner" else 1
        return Command("who_owns", _strip_filler(words[start:]), clean)
    if lowered[:3] == ["who", "is", "owner"] or lowered[:2] == ["who", "own"]:
        start = 3 if lowered[1] == "is" else 2
        return Command("who_owns", _strip_filler(words[start:]), clean)
    if len(lowered) >= 4 and lowered[:2] == ["what", "does"] and lowered[-1] in ("own", "owns"):
        return Command("what_owns", " ".join(words[2:-1]).strip(" ?"), clean)
    for name, keywords in PHRASES:
        n = len(keywords)
        if len(lowered) >= n and all(
            _same_word(w, k) for w, k in zip(lowered[:n], keywords, strict=True)
        ):
            return Command(name, _strip_filler(words[n:]), clean)
    # "exception for X" / "rollback X" without "request"
    if lowered and _same_word(lowered[0], "exception"):
        return Command("request_exception", _strip_filler(words[1:]), clean)
    if lowered and _same_word(lowered[0], "rollback"):
        return Command("request_rollback", _strip_filler(words[1:]), clean)
    if len(lowered) == 1 and re.fullmatch(r"(exc|rbk)-\d+", lowered[0]):
        return Command("status", words[0], clean)
    return Command("unknown", "", clean)
