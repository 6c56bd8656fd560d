import asyncio, json, sys
from aiohttp import ClientSession
PG = "http://127.0.0.1:56190"
async def main(target):
    async with ClientSession() as s:
        cfg = await (await s.get(PG + "/_internal/v1/config")).json()
        pc = cfg["config"]["personalChat"]["id"]
        lws = await s.ws_connect(PG + "/_ws/log/stream")
        ws = await s.ws_connect(PG + "/_ws_conversation/v1/conversations/stream")
        logs = []; convs = []
        async def reader(w, sink):
            async for m in w: sink.append(json.loads(m.data))
        asyncio.create_task(reader(lws, logs)); asyncio.create_task(reader(ws, convs))
        await asyncio.sleep(0.3); logs.clear(); convs.clear()
        r = await s.post(f"{PG}/_conversation/v1/conversations/{pc}/messages", json={"from": {"id": "user-id-0"}, "text": f"proactive {target}", "textFormat": "plain"})
        print("say", r.status, await r.text())
        await asyncio.sleep(1.5)
        create = [l["log"] for l in logs if l.get("log", {}).get("activityName") == "createConversation"]
        cid = create[-1]["response"]["body"]["id"]
        card_msgs = [l["log"] for l in logs if l["log"].get("conversationId") == cid and l["log"].get("from") == "User Application"]
        print("create resp", create[-1]["response"]); print("card post resp", [c["response"] for c in card_msgs])
        mid = card_msgs[-1]["response"]["body"]["id"]
        r = await s.get(f"{PG}/_connector/v3/conversations/{cid}/members"); print("members", r.status, await r.text())
        for uid in ["user-id-1", target, "user-id-0"]:
            body = {"name": "adaptiveCard/action", "from": {"id": uid}, "conversation": {"id": cid}, "replyToId": mid,
                    "value": {"action": {"type": "Action.Execute", "verb": "decision.approve", "data": {"requestId": "EXC-1"}}, "trigger": "manual"}}
            r = await s.post(f"{PG}/_conversation/v1/invoke", json=body); print("invoke as", uid, r.status, await r.text())
        # invoke on Alex's card
        await asyncio.sleep(0.5)
        cards = [c for c in convs if c.get("message", {}).get("attachments")]
        print("conv ws msgs", len(convs), [c["actionConversationId"] for c in convs])
        m = cards[0]["message"]
        body = {"name": "adaptiveCard/action", "from": {"id": "user-id-0"}, "conversation": {"id": pc}, "replyToId": m["messageId"],
                "value": {"action": {"type": "Action.Execute", "verb": "probe.click", "data": {"x": 1}}}}
        r = await s.post(f"{PG}/_conversation/v1/invoke", json=body); print("invoke alex", r.status, (await r.text())[:400])
        await asyncio.sleep(0.5)
        print("conv after invoke", json.dumps(convs[-1])[:500])
asyncio.run(main(sys.argv[1]))
