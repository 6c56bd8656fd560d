"""Fuzzy ranking of asset names with rapidfuzz (the app's `TextRanker`)."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz, process, utils

from approvals.asset_search import HINT_SCORE


class RapidfuzzRanker:
    """Similarity of lower-cased words ("payment api" is close to "payments-api"): typos,
    transpositions, missing letters. Partial names are the word index's job (asset_search)."""

    def __init__(self) -> None:
        self._keys: Sequence[str] | None = None
        self._processed: list[str] = []

    def rank(self, query: str, keys: Sequence[str], limit: int) -> list[tuple[int, float]]:
        if keys is not self._keys:  # the index's keys, processed once rather than per query
            self._processed = [utils.default_process(key) for key in keys]
            self._keys = keys
        found = process.extract(
            utils.default_process(query), self._processed, scorer=fuzz.QRatio, processor=None,
            limit=limit, score_cutoff=HINT_SCORE,
        )
        return [(position, float(score)) for _, score, position in found]
