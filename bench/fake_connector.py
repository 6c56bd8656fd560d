"""A lean fake Bot Connector for the benchmark, run in its own process.

It answers like tests/e2e/fake_connector.py (201 with an id for a new conversation, 200 with an
id for a sent, replied or updated activity) but records nothing except counters (calls by kind, and
TCP connections opened to it), so it stays cheap under load. GET /stats returns them as JSON.

    python -m bench.fake_connector --port 0   # prints "listening <port>" once it is ready
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import weakref
from collections import Counter
from typing import Any

from aiohttp import web

_ids = itertools.count(1)
_counts: Counter[str] = Counter()
_open: weakref.WeakSet[asyncio.BaseTransport] = weakref.WeakSet()  # connections seen, alive


@web.middleware
async def _count_connections(request: web.Request, handler: Any) -> web.StreamResponse:
    transport = request.transport
    if transport is not None and request.path != "/stats" and transport not in _open:
        _open.add(transport)
        _counts["connections"] += 1
    response: web.StreamResponse = await handler(request)
    return response


async def _create(request: web.Request) -> web.Response:
    await request.read()
    _counts["create"] += 1
    host = f"http://{request.host}/"
    return web.json_response(
        {"id": f"a:created-{next(_ids)}", "serviceUrl": host, "activityId": None}, status=201
    )


async def _send(request: web.Request) -> web.Response:
    await request.read()
    _counts["send"] += 1
    return web.Response(text=f'{{"id":"act-{next(_ids)}"}}', content_type="application/json")


async def _update(request: web.Request) -> web.Response:
    await request.read()
    _counts["update"] += 1
    aid = json.dumps(request.match_info["aid"])
    return web.Response(text=f'{{"id":{aid}}}', content_type="application/json")


async def _delete(request: web.Request) -> web.Response:
    _counts["delete"] += 1
    return web.Response(status=200)


async def _stats(request: web.Request) -> web.Response:
    return web.json_response(dict(_counts))


def build_app() -> web.Application:
    app = web.Application(middlewares=[_count_connections])
    app.router.add_post("/v3/conversations", _create)
    app.router.add_post("/v3/conversations/{cid}/activities", _send)
    app.router.add_post("/v3/conversations/{cid}/activities/{aid}", _send)
    app.router.add_put("/v3/conversations/{cid}/activities/{aid}", _update)
    app.router.add_delete("/v3/conversations/{cid}/activities/{aid}", _delete)
    app.router.add_get("/stats", _stats)
    return app


async def _serve(port: int) -> None:
    runner = web.AppRunner(build_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = runner.addresses[0][1]  # the real port when 0 was asked for
    sys.stdout.write(f"listening {bound}\n")
    sys.stdout.flush()
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    try:
        asyncio.run(_serve(args.port))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
