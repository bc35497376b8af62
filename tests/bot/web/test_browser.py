"""The cockpit in a real headless Chromium driven by Playwright, against the running web (never skipped: without
a browser these fail and say what to install; `make test` installs Debian's chromium as root).

The dashboard shows the paper account's real figures after an order; a tick arrives by SSE without a reload;
a chat message gets a reply; a Confirm card places the order; a kill-switch trip shows in the header."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.bot.web.harness import ORDER_CONFIRMS, Harness, running
from tools.results import money

CHROMIUM = os.environ.get("ZYN_CHROMIUM") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
WAIT = 8000  # ms


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium (or ZYN_CHROMIUM), else the one Playwright installed; else fail with what to do."""
    async with async_playwright() as p:
        try:
            path = CHROMIUM if Path(CHROMIUM).exists() else None
            browser = await p.chromium.launch(executable_path=path, args=ARGS)
        except Exception as exc:  # noqa: BLE001 - say what to install, never skip
            pytest.fail(f"no Chromium for the browser tests ({type(exc).__name__}): install one with "
                        "`apt-get install -y chromium` (as root) or `python -m playwright install chromium`, "
                        "or point ZYN_CHROMIUM at a Chromium binary")
        try:
            yield browser
        finally:
            await browser.close()


async def open_page(browser: Browser, h: Harness, width: int = 1440, height: int = 900) -> Page:
    page = await browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Content Security" in m.text
            else None)
    page.errors = errors  # type: ignore[attr-defined]
    await page.goto(h.url + "/")
    await expect(page.locator("#conn")).to_have_text("● live", timeout=WAIT)
    return page


async def test_dashboard_shows_the_real_figures_after_an_order_and_a_tick_arrives_without_reload() -> None:
    async with running() as h, chromium() as browser:
        c, csrf = await h.owner()
        r = await c.post("/api/actions/place_order", json={"symbol": "BTC/USD", "side": "buy", "amount": "0.01"},
                         headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text
        page = await open_page(browser, h)
        usd = (await h.exchange.fetch_balances())["USD"].total
        positions = page.locator("#positions")
        await expect(positions).to_contain_text("BTC/USD", timeout=WAIT)
        await expect(positions).to_contain_text("0.01")
        pos = (await h.exchange.positions())["BTC/USD"]
        await expect(positions).to_contain_text(money(pos.avg_price))
        shown = f"{usd.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"  # the quote currency as money, rounded half up
        await expect(page.locator("#balances")).to_contain_text(shown)
        await expect(page.locator("#fills")).to_contain_text("buy")
        await expect(page.locator("#mode")).to_have_text("PAPER")
        await expect(page.locator("#source")).to_have_text("OFFLINE REPLAY")
        await expect(page.locator("#kill")).to_contain_text("armed")
        risk = page.locator("#risk")  # the settings in words, not raw fractions
        await expect(risk).to_contain_text("risk per trade1% of equity", timeout=WAIT)
        await expect(risk).to_contain_text("2 × ATR")
        await expect(risk).to_contain_text("max portfolio risk5% of equity")
        await page.evaluate("window.__same = 1")  # gone if the page reloads
        await expect(page.locator("#beat")).to_contain_text("last tick never")
        report = await h.tick()
        assert report.evaluations
        await expect(page.locator("#beat")).to_contain_text(f"last tick {h.clock.now():%H:%M:%S} UTC", timeout=WAIT)
        await expect(page.locator("#decisions")).to_contain_text("BTC/USD", timeout=WAIT)
        assert await page.evaluate("window.__same") == 1
        await page.locator("#decisions tbody tr").first.click()
        await expect(page.locator("#why")).to_contain_text("UTC", timeout=WAIT)
        assert page.errors == []  # type: ignore[attr-defined]
        await c.aclose()


async def test_chat_replies_and_a_confirm_card_places_the_order() -> None:
    async with running(confirm_in_paper=ORDER_CONFIRMS) as h, chromium() as browser:
        page = await open_page(browser, h)
        await page.fill("#text", "whats my balance")
        await page.click("#say button")
        await expect(page.locator(".msg.assistant").last).to_contain_text("USD", timeout=WAIT)
        await expect(page.locator("#thinking")).to_be_hidden()
        await page.fill("#text", "buy 0.01 btc")
        await page.click("#say button")
        card = page.locator(".msg.assistant").last
        await expect(card).to_contain_text("Waiting for your confirmation", timeout=WAIT)
        assert not await h.exchange.fetch_closed_orders()
        await page.reload()  # the conversation and the card survive a reload
        card = page.locator(".msg.assistant", has_text="Waiting for your confirmation").last
        await card.locator("button", has_text="Confirm").click()
        await expect(card).to_contain_text("✅", timeout=WAIT)
        [order] = await h.exchange.fetch_closed_orders()
        assert order.symbol == "BTC/USD" and order.amount == Decimal("0.01")
        await expect(page.locator("#positions")).to_contain_text("BTC/USD", timeout=WAIT)
        assert page.errors == []  # type: ignore[attr-defined]


async def test_a_kill_switch_trip_shows_in_the_header() -> None:
    # A 5% taker fee: one large buy costs more than the 3% daily loss limit, so the next tick trips the switch.
    async with running(paper_taker_fee="0.05") as h, chromium() as browser:
        await h.tick()  # the day's start equity
        c, csrf = await h.owner()
        r = await c.post("/api/actions/place_order",
                         json={"symbol": "BTC/USD", "side": "buy", "quote_amount": "9000"},
                         headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text
        page = await open_page(browser, h)
        await expect(page.locator("#kill")).to_contain_text("armed", timeout=WAIT)
        report = await h.tick()
        assert report.kill_switch_tripped
        await expect(page.locator("#kill")).to_contain_text("KILL SWITCH TRIPPED", timeout=WAIT)
        await expect(page.locator("#kill")).to_contain_text("below the day's start")
        await expect(page.locator("#pnl")).to_contain_text("-")
        # The controls: a reset asks through the gate (its card, its code); Confirm re-arms the switch.
        await page.click("[data-act=kill_switch_reset]")
        card = page.locator(".ccard")
        await expect(card).to_contain_text("re-arm the kill switch", timeout=WAIT)
        assert h.db.get_kill_switch().tripped
        await card.locator("button", has_text="Confirm").click()
        await expect(page.locator("#kill")).to_contain_text("armed", timeout=WAIT)
        assert not h.db.get_kill_switch().tripped
        # Stopping needs no gate confirmation, so the page asks first; Cancel sends nothing.
        await page.click("[data-act=autopilot_stop]")
        await page.locator(".ccard button", has_text="Cancel").click()
        assert h.db.get_autopilot_state().enabled
        await page.click("[data-act=autopilot_stop]")
        await page.locator(".ccard button", has_text="Confirm").click()
        await expect(page.locator("#auto")).to_have_text("autopilot OFF", timeout=WAIT)
        assert not h.db.get_autopilot_state().enabled
        await c.aclose()


async def test_screenshots_at_phone_and_desktop_size_fit_the_screen(tmp_path: Path) -> None:
    out = Path(os.environ.get("WEB_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    async with running(timezone="America/New_York") as h, chromium() as browser:
        c, csrf = await h.owner()
        await c.post("/api/actions/place_bracket_order", json={"symbol": "BTC/USD", "side": "buy", "amount": "0.02",
                                                               "stop_pct": "2", "take_profit_pct": "4"},
                     headers={"X-CSRF-Token": csrf})
        await h.tick()
        for name, (w, ht) in {"phone": (390, 844), "desktop": (1440, 900)}.items():
            page = await open_page(browser, h, w, ht)
            await expect(page.locator("#positions")).to_contain_text("BTC/USD", timeout=WAIT)
            await page.wait_for_timeout(300)  # the charts draw on the next frame
            await page.screenshot(path=str(out / f"dashboard-{name}.png"))
            await page.screenshot(path=str(out / f"dashboard-{name}-full.png"), full_page=True)
            await expect(page.locator("#clock")).to_contain_text("UTC (10:")  # 14:1x UTC is 10:1x in New York
            await expect(page.locator("#clock")).to_contain_text("New York")
            [bracket] = h.db.list_brackets(active_only=True)
            await expect(page.locator("#positions")).to_contain_text(money(bracket.stop_price))
            await expect(page.locator("#positions")).to_contain_text(money(bracket.take_profit_price))
            # Every open order's Cancel button is on the screen, not past its right edge behind a sideways scroll
            # (a phone shows each row of a wide table as a small card of label-value lines).
            cancels = page.locator("#orders button", has_text="Cancel")
            assert await cancels.count() == 2
            for k in range(2):
                box = await cancels.nth(k).bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= w, (name, box)
            await expect(page.locator("#fills")).to_contain_text("fee")  # the last column's label is shown too
            wide = await page.evaluate("document.documentElement.scrollWidth")
            assert wide <= w, f"{name}: the page is {wide} px wide on a {w} px screen"
            assert page.errors == []  # type: ignore[attr-defined]
            await page.close()
        await c.aclose()


async def test_when_the_server_goes_away_the_page_says_its_figures_may_be_stale() -> None:
    async with running() as h, chromium() as browser:
        page = await open_page(browser, h)
        await expect(page.locator("#stale")).to_be_hidden()
        await h.front.stop()
        await expect(page.locator("#stale")).to_be_visible(timeout=WAIT)
        await expect(page.locator("#stale")).to_contain_text("may be out of date")
        await expect(page.locator("#conn")).to_have_text("○ reconnecting")
