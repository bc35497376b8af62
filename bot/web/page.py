"""The HTML pages: the dashboard shell (filled by static/app.js from /api/dashboard), sign-in and signed-out.

No CDN: the script, the style sheet and the charting library (TradingView Lightweight Charts, Apache-2.0, its
licence beside it in static/) are served from the package, so the page works offline.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from bot.web.auth import Visitor
from tools.gate import Gate, Role

STATIC = Path(__file__).parent / "static"
CONTROLS = ("autopilot_start", "autopilot_stop", "kill_switch_reset", "flatten_all", "cancel_order", "set_risk",
            "set_alert", "place_order")


def _asset(name: str) -> str:
    """A static file's URL with its modification time, so a new version is never read from a stale cache."""
    try:
        stamp = int((STATIC / name).stat().st_mtime)
    except OSError:
        stamp = 0
    return f"/static/{name}?v={stamp}"


def _shell(title: str, body: str, *, scripts: str = "", meta: str = "") -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark">
{meta}<title>{escape(title)}</title>
<link rel="stylesheet" href="{_asset('app.css')}">
</head><body>{body}{scripts}</body></html>"""


def dashboard_page(ctx: Any, who: Visitor, gate: Gate) -> str:
    """The cockpit: the header and panels app.js fills, and the settings it needs (never a secret)."""
    mode = gate.mode.value.upper()
    # Which controls the gate itself asks to confirm in this mode (those get the gate's card; the others a
    # card of the page before anything is sent).
    gated = {name: gate.catalog[name].needs_confirmation(gate.mode, None, confirm_in_paper=gate.confirm_in_paper)
             for name in CONTROLS if name in gate.catalog}
    cfg = getattr(gate.ctx, "trading_config", None)
    boot = {"mode": gate.mode.value, "role": who.role.value, "may_act": who.role is Role.OWNER,
            "tz": ctx.settings.timezone, "universe": list(cfg.universe) if cfg is not None else [],
            "gated": gated, "owner": ctx.owner_name, "quote": getattr(gate.ctx, "quote_currency", "USD")}
    meta = (f'<meta name="csrf-token" content="{escape(who.csrf)}">\n'
            f'<script id="boot" type="application/json">{_json(boot)}</script>\n')
    zones = "UTC" if ctx.settings.timezone == "UTC" else f"UTC and {escape(ctx.settings.timezone)}"
    body = f"""
<header id="hdr" class="hdr">
  <div class="brand"><b>Zyn</b> <span id="mode" class="badge mode-{escape(gate.mode.value)}">{mode}</span>
    <span id="source" class="badge">…</span></div>
  <div class="facts">
    <span class="fact" id="kill" title="daily-loss kill switch">kill switch …</span>
    <span class="fact" id="pnl" title="today's P&amp;L against the daily loss limit">P&amp;L today …</span>
    <span class="fact" id="trades" title="entries today against the limits">trades …</span>
    <span class="fact" id="auto" title="autopilot">autopilot …</span>
    <span class="fact" id="beat" title="last and next tick">tick …</span>
    <span class="fact" id="conn" title="live updates">connecting…</span>
    <span class="fact dim" id="clock"></span>
  </div>
</header>
<div id="stale" class="banner" hidden>Live updates are interrupted: the figures below may be out of date.</div>
<main class="grid">
  <section class="card" id="controls-card"><h2>Controls</h2>
    <div class="row gap" id="controls">
      <button data-act="autopilot_start" class="btn">Start autopilot</button>
      <button data-act="autopilot_stop" class="btn">Stop autopilot</button>
      <button data-act="kill_switch_reset" class="btn">Reset kill switch</button>
      <button data-act="flatten_all" class="btn danger">Flatten all</button>
    </div>
    <div id="cards"></div>
  </section>
  <section class="card"><h2>Balances</h2><div id="balances" class="tbl"></div>
    <div id="equity-line" class="dim"></div></section>
  <section class="card wide"><h2>Positions</h2><div id="positions" class="tbl"></div></section>
  <section class="card wide"><h2>Open orders</h2><div id="orders" class="tbl"></div></section>
  <section class="card wide"><h2>Chart <select id="pair" aria-label="pair"></select></h2>
    <div id="chart" class="chart"></div><div id="chart-note" class="dim"></div></section>
  <section class="card wide"><h2>Recent fills</h2><div id="fills" class="tbl"></div></section>
  <section class="card"><h2>Equity (7 days)</h2><div id="equity" class="chart small"></div>
    <div id="equity-note" class="dim"></div></section>
  <section class="card wide"><h2>Decision log</h2>
    <form id="dfilter" class="row gap">
      <select name="symbol" aria-label="pair"><option value="">all pairs</option></select>
      <select name="decision" aria-label="decision"><option value="">all decisions</option>
        <option>enter</option><option>exit</option><option>hold</option><option>skip</option></select>
      <label class="dim">from <input name="start" type="datetime-local" aria-label="from (UTC)"></label>
      <label class="dim">to <input name="end" type="datetime-local" aria-label="to (UTC)"></label>
      <span class="dim">UTC</span>
      <button class="btn" type="submit">Filter</button></form>
    <div id="decisions" class="tbl"></div><pre id="why" class="why" hidden></pre></section>
  <section class="card" id="chat-card"><h2>Chat</h2>
    <div id="chat" class="chat" aria-live="polite"></div>
    <div id="thinking" class="thinking" hidden><span class="dot"></span> Zyn is thinking… <span id="think-s"></span></div>
    <form id="say" class="row gap"><input id="text" name="text" autocomplete="off" maxlength="2000"
      placeholder="Ask Zyn, e.g. whats my balance" aria-label="message"><button class="btn" type="submit">Send</button></form>
  </section>
  <section class="card"><h2>Risk settings</h2><div id="risk" class="tbl"></div>
    <form id="riskform" class="row gap wrap">
      <select name="key" aria-label="setting"><option>risk_per_trade</option><option>daily_loss_limit</option><option>daily_profit_target</option>
        <option>max_trades_total</option><option>max_trades_per_symbol</option><option>max_portfolio_risk</option></select>
      <input name="value" inputmode="decimal" placeholder="e.g. 0.01" aria-label="value">
      <button class="btn" type="submit">Change</button></form></section>
  <section class="card wide"><h2>Alerts</h2><div id="alerts" class="tbl"></div>
    <form id="alertform" class="row gap wrap">
      <select name="event" aria-label="event"><option>all</option><option>fill</option><option>bracket_exit</option>
        <option>kill_switch</option><option>profit_target</option><option>autopilot_error</option><option>daily_report</option>
        <option>watchdog</option><option>protection</option></select>
      <select name="channel" aria-label="channel"><option>all</option><option>telegram</option><option>discord</option>
        <option>webhook</option><option>email</option><option>sms</option></select>
      <select name="delivery" aria-label="delivery"><option>on</option><option>silent</option><option>off</option></select>
      <button class="btn" type="submit">Set</button></form></section>
</main>
<div id="toast" class="toast" role="status" hidden></div>
<footer class="dim foot">Times in {zones} · charts: TradingView Lightweight Charts
 (<a href="/static/LIGHTWEIGHT-CHARTS-LICENSE.txt">Apache-2.0</a>) · <a href="/docs">API</a></footer>
"""
    scripts = (f'<script src="{_asset("lightweight-charts.js")}"></script>'
               f'<script src="{_asset("app.js")}"></script>')
    return _shell(f"Zyn · {mode}", body, scripts=scripts, meta=meta)


def api_docs(spec: dict[str, Any]) -> str:
    """The API reference from the OpenAPI document (the JSON itself is at /openapi.json)."""
    rows = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            params = ", ".join(
                f"{p['name']}{'' if p.get('required') else '?'}" for p in op.get("parameters", ()))
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            fields = ", ".join(body.get("properties", {})) if body else ""
            args = " · ".join(x for x in (f"query: {params}" if params else "", f"JSON: {fields}" if fields else "")
                              if x)
            rows.append(f"<tr><td><code>{escape(method.upper())}</code></td><td><code>{escape(path)}</code></td>"
                        f"<td>{escape(op.get('summary') or '')}</td><td class=\"dim\">{escape(args)}</td></tr>")
    body = (f'<main class="card" style="margin:12px"><h1>Zyn API</h1><p class="dim">{escape(spec["info"]["title"])} '
            f'{escape(spec["info"]["version"])} · the OpenAPI document: <a href="/openapi.json">/openapi.json</a>. '
            "Errors are JSON <code>{\"ok\": false, \"error\": \"one line\"}</code> with the HTTP status; "
            "every POST needs the session's <code>X-CSRF-Token</code>; an action that needs a confirmation "
            "answers 202 with its code (POST /api/confirm/CODE).</p><div class=\"tbl\"><table><thead><tr>"
            "<th>method</th><th>path</th><th>what</th><th>arguments</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></div></main>")
    return _shell("Zyn · API", body)


def login_form(token: str) -> str:
    """The page a login link opens: one button spends the link (a GET never does)."""
    body = f"""<main class="narrow card"><h1>Zyn</h1><p>Sign in with this single-use link.</p>
<form method="post" action="/login"><input type="hidden" name="token" value="{escape(token[:100])}">
<button class="btn" type="submit">Sign in</button></form></main>"""
    return _shell("Zyn · sign in", body)


def signed_out(why: str = "") -> str:
    """Why there is nothing to see: sign in first (or the reason a login was refused)."""
    line = escape(why) if why else "Sign in first: run <code>zyn web-login</code> and open the link it prints."
    return _shell("Zyn · sign in", f'<main class="narrow card"><h1>Zyn</h1><p>{line}</p></main>')


def _json(value: Any) -> str:
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
