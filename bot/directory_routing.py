"""The directory step before the domain decides: who is reachable for an asset, as plain values.

The bot asks the directory (Microsoft Graph, or the catalog offline) before a submission and
before a due job (reminder, escalation), and keeps the catalog it got in `deps.catalog`, so a
group member or a manager the directory added can decide in the turns that follow.
"""

from __future__ import annotations

import asyncio
import logging

from approvals import services
from approvals.errors import UnknownRequest
from approvals.reachability import Reachable, resolve_people, who_is_reachable
from bot.deps import BotDeps

log = logging.getLogger(__name__)

async def reachable_for(deps: BotDeps, asset_name: str) -> Reachable:
    """The asset's people as the directory has them now (the catalog when it cannot say)."""
    try:
        async with asyncio.timeout(deps.directory_deadline):
            reachable = await who_is_reachable(deps.directory, deps.catalog, asset_name,
                                               deps.clock.now())
    except TimeoutError:
        log.warning("directory too slow (over %.0f s): %s is routed from the catalog alone",
                    deps.directory_deadline, asset_name)
        return Reachable(deps.catalog, fallback="the directory did not answer in time")
    deps.catalog = reachable.catalog
    return reachable


async def refresh_for_request(deps: BotDeps, request_id: str) -> None:
    """Before a due job: the request's asset's group members and managers, as they are now."""
    try:
        request = await services.request_status(deps.uow_factory(), request_id)
    except UnknownRequest:
        return
    await reachable_for(deps, request.asset_name)


async def resolve_catalog_people(deps: BotDeps) -> None:
    """At start: everyone the catalog names by email alone gets a name and an object id."""
    if deps.catalog.unresolved:
        deps.catalog = await resolve_people(deps.directory, deps.catalog)
