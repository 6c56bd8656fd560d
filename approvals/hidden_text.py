"""Text people write must show as it is read: no invisible or direction-changing characters.

A right-to-left override (U+202E) can make `exe.txt` read as `txt.exe`; a zero-width space can
make two different asset names or ids look the same; a control character can hide text in a
log or a card. Such characters in a title, a justification, a comment or an answer are refused
with a message naming them, and the form comes back without them so the person can see what
remains and submit again.
"""

from __future__ import annotations

import unicodedata

ALLOWED_CONTROLS = frozenset("\t\n\r")
# Unicode categories that are never visible on their own: format characters (bidi embeddings,
# overrides and isolates, zero-width spaces and joiners, BOM, tags...), controls, separators
# that break lines where no line break was typed.
HIDDEN_CATEGORIES = frozenset({"Cf", "Cc", "Zl", "Zp"})


def is_hidden(char: str) -> bool:
    return char not in ALLOWED_CONTROLS and unicodedata.category(char) in HIDDEN_CATEGORIES


def describe(char: str) -> str:
    """`U+202E RIGHT-TO-LEFT OVERRIDE`."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'control character')}"


def hidden_characters_problem(text: str) -> str | None:
    """What is wrong with `text`, in words a person can act on, or None."""
    found = [(position, char) for position, char in enumerate(text, 1) if is_hidden(char)]
    if not found:
        return None
    names = sorted({describe(char) for _, char in found})
    return (f"contains {len(found)} invisible or text-direction character"
            f"{'s' if len(found) > 1 else ''} ({', '.join(names)}; the first is character "
            f"{found[0][0]})")


def without_hidden(text: str) -> str:
    """The text with every hidden character taken out."""
    return "".join(char for char in text if not is_hidden(char))
