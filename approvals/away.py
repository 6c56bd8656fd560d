"""Out of office: a new request goes around a first-line decider who is away, and says so."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from approvals.catalog import Catalog
from approvals.model import Asset, DecisionRule, Note, Request, Step
from approvals.staffing import first_line

AWAY = "away"  # the kind of note naming (as its author) a person who was away at submission


def route_around_absences(
    catalog: Catalog, asset: Asset, rule: DecisionRule, steps: Sequence[Step], requester_id: str,
    away: Mapping[str, datetime | None], now: datetime,
) -> tuple[tuple[str, ...], tuple[Note, ...]]:
    """The first line with away people passed over for the next role (the backup, the rest of
    the team), and one note per person passed over; unchanged when that leaves nobody. The
    away people stay eligible: they can still decide."""
    usual = first_line(catalog, asset, rule, steps, requester_id)
    if not set(usual) & set(away):
        return usual, ()
    around = first_line(catalog, asset, rule, steps, requester_id, unavailable=set(away))
    if not around:
        return usual, ()
    sent_to = ", ".join(catalog.display(p) for p in around)
    notes = tuple(
        Note(p, catalog.display(p), f"{catalog.display(p)} is away{_until(away[p])}; "
             f"sent to {sent_to}", now, AWAY)
        for p in usual if p in away
    )
    return around, notes


def away_people(request: Request) -> frozenset[str]:
    """Who was passed over as away when the request was submitted."""
    return frozenset(n.author_id for n in request.notes if n.kind == AWAY)


def _until(until: datetime | None) -> str:
    return f" until {until:%a %d %b %Y %H:%M} UTC" if until else " (automatic replies are on)"
