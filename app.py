"""Composition root: settings -> engine -> services -> bot -> aiohttp app."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web
from botbuilder.core import ConversationState
from botbuilder.integration.aiohttp import CloudAdapter

from approvals.catalog import Catalog, CatalogError
from approvals.catalog_import import reroute_after_reload
from approvals.directory_cache import CachedDirectory
from approvals.policy_file import PolicyError
from approvals.ports import Clock, SystemClock
from bot.access_log import access_log_options
from bot.authentication import GuardedBotFrameworkAuthentication
from bot.directory_routing import resolve_catalog_people
from bot.endpoint import messages_handler
from bot.graph_client import GraphConfig, graph_client, graph_credential
from bot.graph_directory import GraphDirectory
from bot.handler import BotDeps, SignoffBot
from bot.log_safety import install_log_safety
from bot.messenger import Messenger
from bot.notifications import card_delivery
from bot.polling import Poller, Wakeup
from bot.scheduler import due_jobs
from bot.signing_keys import SigningKeys
from bot.turn_errors import on_turn_error
from bot.workers import Wakeups, WorkerOptions, Workers
from cards.render import complete_models
from catalog.live import LiveCatalog, Switch
from catalog.loader import load_catalog
from catalog.policy_loader import load_policies
from dialogs.sql_storage import SqlStorage
from settings import Settings, one_line
from storage.catalog_snapshots import CatalogSnapshotStore
from storage.dialog_state import DialogStateStore
from storage.engine import create_engine, ping
from storage.jobs import JobStore
from storage.migrate import migrate
from storage.outbox import OutboxStore
from storage.processed_activities import ProcessedActivityStore
from storage.uow import uow_factory

log = logging.getLogger("signoff")
DEPS = web.AppKey("deps", BotDeps)
WORKERS = web.AppKey("workers", Workers)
LIVE_CATALOG = web.AppKey("live_catalog", LiveCatalog)
CATALOG_POLL_SECONDS = 5.0  # a new snapshot or file is in use within this time


@dataclass
class AdapterConfig:
    """The attribute names ConfigurationBotFrameworkAuthentication reads."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str
    # Production mode sets these, so the SDK runs its parameterized validation (the same code
    # path in production and in the tests that point them at loopback stubs).
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str | None = None
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str | None = None
    TO_CHANNEL_FROM_BOT_LOGIN_URL: str | None = None
    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: str | None = None
    OAUTH_URL: str | None = None
    TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL: str | None = None
    CALLER_ID: str | None = None


def adapter_config(settings: Settings) -> AdapterConfig:
    """The SDK's configuration: local mode as is; production with the public cloud's endpoints
    spelled out (the values the SDK's built-in public cloud path uses)."""
    config = AdapterConfig(settings.app_id, settings.app_password, settings.app_type,
                           settings.app_tenant_id)
    if settings.local_mode:
        return config
    config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = settings.openid_metadata_url
    config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = settings.token_issuer
    # For login.microsoftonline.com the SDK uses MicrosoftAppTenantId itself (SingleTenant).
    config.TO_CHANNEL_FROM_BOT_LOGIN_URL = settings.login_url
    config.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = "https://api.botframework.com"
    config.OAUTH_URL = "https://api.botframework.com"
    config.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = (
        "https://login.microsoftonline.com/botframework.com/v2.0/.well-known/openid-configuration")
    config.CALLER_ID = "urn:botframework:azure"
    return config


def create_app(settings: Settings, clock: Clock | None = None,
               workers: WorkerOptions | None = None) -> web.Application:
    """Build the whole bot; the database is migrated when the app starts."""
    complete_models()  # not on the first click after a start
    # With Graph, catalog people may be named by email alone: Graph gives name and object id.
    catalog = load_catalog(settings.catalog_path, by_email=settings.graph_enabled)
    policy = load_policies(settings.policies_path, catalog)
    engine = create_engine(settings.database_url)
    clock = clock or SystemClock()
    credential = graph_credential(graph_config(settings)) if settings.graph_enabled else None
    graph = (GraphDirectory(graph_client(graph_config(settings), credential),
                            settings.teams_app_catalog_id) if credential is not None else None)
    options = workers or WorkerOptions()
    wakeups = Wakeups(clock, options.poll_seconds)  # rung by commits that queued work
    uows = uow_factory(engine, clock, on_queued=wakeups.on_queued)
    keys = None if settings.local_mode else SigningKeys(
        settings.openid_metadata_url, settings.signing_keys_timeout).install()
    auth = GuardedBotFrameworkAuthentication(
        adapter_config(settings), keys=keys, issuer=settings.token_issuer,
        allowed_tenants=settings.tenants,
    )
    adapter = CloudAdapter(auth)
    adapter.on_turn_error = on_turn_error
    conversation_state = ConversationState(SqlStorage(DialogStateStore(engine, clock)))
    deps = BotDeps(
        catalog=catalog, clock=clock, uow_factory=uows,
        messenger=Messenger(adapter, settings.app_id, uows, personal_chats=graph),
        app_id=settings.app_id, policy=policy, channels=settings.channel_ids,
        graph=CachedDirectory(graph, clock, ttl=timedelta(minutes=settings.graph_cache_minutes))
        if graph is not None else None,
        directory_deadline=settings.graph_deadline_seconds,
    )
    bot = SignoffBot(deps, conversation_state)

    def accept(new: Catalog) -> None:
        load_policies(settings.policies_path, new)  # the policy must still fit (its teams)

    async def switch(change: Switch) -> None:
        bot.use_catalog(change.after, load_policies(settings.policies_path, change.after))
        await resolve_catalog_people(deps)  # people named by email alone, through Graph
        if change.from_file:  # an import re-routes in its own transaction; a file, here
            await reroute_after_reload(uows(), change.before, change.after, deps.policy, clock,
                                       change.reason)

    live = LiveCatalog(catalog, settings.catalog_path, CatalogSnapshotStore(engine), accept,
                       switch, by_email=settings.graph_enabled)
    deps.catalog_check = live.check
    # Its own clock-free wait: the workers' injected sleep is theirs (tests count its naps);
    # stopping wakes it at once.
    catalog_poller = Poller("catalog", live.run_once, 1, Wakeup(), CATALOG_POLL_SECONDS,
                            asyncio.sleep)
    background = Workers(
        JobStore(engine, options.lease), OutboxStore(engine, options.lease),
        ProcessedActivityStore(engine), clock, wakeups,
        deliver=(options.deliver or card_delivery)(deps),
        run_job=(options.run_job or due_jobs)(deps), options=options,
    )

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await migrate(settings.database_url)
        await live.check()  # the newest imported catalog, before the first turn
        await resolve_catalog_people(deps)
        background.start()
        if options.background:
            catalog_poller.start()
        yield
        await catalog_poller.stop()
        await background.stop()
        await auth.close()
        if graph is not None and credential is not None:
            await graph.close()
            await credential.close()
        await engine.dispose()

    async def healthz(request: web.Request) -> web.Response:
        try:
            await ping(engine)
            backlog = await background.backlog()
        except (OSError, ConnectionError, RuntimeError) as exc:
            return web.json_response({"status": "unhealthy", "database": str(exc)[:200]},
                                     status=503)
        return web.json_response({"status": "ok", "database": "ok", **backlog})

    app = web.Application(client_max_size=settings.max_body_bytes)
    app.cleanup_ctx.append(lifecycle)
    app.router.add_post("/api/messages", messages_handler(adapter, bot, settings.max_body_bytes))
    app.router.add_get("/healthz", healthz)
    app[DEPS] = deps
    app[WORKERS] = background
    app[LIVE_CATALOG] = live
    return app


def graph_config(settings: Settings) -> GraphConfig:
    return GraphConfig(
        tenant_id=settings.graph_tenant_id, client_id=settings.graph_client_id,
        client_secret=settings.graph_client_secret,
        certificate_path=settings.graph_certificate_path, base_url=settings.graph_base_url,
        authority=settings.graph_authority, ca_file=settings.graph_ca_file,
        timeout_seconds=settings.graph_timeout_seconds,
    )


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # The Azure and HTTP client libraries log every request (URLs name people) at INFO.
    for noisy in ("azure", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        settings = Settings()
    except ValueError as error:
        log.error("Signoff did not start: %s", one_line(error))
        raise SystemExit(2) from None
    install_log_safety([settings.app_password])  # no secret, token or forged line in the log
    if settings.local_mode:
        log.warning(
            "LOCAL MODE: MicrosoftAppId is not set, so authentication is OFF and the bot listens "
            "on 127.0.0.1 only. Set MicrosoftAppId/MicrosoftAppPassword to run for real."
        )
    try:
        app = create_app(settings)
    except (CatalogError, PolicyError) as error:
        log.error("Signoff did not start: %s", error)
        raise SystemExit(2) from None
    app.on_startup.append(_freeze_startup_objects)  # runs after the app's own start-up
    web.run_app(app, host=settings.bind_host, port=settings.port,
                **access_log_options(settings.access_log))


async def _freeze_startup_objects(_app: web.Application) -> None:
    """What start-up built (modules, the catalog, card and table models) lives as long as the
    process: out of the collector's reach, a full collection no longer walks it (on this kind
    of machine one took about 140 ms, stalling every turn in flight). Only `python app.py`
    does this: a test process builds many apps, and objects frozen are never collected."""
    gc.collect()
    gc.freeze()


if __name__ == "__main__":
    main()
