"""Fuzzy ranking of asset names with rapidfuzz (the app's `TextRanker`)."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz, process, utils

from approvals.asset_search import HINT_SCORE


class RapidfuzzRanker:
    """Weighted ratio over lower-cased words: typos, partial names, "payment api" for
    "payments-api"."""

    def rank(self, query: str, keys: Sequence[str], limit: int) -> list[tuple[int, float]]:
        found = process.extract(
            query, keys, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit,
            score_cutoff=HINT_SCORE,
        )
        return [(position, float(score)) for _, score, position in found]
