"""Throwaway stand-in bot: logs every activity the Playground sends and answers like a bot would."""
import json, sys, asyncio
from aiohttp import web, ClientSession

LOG = open(sys.argv[2] if len(sys.argv) > 2 else "/tmp/probe_bot.log", "a")

def log(kind, obj):
    LOG.write(json.dumps({"kind": kind, "obj": obj}) + "\n"); LOG.flush()

def card(text, verb="probe.click"):
    return {"contentType": "application/vnd.microsoft.card.adaptive", "content": {
        "type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": text}],
        "actions": [{"type": "Action.Execute", "title": "Click", "verb": verb, "data": {"x": 1}}]}}

async def post(session, url, body):
    async with session.post(url, json=body) as r:
        t = await r.text()
        log("outbound", {"url": url, "body": body, "status": r.status, "resp": t})
        return r.status, t

async def handle(request):
    act = await request.json()
    log("inbound", {"headers": dict(request.headers), "activity": act})
    su = act.get("serviceUrl", "").rstrip("/")
    async with ClientSession() as s:
        if act["type"] == "message":
            text = act.get("text") or ""
            conv = act["conversation"]
            reply = {"type": "message", "from": act["recipient"], "recipient": act["from"], "conversation": conv,
                     "replyToId": act.get("id"), "text": f"echo: {text}", "attachments": [card("card for " + text)]}
            await post(s, f"{su}/v3/conversations/{conv['id']}/activities/{act['id']}", reply)
            if text.startswith("proactive "):
                target = text.split()[1]
                params = {"bot": act["recipient"], "members": [{"id": target}], "isGroup": False,
                          "tenantId": conv.get("tenantId"), "channelData": {"tenant": {"id": conv.get("tenantId")}},
                          "activity": {"type": "message", "text": "activity inside create"}}
                st, t = await post(s, f"{su}/v3/conversations", params)
                cid = json.loads(t)["id"]
                msg = {"type": "message", "from": act["recipient"], "conversation": {"id": cid},
                       "attachments": [card("approval card", "decision.approve")]}
                await post(s, f"{su}/v3/conversations/{cid}/activities", msg)
                await post(s, f"{su}/v3/conversations/{cid}/members", None) if False else None
                async with s.get(f"{su}/v3/conversations/{cid}/members") as r:
                    log("members", {"status": r.status, "body": await r.text()})
            return web.Response(status=200)
        if act["type"] == "invoke":
            body = {"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive",
                    "value": card("updated after " + json.dumps(act.get("value")))["content"]}
            # also send a message into the conversation
            conv = act["conversation"]
            await post(s, f"{su}/v3/conversations/{conv['id']}/activities",
                       {"type": "message", "from": act["recipient"], "conversation": conv, "text": "invoke seen from " + act["from"]["id"]})
            return web.json_response(body)
    return web.Response(status=200)

app = web.Application()
app.router.add_post("/api/messages", handle)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]))
