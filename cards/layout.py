"""Building blocks every card shares: the card itself, fixed text, text runs, facts, sections.

Rule of this package: a TextBlock holds only text written here (it is Markdown-parsed); text that
comes from a person or the catalog goes in a TextRun (never Markdown-parsed), shortened to a byte
budget so no input can push a card over Teams' size limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from adaptive_cards import types
from adaptive_cards.card import (
    ActionExecute,
    AdaptiveCard,
    Container,
    ElementT,
    RichTextBlock,
    TextBlock,
    TextRun,
)

from cards.refresh import ExecuteRefresh, RefreshableCard
from cards.text import clean, shorten, single_line

Element: TypeAlias = ElementT
CARD_VERSION = "1.5"

# Byte budgets (JSON with \u escapes) for text from outside; see cards.text.shorten.
SHORT = 400  # a name, an asset, a reference
TITLE = 1200  # a request title (at most 200 characters by policy)
LONG = 4000  # a justification, controls, a comment (at most 2000 characters by policy)
NOTE = 1500  # each of several notes or decision comments on one card


def new_card(body: Sequence[Element], actions: Sequence[ActionExecute] = (),
             refresh: ExecuteRefresh | None = None) -> AdaptiveCard:
    """An Adaptive Card 1.5 with `body` and, when there are any, `actions` and a `refresh`."""
    return RefreshableCard(version=CARD_VERSION, body=list(body), actions=list(actions) or None,
                           refresh=refresh)


def heading(text: str) -> TextBlock:
    """A card's title line (fixed text only)."""
    return TextBlock(
        text=text, wrap=True, size=types.FontSize.MEDIUM, weight=types.FontWeight.BOLDER,
        style=types.TextBlockStyle.HEADING,
    )


def label(text: str) -> TextBlock:
    """A bold caption above a block of user text (fixed text only)."""
    return TextBlock(
        text=text, wrap=True, weight=types.FontWeight.BOLDER, spacing=types.Spacing.MEDIUM
    )


def note(text: str, color: types.Colors | None = None, subtle: bool = False) -> TextBlock:
    """A line of fixed text."""
    return TextBlock(text=text, wrap=True, color=color, is_subtle=subtle or None)


def run(
    text: str,
    *,
    bold: bool = False,
    subtle: bool = False,
    color: types.Colors | None = None,
    monospace: bool = False,
    size: types.FontSize | None = None,
) -> TextRun:
    """A run of literal text: Teams shows it as typed, never as Markdown."""
    return TextRun(
        text=text,
        weight=types.FontWeight.BOLDER if bold else None,
        is_subtle=subtle or None,
        color=color,
        font_type=types.FontType.MONOSPACE if monospace else None,
        size=size,
    )


def rich(*runs: TextRun, spacing: types.Spacing | None = None) -> RichTextBlock:
    """A paragraph made of text runs."""
    inlines: list[str | TextRun] = list(runs)
    return RichTextBlock(inlines=inlines, spacing=spacing)


def literal(text: str, budget: int = SHORT) -> str:
    """One line of outside text, cleaned and shortened to `budget` bytes; "-" when empty."""
    return shorten(single_line(text), budget) or "-"


def fact(name: str, value: str, budget: int = SHORT) -> RichTextBlock:
    """ "Name: value" on one line, the value literal."""
    return rich(run(f"{name}: ", bold=True), run(literal(value, budget)))


def facts(pairs: Sequence[tuple[str, str]]) -> Container:
    """Several facts stacked tightly."""
    items: list[Element] = [fact(name, value) for name, value in pairs]
    for item in items[1:]:
        item.spacing = types.Spacing.NONE
    return Container(items=items)


def section(caption: str, text: str, budget: int = LONG) -> list[Element]:
    """A bold caption and a block of literal multi-line text under it."""
    body = shorten(clean(text), budget) or "-"
    return [label(caption), rich(run(body), spacing=types.Spacing.SMALL)]


def warning(text: str) -> RichTextBlock:
    """A line in the warning colour; may hold outside text."""
    return rich(run(literal(text, LONG), color=types.Colors.WARNING))


def field_error(text: str) -> RichTextBlock:
    """A form field's error, in red (attention), right under the field."""
    return rich(
        run(literal(text, SHORT), color=types.Colors.ATTENTION), spacing=types.Spacing.NONE
    )
