"""Finding the asset a person means: names, aliases, tags and kinds, with typo tolerance.

The fuzzy scoring is a port (`TextRanker`): the app plugs in a fuzzy-matching library
(catalog/search.py); the standard library's difflib is the fallback for tests and tools.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from approvals.model import Asset

CLEAR_SCORE = 88.0  # a typo: "paymnts-api" scores 96 against "payments-api"
CLEAR_MARGIN = 6.0  # the runner-up must trail by this much for one answer to be clear
CHOICE_SCORE = 70.0  # close enough to offer as a choice
HINT_SCORE = 40.0  # close enough to name as "did you mean"
MAX_LENGTH_CHANGE = 2  # "payments-web" is another asset, not a typo of "payments"
MAX_CHOICES = 5
WORD = re.compile(r"[a-z0-9]{2,}")  # "kv" and "prod" in "kv-payments-prod"


class TextRanker(Protocol):
    def rank(self, query: str, keys: Sequence[str], limit: int) -> list[tuple[int, float]]:
        """The positions in `keys` most like `query`, best first, each with a 0-100 score."""
        ...


class DifflibRanker:
    """The standard library's similarity ratio: fine for a small catalog."""

    def rank(self, query: str, keys: Sequence[str], limit: int) -> list[tuple[int, float]]:
        scored = []
        for i, key in enumerate(keys):
            matcher = difflib.SequenceMatcher(None, query, key)
            if matcher.real_quick_ratio() * 100 >= HINT_SCORE:
                scored.append((i, matcher.ratio() * 100))
        scored.sort(key=lambda pair: -pair[1])
        return scored[:limit]


@dataclass(frozen=True)
class AssetMatches:
    """What a name matched: one clear asset, a few to choose from, or only hints."""

    query: str
    clear: Asset | None = None
    choices: tuple[Asset, ...] = ()  # the first MAX_CHOICES of `matched`
    hints: tuple[str, ...] = ()
    matched: int = 0  # how many assets the name could mean

    @classmethod
    def among(cls, query: str, assets: Sequence[Asset]) -> AssetMatches:
        """Assets found by a tag, kind or word: offered, never assumed, even when only one
        has it (a request must not reach the wrong owner on a guess)."""
        return cls(query, choices=tuple(assets[:MAX_CHOICES]), matched=len(assets))


class AssetIndex:
    """Every way to name an asset (name, alias, tag, kind, a word of any of them), for lookups."""

    def __init__(self, assets: Mapping[str, Asset], ranker: TextRanker) -> None:
        self.ranker = ranker
        self.by_key: dict[str, Asset] = {}
        self.by_label: dict[str, list[Asset]] = {}
        for asset in assets.values():
            for key in (asset.name, *asset.aliases):
                self.by_key[key.lower()] = asset
            named = (asset.name, *asset.aliases, asset.kind, *asset.tags)
            words = {w for key in named for w in WORD.findall(key.lower())}
            for label in {*(t.lower() for t in asset.tags), asset.kind.lower(), *words}:
                self.by_label.setdefault(label, []).append(asset)
        self.keys: list[str] = list(self.by_key)

    def search(self, text: str) -> AssetMatches:
        """An exact name or alias; a clear near spelling; else the assets with that tag, kind
        or word; else the near spellings as choices and hints."""
        query = normalise(text)
        if not query:
            return AssetMatches(query)
        if query in self.by_key:
            return AssetMatches(query, clear=self.by_key[query], matched=1)
        near = self._near(query)
        if near.clear is not None:  # "payment api", "paymnts-api"
            return near
        if query in self.by_label:
            return AssetMatches.among(query, self.by_label[query])
        words = WORD.findall(query)
        if len(words) > 1 and all(w in self.by_label for w in words):
            # "kv payments": the assets whose names hold every word
            having_all = set.intersection(*({a.name for a in self.by_label[w]} for w in words))
            if having_all:
                found = [a for a in self.by_label[words[0]] if a.name in having_all]
                return AssetMatches.among(query, found)
        return near

    def _near(self, query: str) -> AssetMatches:
        best: dict[str, tuple[float, Asset, str]] = {}
        for position, score in self.ranker.rank(query, self.keys, limit=4 * MAX_CHOICES):
            key = self.keys[position]
            asset = self.by_key[key]
            if asset.name not in best or score > best[asset.name][0]:
                best[asset.name] = (score, asset, key)
        ranked = sorted(best.values(), key=lambda item: -item[0])
        if not ranked:
            return AssetMatches(query)
        top_score, top_asset, top_key = ranked[0]
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        if (top_score >= CLEAR_SCORE and top_score - runner_up >= CLEAR_MARGIN
                and abs(len(top_key) - len(query)) <= MAX_LENGTH_CHANGE):
            return AssetMatches(query, clear=top_asset, matched=1)
        choices = [asset for score, asset, _ in ranked if score >= CHOICE_SCORE]
        hints = tuple(asset.name for score, asset, _ in ranked[:3] if score >= HINT_SCORE)
        return AssetMatches(query, choices=tuple(choices[:MAX_CHOICES]), hints=hints,
                            matched=len(choices))


def normalise(text: str) -> str:
    return text.strip().strip("`'\"").strip().lower()
