"""The web's JSON API over real HTTP (httpx against uvicorn in this loop): every route, each role, CSRF,
confirmations through the gate, bad input answered in one line with nothing changed, SSE and the chat."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

from tests.bot.web.harness import ORDER_CONFIRMS, running
from tools.catalog import CATALOG
from tools.gate import Role

REQUIRED = {"get_price": {"symbol": "BTC/USD"}, "make_chart": {"symbol": "BTC/USD", "hours": "2"},
            "get_candles": {"symbol": "BTC/USD"}, "run_backtest": {"symbol": "BTC/USD", "start": "2018-01-20", "end": "2018-01-25"},
            "explain_evaluation": {"symbol": "BTC/USD"}, "why_strategy_off": {"strategy": "mean_reversion"}}


def one_line(r) -> str:  # noqa: ANN001
    body = r.json()
    assert body["ok"] is False and "\n" not in body["error"] and 0 < len(body["error"]) <= 300, body
    assert "Traceback" not in r.text and "File \"" not in r.text
    return body["error"]


async def orders(h) -> int:  # noqa: ANN001
    return len(await h.exchange.fetch_open_orders()) + len(await h.exchange.fetch_closed_orders())


async def test_page_status_and_every_read_tool_for_each_role() -> None:
    async with running() as h:
        page = await h.http.get("/")
        assert page.status_code == 200 and "<title>Zyn · PAPER</title>" in page.text
        assert "lightweight-charts.js" in page.text and "https://" not in page.text.split("<footer")[0]
        status = (await h.http.get("/api/status")).json()
        assert status["ok"] and status["result"]["mode"] == "paper"
        assert status["result"]["data_source"].startswith("offline replay")
        owner, _ = await h.owner()
        viewer, _ = await h.login(Role.VIEWER)
        reads = [t for t in CATALOG.values() if not t.changes_state]
        assert {"get_candles", "list_decisions", "autopilot_status"} <= {t.name for t in reads}
        for client in (owner, viewer):
            for tool in reads:
                r = await client.get(f"/api/tools/{tool.name}", params=REQUIRED.get(tool.name, {}))
                assert r.status_code == 200, (tool.name, r.text)
                assert r.json()["ok"] and r.json()["text"], tool.name
            assert (await client.get("/api/me")).json()["role"] in ("owner", "viewer")
        spec = (await h.http.get("/openapi.json")).json()
        assert all(f"/api/tools/{t.name}" in spec["paths"] for t in reads)
        assert all(f"/api/actions/{t.name}" in spec["paths"] for t in CATALOG.values() if t.changes_state)
        assert "symbol" in json.dumps(spec["paths"]["/api/tools/get_candles"])
        docs = await h.http.get("/docs")
        assert docs.status_code == 200 and "/api/tools/get_candles" in docs.text and "cdn" not in docs.text
        assert (await h.http.get("/static/LIGHTWEIGHT-CHARTS-LICENSE.txt")).status_code == 200
        for c in (owner, viewer):
            await c.aclose()


async def test_an_order_through_the_api_shows_in_the_dashboard_figures() -> None:
    async with running() as h:
        c, csrf = await h.owner()
        r = await c.post("/api/actions/place_order", json={"symbol": "BTC/USD", "side": "buy", "amount": "0.01"},
                         headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200 and r.json()["result"]["order"]["status"] == "closed", r.text
        d = (await c.get("/api/dashboard")).json()
        truth = await h.exchange.fetch_balances()
        shown = {b["asset"]: Decimal(b["total"]) for b in d["portfolio"]["data"]["balances"]}
        assert shown == {a: b.total for a, b in truth.items()}
        [pos] = [p for p in d["portfolio"]["data"]["positions"] if p["position"]["symbol"] == "BTC/USD"]
        assert Decimal(pos["position"]["amount"]) == Decimal("0.01")
        assert d["fills"]["data"]["fills"][0]["symbol"] == "BTC/USD"
        assert d["mode"] == "paper" and d["offline"] is True and d["kill_switch"]["data"]["tripped"] is False
        await c.aclose()


async def test_viewer_missing_and_wrong_csrf_and_bad_input_change_nothing() -> None:
    async with running() as h:
        owner, csrf = await h.owner()
        viewer, vcsrf = await h.login(Role.VIEWER)
        order = {"symbol": "BTC/USD", "side": "buy", "amount": "0.01"}
        r = await viewer.post("/api/actions/place_order", json=order, headers={"X-CSRF-Token": vcsrf})
        assert r.status_code == 403 and "permission" in one_line(r)
        r = await owner.post("/api/actions/place_order", json=order)
        assert r.status_code == 403 and "CSRF" in one_line(r)
        r = await owner.post("/api/actions/place_order", json=order, headers={"X-CSRF-Token": "nope"})
        assert r.status_code == 403 and "CSRF" in one_line(r)
        r = await h.http.post("/api/actions/autopilot_stop", json={})  # no session at all
        assert r.status_code == 403
        r = await owner.post("/api/actions/place_order", json=order,
                             headers={"X-CSRF-Token": csrf, "Origin": "http://evil.example"})
        assert r.status_code == 403 and "cross-origin" in one_line(r)
        for bad, why in (({**order, "amount": "-1"}, "amount"), ({**order, "amount": "lots"}, "amount"),
                         ({**order, "leverage": 5}, "unknown argument"), ({**order, "symbol": "NOPE/USD"}, "")):
            r = await owner.post("/api/actions/place_order", json=bad, headers={"X-CSRF-Token": csrf})
            assert r.status_code == 400 and why in one_line(r), r.text
        r = await owner.post("/api/actions/place_order", content=b"{not json", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 400 and one_line(r) == "the body must be JSON"
        r = await owner.post("/api/actions/place_order", content=b"x" * 20000, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 413
        r = await owner.get("/api/tools/trade_history", params={"limit": "0"})
        assert r.status_code == 400 and "limit" in one_line(r)
        r = await owner.get("/api/tools/list_decisions", params={"decision": "maybe"})
        assert r.status_code == 400
        r = await owner.get("/api/nothing-here")
        assert r.status_code == 404 and one_line(r) == "not found"
        r = await h.http.get("/api/status", headers={"Host": "evil.example"})
        assert r.status_code == 400 and "Host" in one_line(r)
        assert await orders(h) == 0 and h.db.get_autopilot_state().enabled is True
        await owner.aclose()
        await viewer.aclose()


async def test_confirmations_belong_to_their_session_and_run_once() -> None:
    async with running() as h:
        a, csrf = await h.owner()
        b, bcsrf = await h.owner()  # another browser of the owner: another chat
        await a.post("/api/actions/place_order", json={"symbol": "ETH/USD", "side": "buy", "amount": "0.1"},
                     headers={"X-CSRF-Token": csrf})
        r = await a.post("/api/actions/flatten_all", json={}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 202 and "EMERGENCY" in r.json()["pending"]["summary"]
        code = r.json()["pending"]["code"]
        assert [x["label"] for x in r.json()["buttons"][0]] == ["✅ Confirm", "✖ Cancel"]
        r = await b.post(f"/api/confirm/{code}", headers={"X-CSRF-Token": bcsrf})
        assert r.status_code == 400 and "chat where you asked" in one_line(r)
        assert (await h.exchange.positions())["ETH/USD"].amount > 0  # nothing ran
        r = await a.post(f"/api/confirm/{code}", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200 and "Flatten" in r.json()["text"], r.text
        r = await a.post(f"/api/confirm/{code}", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 400 and one_line(r) == "already confirmed"
        r = await a.post("/api/actions/kill_switch_reset", json={}, headers={"X-CSRF-Token": csrf})
        code = r.json()["pending"]["code"]
        r = await a.post(f"/api/cancel/{code}", headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200 and "Cancelled" in r.json()["text"]
        await a.aclose()
        await b.aclose()


async def test_sse_delivers_a_tick_and_a_state_change_from_elsewhere() -> None:
    async with running() as h:
        c, _ = await h.owner()
        kinds: list[str] = []

        async def listen() -> None:
            async with c.stream("GET", "/api/events") as r:
                assert r.headers["content-type"].startswith("text/event-stream")
                async for line in r.aiter_lines():
                    if line.startswith("event: "):
                        kinds.append(line[7:])
                        if "tick_completed" in kinds and "state" in kinds:
                            return

        task = asyncio.create_task(listen())
        for _ in range(100):
            if kinds:
                break
            await asyncio.sleep(0.02)
        assert kinds == ["hello"]
        await h.tick()
        h.db.set_autopilot_enabled(False, by="cli", at=h.clock.now())  # as `zyn auto-stop` would, no event
        await asyncio.wait_for(task, 10)
        assert "tick_completed" in kinds and "state" in kinds
        await c.aclose()


async def test_chat_streams_a_reply_keeps_the_conversation_and_a_card_places_the_order() -> None:
    async with running(confirm_in_paper=ORDER_CONFIRMS) as h:
        c, csrf = await h.owner()
        async with c.stream("POST", "/api/chat", json={"text": "whats my balance"},
                            headers={"X-CSRF-Token": csrf}) as r:
            lines = [json.loads(x) async for x in r.aiter_lines() if x.strip()]
        assert lines[0]["type"] == "thinking" and lines[-1]["type"] == "done"
        assert "USD" in lines[-1]["text"]
        r = await c.post("/api/chat", json={"text": "buy 0.01 btc"}, headers={"X-CSRF-Token": csrf})
        done = [json.loads(x) for x in r.text.splitlines() if x.strip()][-1]
        assert done["buttons"] and await orders(h) == 0, done
        history = (await c.get("/api/chat")).json()
        assert [m["role"] for m in history["messages"]][:2] == ["user", "assistant"]
        assert history["cards"] and history["cards"][0]["id"] == done["id"]  # kept across a reload
        confirm = done["buttons"][0][0]["data"]
        r = await c.post("/api/press", json={"message": done["id"], "data": "cf:FAKE:owner"},
                         headers={"X-CSRF-Token": csrf})
        assert r.json()["ok"] is False and await orders(h) == 0  # data not on that message
        r = await c.post("/api/press", json={"message": done["id"], "data": confirm}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200 and r.json()["ok"], r.text
        assert await orders(h) == 1 and "✅" in r.json()["text"]
        r = await c.post("/api/chat", json={"text": ""}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 400 and one_line(r) == "say something first"
        await c.aclose()


async def test_a_models_reply_streams_into_the_web_chat() -> None:
    from tests.standins.llm import LLMStandin

    words = "jimmy, everything is calm today and nothing needs your attention"
    async with LLMStandin([{"content": words}]) as llm:
        async with running(llm="openai:gpt-test", llm_base_url=llm.url, llm_api_key="sk-test") as h:
            c, csrf = await h.owner()
            async with c.stream("POST", "/api/chat", json={"text": "anything new?"},
                                headers={"X-CSRF-Token": csrf}) as r:
                lines = [json.loads(x) async for x in r.aiter_lines() if x.strip()]
            await c.aclose()
    deltas = [x["text"] for x in lines if x["type"] == "delta"]
    assert len(deltas) > 1 and "".join(deltas) == words  # streamed in pieces, as the model wrote them
    assert lines[0]["type"] == "thinking" and lines[-1] == {**lines[-1], "type": "done", "text": words}


async def test_a_crash_in_a_route_is_one_line_without_a_stack_trace_or_its_message() -> None:
    from loguru import logger

    seen: list[str] = []
    sink = logger.add(lambda m: seen.append(str(m)), level="DEBUG")
    try:
        async with running() as h:
            async def boom() -> None:
                raise RuntimeError("secret-value-in-an-exception")

            h.front.app.add_api_route("/api/boom", boom)
            r = await h.http.get("/api/boom")
            assert r.status_code == 500 and "internal error" in one_line(r)
            assert "secret-value" not in r.text
    finally:
        logger.remove(sink)
    logged = "".join(seen)
    assert "RuntimeError" in logged and "secret-value" not in logged and "Traceback" not in logged


async def test_pages_asking_at_once_share_one_read_but_never_one_begun_before_a_change() -> None:
    async with running() as h:
        c, csrf = await h.owner()
        first, second = await asyncio.gather(c.get("/api/dashboard"), c.get("/api/dashboard"))
        assert first.json() == second.json()
        slow = asyncio.create_task(c.get("/api/dashboard"))  # a read under way while an order is placed
        await asyncio.sleep(0)
        r = await c.post("/api/actions/place_order", json={"symbol": "SOL/USD", "side": "buy", "amount": "1"},
                         headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200
        after = (await c.get("/api/dashboard")).json()
        assert any(p["position"]["symbol"] == "SOL/USD" for p in after["portfolio"]["data"]["positions"])
        await slow
        await c.aclose()


async def test_a_late_answer_told_to_a_web_chat_shows_in_its_history() -> None:
    """How an order of unknown outcome ended, told to the web session that asked (bot/replies.py): kept in that
    session's conversation, so its chat shows it; another session's chat does not."""
    from sqlmodel import select

    from memory.tables.agent import ConversationMessageRow

    async with running() as h:
        c, csrf = await h.owner()
        r = await c.post("/api/chat", json={"text": "whats my balance"}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200
        with h.db.session() as s:
            (chat,) = {row.chat_id for row in s.exec(select(ConversationMessageRow))}
        assert chat.startswith("web:")
        await h.front.tell(chat.removeprefix("web:"), "Resolved: your buy 0.001 BTC/USD at market was placed")
        history = (await c.get("/api/chat")).json()["messages"]
        assert history[-1] == {**history[-1], "role": "assistant",
                               "text": "Resolved: your buy 0.001 BTC/USD at market was placed"}
        other, _ = await h.login(Role.OWNER)
        assert not any("Resolved" in m["text"] for m in (await other.get("/api/chat")).json()["messages"])
        await c.aclose()
        await other.aclose()
