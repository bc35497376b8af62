/* Zyn's cockpit: renders /api/dashboard, listens to /api/events, runs the chat. No framework, no CDN.
   Every figure comes from the server; after any event the whole dashboard is read again, so the page never
   keeps a figure the server no longer has. Money stays a decimal string until it is shown. */
"use strict";
(function () {
  const $ = (s, el) => (el || document).querySelector(s);
  const boot = JSON.parse($("#boot").textContent);
  const csrf = ($('meta[name="csrf-token"]') || {}).content || "";
  const TZ = boot.tz || "UTC";
  let offset = 0; // server clock minus this browser's clock (ms)
  let last = null; // the last dashboard
  let live = false;

  // ---- helpers -------------------------------------------------------------------------------------------
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
    }
    for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k.nodeType ? k : String(k));
    return e;
  }
  function dec(s, places) { // a decimal string rounded half-up to `places`, with thousands separators
    if (s === null || s === undefined || s === "") return "–";
    let t = String(s), neg = t.startsWith("-");
    if (neg) t = t.slice(1);
    let [i, f = ""] = t.split(".");
    if (places !== undefined) {
      const digits = BigInt(i + (f + "0".repeat(places + 1)).slice(0, places + 1));
      let n = (digits + 5n) / 10n;
      const str = n.toString().padStart(places + 1, "0");
      i = str.slice(0, str.length - places) || "0"; f = str.slice(str.length - places);
    }
    i = i.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    const out = f ? `${i}.${f}` : i;
    return neg && /[1-9]/.test(out) ? `-${out}` : out;
  }
  const money = s => dec(s, 2);
  const amount = s => { // an amount without trailing zeros
    if (s === null || s === undefined || s === "") return "–";
    const t = String(s); return t.includes(".") ? t.replace(/0+$/, "").replace(/\.$/, "") : t;
  };
  const pad = n => String(n).padStart(2, "0");
  function when(iso, withDate) {
    if (!iso) return "never";
    const d = new Date(iso);
    const utc = `${withDate ? d.toISOString().slice(0, 10) + " " : ""}${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
    if (TZ === "UTC") return utc;
    const local = new Intl.DateTimeFormat("en-GB", {timeZone: TZ, hour: "2-digit", minute: "2-digit", hour12: false}).format(d);
    return `${utc} (${local} ${TZ.split("/").pop().replace("_", " ")})`;
  }
  function toast(text, bad) {
    const t = $("#toast"); t.textContent = text; t.className = "toast" + (bad ? " bad" : ""); t.hidden = false;
    clearTimeout(toast.timer); toast.timer = setTimeout(() => { t.hidden = true; }, 4000);
  }
  async function api(path, opts) {
    opts = opts || {};
    const init = {method: opts.method || "GET", headers: {"Accept": "application/json"}, credentials: "same-origin"};
    if (init.method !== "GET") { init.headers["X-CSRF-Token"] = csrf; init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(opts.body || {}); }
    let r;
    try { r = await fetch(path, init); } catch (e) { return {ok: false, status: 0, error: "Zyn is not answering"}; }
    let body = {};
    try { body = await r.json(); } catch (e) { body = {ok: false, error: `HTTP ${r.status}`}; }
    body.status = r.status;
    return body;
  }
  // The risk settings as a person reads them: fractions as percentages, multiples with what they multiply.
  const PERCENT_SETTINGS = new Set(["risk_per_trade", "max_portfolio_risk", "max_position_fraction"]);
  function riskValue(key, value) {
    if (PERCENT_SETTINGS.has(key) && value !== "" && !isNaN(Number(value))) {
      const pct = (Number(value) * 100).toFixed(4).replace(/\.?0+$/, "");
      return `${pct}% of equity`;
    }
    if (key === "atr_stop_mult" || key === "atr_target_mult") return `${value} × ATR`;
    if (key === "min_reward_to_cost") return `${value} × the fees`;
    if (key.startsWith("max_trades")) return `${value} a day`;
    if (value === "True") return "yes";
    if (value === "False") return "no";
    return value;
  }
  function table(head, rows, empty) {
    if (!rows.length) return el("p", {class: "dim"}, empty);
    return el("table", {}, el("thead", {}, el("tr", {}, head.map(h => el("th", {}, h)))),
      el("tbody", {}, rows.map(r => el("tr", r.attrs || {}, r.cells.map((c, i) => el("td", {"data-label": head[i] || "", ...(c && c.cls ? {class: c.cls} : {})}, c && c.node !== undefined ? c.node : c))))));
  }
  const signed = s => ({node: money(s), cls: s && String(s).startsWith("-") ? "neg" : (s && /[1-9]/.test(s) ? "pos" : "")});
  function unavailable(box, section) { box.replaceChildren(el("p", {class: "bad"}, `unavailable: ${section.error}`)); }

  // ---- the header ----------------------------------------------------------------------------------------
  function serverNow() { return Date.now() + offset; }
  function renderHeader(d) {
    const src = $("#source");
    src.textContent = d.offline ? "OFFLINE REPLAY" : `data: ${d.data_source}`;
    src.className = "badge" + (d.offline ? " warn" : "");
    src.title = d.data_source;
    const k = $("#kill"), ks = d.kill_switch;
    if (!ks.ok) { k.textContent = "kill switch: unknown"; k.className = "fact bad"; }
    else if (ks.data.tripped) { k.textContent = `KILL SWITCH TRIPPED ${when(ks.data.tripped_at)}: ${ks.data.reason}`; k.className = "fact bad"; }
    else { k.textContent = `kill switch armed (trips at a daily loss of ${ks.data.limit_text})`; k.className = "fact ok"; }
    const p = $("#pnl"), t = d.today;
    if (!t || t.pnl === null) { p.textContent = "P&L today: unknown"; p.className = "fact dim"; }
    else {
      const used = t.used !== null ? ` · ${dec(String(Number(t.used) * 100), 0)}% of limit` : "";
      p.textContent = `P&L today ${money(t.pnl)} / −${money(t.limit)} limit${used}`;
      p.className = "fact " + (String(t.pnl).startsWith("-") ? (Number(t.used) >= 0.8 ? "bad" : "warn") : "ok");
    }
    const a = d.autopilot, tr = $("#trades"), au = $("#auto"), b = $("#beat");
    if (!a.ok) { tr.textContent = "trades: unknown"; au.textContent = "autopilot: unknown"; au.className = "fact bad"; b.textContent = "tick: unknown"; return; }
    const per = Object.entries(a.data.trades_today).map(([s, n]) => `${s} ${n}/${a.data.max_per_symbol}`).join(", ");
    tr.textContent = `trades today ${a.data.trades_total}/${a.data.max_total}${per ? " · " + per : ""}`;
    tr.className = "fact" + (a.data.trades_total >= a.data.max_total ? " warn" : "");
    au.textContent = `autopilot ${a.data.enabled ? "ON" : "OFF"}`; au.className = "fact " + (a.data.enabled ? "ok" : "warn");
    renderBeat();
  }
  function renderBeat() {
    if (!last || !last.heartbeat) return;
    const h = last.heartbeat, b = $("#beat");
    const late = h.late || serverNow() > Date.parse(h.next_tick_at) + 90000;
    b.textContent = `last tick ${when(h.last_tick_at)} · next ${when(h.next_tick_at)}${late ? " · LATE" : ""}`;
    b.className = "fact " + (late ? "bad" : "");
    $("#clock").textContent = when(new Date(serverNow()).toISOString());
  }

  // ---- panels --------------------------------------------------------------------------------------------
  function render(d) {
    last = d; offset = Date.parse(d.now) - Date.now();
    renderHeader(d);
    const f = d.portfolio;
    if (!f.ok) { unavailable($("#balances"), f); unavailable($("#positions"), f); }
    else {
      $("#balances").replaceChildren(table(["asset", "total", "in orders"], f.data.balances.map(b => ({cells: b.asset === f.data.quote_currency ? [b.asset, money(b.total), money(b.used)] : [b.asset, amount(b.total), amount(b.used)]})), "No balances."));
      $("#equity-line").textContent = `Equity ${f.data.equity === null ? "unknown" : money(f.data.equity) + " " + f.data.quote_currency} · realised ${money(f.data.realized_pnl)} · unrealised ${money(f.data.unrealized_pnl)} · fees ${money(f.data.fees_paid)}`;
      const br = {}; // every active bracket of a pair: its stops and targets
      for (const b of d.brackets) { (br[b.symbol] = br[b.symbol] || {stop: [], target: []}); if (b.stop_price) br[b.symbol].stop.push(money(b.stop_price)); if (b.take_profit_price) br[b.symbol].target.push(money(b.take_profit_price)); }
      const open = f.data.positions.filter(p => Number(p.position.amount) > 0);
      $("#positions").replaceChildren(table(["pair", "amount", "unrealised", "stop", "target", "avg price", "mark"], open.map(p => {
        const b = br[p.position.symbol] || {stop: [], target: []};
        return {cells: [p.position.symbol, amount(p.position.amount), signed(p.unrealized_pnl), b.stop.join(", ") || "none", b.target.join(", ") || "none", money(p.position.avg_price), money(p.mark)]};
      }), "No open positions."));
    }
    const o = d.orders;
    if (!o.ok) unavailable($("#orders"), o);
    else $("#orders").replaceChildren(table(["order", "side", "amount", "pair", "type", "price", ""], o.data.orders.map(x => ({cells: [
      {node: el("code", {title: x.id}, x.id.length > 8 ? x.id.slice(0, 6) + "…" : x.id)}, x.side, amount(x.amount), x.symbol, x.type, money(x.price || x.stop_price),
      {node: boot.may_act ? el("button", {class: "btn small", "data-cancel": x.id, onclick: () => act("cancel_order", {order_id: x.id}, `cancel order ${x.id} (${x.side} ${x.amount} ${x.symbol})`)}, "Cancel") : ""}]})), "No open orders."));
    const fl = d.fills;
    if (!fl.ok) unavailable($("#fills"), fl);
    else $("#fills").replaceChildren(table(["time", "side", "amount", "pair", "price", "fee"], fl.data.fills.map(x => ({cells: [when(x.timestamp, true), x.side, amount(x.amount), x.symbol, money(x.price), dec(x.fee, 4)]})), "No fills yet."));
    if (d.autopilot.ok) {
      const r = d.autopilot.data.risk || {};
      $("#risk").replaceChildren(table(["setting", "value"], Object.entries(r).map(([k, v]) => ({cells: [k.replaceAll("_", " "), riskValue(k, v)]})), "–"));
    }
    const al = d.alerts;
    if (!al.ok) unavailable($("#alerts"), al);
    else {
      const chans = [...new Set(Object.values(al.data.settings).flatMap(r => Object.keys(r)))];
      $("#alerts").replaceChildren(table(["event", ...chans], Object.entries(al.data.settings).map(([k, r]) => ({cells: [k, ...chans.map(c => r[c] || "–")]})), "–"));
    }
    drawEquity(d.equity);
  }
  async function refresh() {
    const d = await api("/api/dashboard");
    if (d.status === 200) { render(d); if (live) $("#stale").hidden = true; return; }
    // The figures on screen are no longer known to be current: say so until a read succeeds.
    $("#stale").hidden = false;
    $("#stale").textContent = `Could not read the dashboard (${d.error || "no answer"}): the figures below may be out of date.`;
  }
  let pending = null;
  function soon(also) { clearTimeout(pending); pending = setTimeout(() => { refresh(); if (also) { drawCandles(); decisions(); } }, 150); }

  // ---- charts --------------------------------------------------------------------------------------------
  const LC = window.LightweightCharts;
  const theme = {layout: {background: {color: "#12161f"}, textColor: "#c9d1e0"}, grid: {vertLines: {color: "#1d2430"}, horzLines: {color: "#1d2430"}},
    timeScale: {timeVisible: true, secondsVisible: false, borderColor: "#2a3342"}, rightPriceScale: {borderColor: "#2a3342"}, autoSize: true,
    // Prices on the axis and the crosshair as the tables write them: thousands separated (90,087.70).
    localization: {locale: "en-US", priceFormatter: p => Number(p).toLocaleString("en-US",
      {minimumFractionDigits: Math.abs(p) >= 1 ? 2 : 4, maximumFractionDigits: Math.abs(p) >= 1 ? 2 : 6})}};
  let cChart = null, cSeries = null, cLines = [], eChart = null, eSeries = null;
  const secs = iso => Math.floor(Date.parse(iso) / 1000);
  async function drawCandles() {
    const pair = $("#pair").value; if (!pair || !LC) return;
    const r = await api(`/api/tools/get_candles?symbol=${encodeURIComponent(pair)}&limit=144`);
    if (r.status !== 200) { $("#chart-note").textContent = `chart unavailable: ${r.error}`; return; }
    if (!cChart) { cChart = LC.createChart($("#chart"), theme); cSeries = cChart.addCandlestickSeries({upColor: "#2fbf71", downColor: "#e5484d", borderVisible: false, wickUpColor: "#2fbf71", wickDownColor: "#e5484d"}); }
    const data = r.result.candles.map(c => ({time: secs(c.timestamp), open: +c.open, high: +c.high, low: +c.low, close: +c.close}));
    cSeries.setData(data);
    const first = data.length ? data[0].time : 0;
    const marks = r.result.fills.filter(f => secs(f.timestamp) >= first).map(f => ({time: Math.floor(secs(f.timestamp) / 300) * 300, position: f.side === "buy" ? "belowBar" : "aboveBar",
      color: f.side === "buy" ? "#4ea1ff" : "#f5a524", shape: f.side === "buy" ? "arrowUp" : "arrowDown", text: `${f.side} ${f.amount} @ ${money(f.price)}`})).sort((a, b) => a.time - b.time);
    cSeries.setMarkers(marks);
    for (const l of cLines) cSeries.removePriceLine(l);
    cLines = [];
    for (const b of r.result.brackets) {
      if (b.stop_price) cLines.push(cSeries.createPriceLine({price: +b.stop_price, color: "#e5484d", lineStyle: 2, lineWidth: 1, title: "stop"}));
      if (b.take_profit_price) cLines.push(cSeries.createPriceLine({price: +b.take_profit_price, color: "#2fbf71", lineStyle: 2, lineWidth: 1, title: "target"}));
    }
    $("#chart-note").textContent = `${r.text} · entries ▲ exits ▼, stop and target dashed`;
  }
  function drawEquity(points) {
    const box = $("#equity"); if (!LC) return;
    if (!points.length) { box.dataset.empty = "1"; box.textContent = "No equity recorded yet."; eChart = null; return; }
    if (box.dataset.empty) { box.textContent = ""; delete box.dataset.empty; }
    if (!eChart) { eChart = LC.createChart(box, theme); eSeries = eChart.addAreaSeries({lineColor: "#4ea1ff", topColor: "rgba(78,161,255,.35)", bottomColor: "rgba(78,161,255,0)", lineWidth: 2}); }
    const seen = new Map(); for (const p of points) seen.set(secs(p.time), +p.value);
    $("#equity-note").textContent = `${points.length} recorded point${points.length === 1 ? "" : "s"} from ${when(points[0].time, true)} · last ${money(points[points.length - 1].value)}`;
    eSeries.setData([...seen.entries()].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({time, value})));
  }

  // ---- decision log --------------------------------------------------------------------------------------
  async function decisions() {
    const form = new FormData($("#dfilter")), q = new URLSearchParams();
    for (const [k, v] of form.entries()) if (v) q.set(k, k === "start" || k === "end" ? `${v}:00Z` : v);
    q.set("limit", "60");
    const r = await api(`/api/tools/list_decisions?${q}`), box = $("#decisions");
    if (r.status !== 200) { box.replaceChildren(el("p", {class: "bad"}, r.error)); return; }
    box.replaceChildren(table(["candle", "pair", "decision", "why", "regime / strategy"], r.result.evaluations.map(e => ({
      attrs: {class: `click d-${e.decision}`, tabindex: "0", onclick: () => why(e.symbol, e.candle_time)},
      cells: [when(e.candle_time, true), e.symbol, e.decision + (e.skip_reason ? ` (${e.skip_reason.replaceAll("_", " ")})` : ""), (e.reasons || []).slice(-1)[0] || "–", `${e.regime || "–"} / ${e.strategy || "–"}`]})), "No evaluations match."));
  }
  async function why(symbol, at) {
    const r = await api(`/api/tools/explain_evaluation?symbol=${encodeURIComponent(symbol)}&at=${encodeURIComponent(at)}`), box = $("#why");
    box.hidden = false; box.textContent = r.status === 200 ? r.text : r.error;
    box.scrollIntoView({block: "nearest"});
  }

  // ---- controls and confirmation cards -------------------------------------------------------------------
  function card(text, buttons, onPress, box) {
    const c = el("div", {class: "ccard"}, el("p", {}, text));
    const row = el("div", {class: "row gap"});
    for (const b of buttons) row.append(el("button", {class: `btn ${b.style === "primary" ? "primary" : b.style === "danger" ? "danger" : ""}`, onclick: () => onPress(b, c)}, b.label));
    c.append(row); (box || $("#cards")).append(c); return c;
  }
  function gateCard(r) { // the gate's own question, with its words and code; Confirm runs it once
    const note = r.note ? `${r.note}. ` : "";
    card(`${note}Confirm: ${r.pending.summary} (code ${r.pending.code}, expires ${when(r.pending.expires_at)})`, r.buttons.flat().map(b => ({...b, label: b.label.replace("✅", "✓")})), async (b, c) => {
      const yes = b.data.startsWith("cf:");
      const out = await api(`/api/${yes ? "confirm" : "cancel"}/${r.pending.code}`, {method: "POST"});
      if (out.status === 202) { c.remove(); gateCard(out); return; } // the price moved: asked again
      c.replaceChildren(el("p", {class: out.ok ? "" : "bad"}, out.ok ? (out.text || "Done.") : out.error));
      setTimeout(() => c.remove(), 6000); soon(true);
    });
  }
  async function send(tool, args) {
    const r = await api(`/api/actions/${tool}`, {method: "POST", body: args});
    if (r.status === 202) gateCard(r);
    else if (r.ok) { toast(r.text); soon(true); } else toast(r.error, true);
  }
  function act(tool, args, what) {
    if (!boot.may_act) { toast("Read-only session: only the owner acts.", true); return; }
    if (boot.gated[tool]) { send(tool, args); return; } // the gate asks: its own card, with its words
    card(`Confirm: ${what}?`, [{label: "✓ Confirm", style: "primary"}, {label: "✖ Cancel", style: "danger"}], (b, c) => {
      c.remove(); if (b.style === "primary") send(tool, args);
    });
  }
  const words = {autopilot_start: "start the autopilot (it opens new trades from the next tick)", autopilot_stop: "stop the autopilot (no new trades; stops and targets stay)",
    kill_switch_reset: "re-arm the kill switch", flatten_all: "EMERGENCY: cancel every order and sell every holding at market"};
  for (const b of document.querySelectorAll("[data-act]")) b.addEventListener("click", () => {
    const t = b.dataset.act; act(t, t === "kill_switch_reset" ? {reason: "reset from the web"} : {}, words[t]);
  });
  $("#riskform").addEventListener("submit", ev => { ev.preventDefault(); const f = new FormData(ev.target); const v = String(f.get("value") || "").trim();
    if (!v) { toast("give a value", true); return; } act("set_risk", {[f.get("key")]: v}, `set ${f.get("key")} to ${v}`); });
  $("#alertform").addEventListener("submit", ev => { ev.preventDefault(); const f = new FormData(ev.target);
    const a = {event: f.get("event"), channel: f.get("channel"), delivery: f.get("delivery")}; act("set_alert", a, `set ${a.event} alerts on ${a.channel} to ${a.delivery}`); });
  if (!boot.may_act) { for (const id of ["#controls-card", "#riskform", "#alertform"]) $(id).classList.add("readonly"); }

  // ---- chat ----------------------------------------------------------------------------------------------
  const chat = $("#chat");
  function bubble(role, text, id, buttons) {
    const b = el("div", {class: `msg ${role}`, "data-id": id || ""}, el("div", {class: "txt"}, text));
    if (buttons && buttons.length) chatButtons(b, id, buttons);
    chat.append(b); chat.scrollTop = chat.scrollHeight; return b;
  }
  function chatButtons(b, id, rows) {
    const old = b.querySelector(".row"); if (old) old.remove();
    const row = el("div", {class: "row gap"});
    for (const btn of rows.flat()) row.append(el("button", {class: `btn small ${btn.style}`, onclick: () => press(b, id, btn.data)}, btn.label));
    b.append(row);
  }
  async function press(b, id, data) {
    const r = await api("/api/press", {method: "POST", body: {message: id, data}});
    if (r.status !== 200) { toast(r.error, true); return; }
    toast(r.toast, !r.ok);
    if (r.text) b.querySelector(".txt").textContent = r.text;
    if (r.buttons && r.buttons.length) chatButtons(b, id, r.buttons); else if (!r.keep) { const row = b.querySelector(".row"); if (row) row.remove(); }
    soon(true);
  }
  async function history() {
    const r = await api("/api/chat"); if (r.status !== 200) return;
    chat.replaceChildren();
    for (const m of r.messages) bubble(m.role, m.text);
    for (const c of r.cards) bubble("assistant", c.text, c.id, c.buttons);
    if (!r.messages.length && !r.cards.length) bubble("assistant", `Hi ${boot.owner || "there"}! Ask me anything about the account, or to trade (${boot.mode.toUpperCase()}).`);
  }
  $("#say").addEventListener("submit", async ev => {
    ev.preventDefault();
    const input = $("#text"), text = input.value.trim(); if (!text) return;
    input.value = ""; bubble("user", text);
    const think = $("#thinking"), secs = $("#think-s"); think.hidden = false; secs.textContent = "";
    const btn = ev.target.querySelector("button"); btn.disabled = true;
    let streaming = null, got = "";
    try {
      const r = await fetch("/api/chat", {method: "POST", credentials: "same-origin", headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}, body: JSON.stringify({text})});
      if (!r.ok) { let e = {}; try { e = await r.json(); } catch (x) { /* not JSON */ } bubble("assistant error", e.error || `HTTP ${r.status}`); return; }
      const reader = r.body.getReader(), decoder = new TextDecoder(); let buf = "";
      for (;;) {
        const {value, done} = await reader.read(); if (done) break;
        buf += decoder.decode(value, {stream: true});
        let nl; while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl); buf = buf.slice(nl + 1); if (!line.trim()) continue;
          const m = JSON.parse(line);
          if (m.type === "working") secs.textContent = `${m.seconds.toFixed(1)} s`;
          else if (m.type === "delta") { got += m.text; if (!streaming) streaming = bubble("assistant streaming", ""); streaming.querySelector(".txt").textContent = got; }
          else if (m.type === "done") { if (streaming) streaming.remove(); bubble("assistant", m.text, m.id, m.buttons); }
          else if (m.type === "error") bubble("assistant error", m.text);
        }
      }
    } catch (e) { bubble("assistant error", "The connection to Zyn was lost; check Open orders before trying again."); }
    finally { think.hidden = true; btn.disabled = false; soon(true); }
  });

  // ---- live updates --------------------------------------------------------------------------------------
  function connect() {
    const es = new EventSource("/api/events");
    const conn = $("#conn");
    es.addEventListener("hello", () => { live = true; conn.textContent = "● live"; conn.className = "fact ok"; $("#stale").hidden = true; soon(true); });
    es.onerror = () => { live = false; conn.textContent = "○ reconnecting"; conn.className = "fact bad";
      $("#stale").textContent = "Live updates are interrupted: the figures below may be out of date."; $("#stale").hidden = false; };
    for (const kind of ["order_placed", "order_filled", "order_cancelled", "bracket_exit", "kill_switch_tripped", "autopilot_error", "tick_completed", "state"]) {
      es.addEventListener(kind, ev => {
        let d = {}; try { d = JSON.parse(ev.data); } catch (e) { /* keep going */ }
        if (d.text && kind !== "state" && kind !== "tick_completed") toast(d.text, kind === "kill_switch_tripped" || kind === "autopilot_error");
        soon(kind === "tick_completed" || kind === "state" || kind.startsWith("order") || kind === "bracket_exit");
      });
    }
  }

  // ---- start ---------------------------------------------------------------------------------------------
  const pairSel = $("#pair"), dSel = $("#dfilter select[name=symbol]");
  for (const p of boot.universe) { pairSel.append(el("option", {}, p)); dSel.append(el("option", {}, p)); }
  pairSel.addEventListener("change", drawCandles);
  $("#dfilter").addEventListener("submit", ev => { ev.preventDefault(); decisions(); });
  setInterval(renderBeat, 1000);
  setInterval(() => { if (!document.hidden) refresh(); }, 30000);
  refresh(); drawCandles(); decisions(); history(); connect();
})();
