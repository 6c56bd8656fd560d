"""The directory step before the domain decides: who is reachable for an asset, as plain values.

The bot asks the directory (Microsoft Graph, or the catalog offline) before a submission, a
renewal and a due job that sends a request to people (reminder, escalation, review), and keeps
what it learnt in `deps.catalog`, so a group member or a manager the directory added can decide
in the turns that follow.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from approvals import services
from approvals.errors import UnknownRequest
from approvals.reachability import Reachable, resolve_people, who_is_reachable
from bot.deps import BotDeps

log = logging.getLogger(__name__)


async def reachable_for(deps: BotDeps, asset_name: str, managers_too: bool = False
                        ) -> Reachable:
    """The asset's people as the directory has them now (the catalog when it cannot say)."""
    try:
        async with asyncio.timeout(deps.directory_deadline):
            reachable = await who_is_reachable(deps.directory, deps.catalog, asset_name,
                                               deps.clock.now(), managers_too)
    except TimeoutError:
        log.warning("directory too slow (over %.0f s): %s is routed from the catalog alone",
                    deps.directory_deadline, asset_name)
        return Reachable(deps.catalog, fallback="the directory did not answer in time")
    # No await from here: the answers go on the catalog as it is now, not as it was before
    # the lookup, so turns (and the scheduler) asking at once keep each other's answers.
    deps.catalog = reachable.answers.apply(deps.catalog)
    return replace(reachable, catalog=deps.catalog)


async def refresh_for_request(deps: BotDeps, request_id: str) -> Mapping[str, datetime | None]:
    """Before a due job: the request's asset's group members and managers as they are now;
    returns who of its people (managers included) is away now."""
    try:
        request = await services.request_status(deps.uow_factory(), request_id)
    except UnknownRequest:
        return {}
    return (await reachable_for(deps, request.asset_name, managers_too=True)).away


async def resolve_catalog_people(deps: BotDeps) -> None:
    """At start: everyone the catalog names by email alone gets a name and an object id."""
    if deps.catalog.unresolved:
        deps.catalog = await resolve_people(deps.directory, deps.catalog)
