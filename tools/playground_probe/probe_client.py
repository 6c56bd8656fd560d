import asyncio, json, sys
from aiohttp import ClientSession
PG = "http://127.0.0.1:56190"
async def main():
    async with ClientSession() as s:
        cfg = await (await s.get(PG + "/_internal/v1/config")).json()
        pc = cfg["config"]["personalChat"]["id"]
        ws = await s.ws_connect(PG + "/_ws_conversation/v1/conversations/stream")
        lws = await s.ws_connect(PG + "/_ws/log/stream")
        async def reader(w, name):
            async for m in w:
                print(name, m.data[:3000], flush=True)
        t1 = asyncio.create_task(reader(ws, "CONV")); t2 = asyncio.create_task(reader(lws, "LOG"))
        for body in [{"from": {"id": "user-id-0"}, "text": "hello"},
                     {"from": {"id": "user-id-0"}, "text": "hello", "textFormat": "plain"},
                     {"from": {"id": "user-id-0"}, "text": "proactive user-id-1", "textFormat": "plain"}]:
            r = await s.post(f"{PG}/_conversation/v1/conversations/{pc}/messages", json=body)
            print("POST", r.status, await r.text(), flush=True)
            await asyncio.sleep(1.5)
        await asyncio.sleep(1)
asyncio.run(main())
