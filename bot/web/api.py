"""The FastAPI app: the dashboard page, login, the JSON API (every read tool, generated from the catalogue;
actions through the gate with confirmations), server-sent events and the web chat.

Handlers only parse HTTP, ask the gate or the desk, and render; errors are JSON with one line and a status.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from loguru import logger
from starlette.exceptions import HTTPException

from bot.commands.buttons import Rows, confirm_rows, data_of
from bot.commands.desk import Desk
from bot.frontend import FrontEndContext
from bot.web import page
from bot.web.auth import COOKIE, CSRF_HEADER, Auth, Visitor
from bot.web.chat import ChatBook, answer_json, button_json
from bot.web.live import Hub
from bot.web.views import dashboard
from tools.base import Tool
from tools.gate import Caller, CallerKind, Role, ToolCall, ToolOutcome
from tools.results import jsonable

_log = logger.bind(component="web")
STATIC = page.STATIC
MAX_BODY = 16_000  # bytes: every request of this API is small
# Only this server's own scripts run and only it is contacted (no CDN, no inline script, no framing).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


class Problem(Exception):
    """An error answer: one line and an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class Web:
    """What the routes share: the front end's context, the desk, sessions, the event hub, chat messages."""

    ctx: FrontEndContext
    desk: Desk
    auth: Auth
    hub: Hub
    chats: ChatBook = field(default_factory=ChatBook)
    started: datetime | None = None  # when this front end started (a tick due before it is not "late")
    _reads: dict[str, tuple[int, asyncio.Task[dict[str, Any]]]] = field(default_factory=dict)

    def caller(self, visitor: Visitor) -> Caller:
        """The gate's caller for a visitor: one user per role, one chat per session."""
        name = self.ctx.owner_name if visitor.role is Role.OWNER else "viewer"
        return Caller(user_id=visitor.role.value, chat_id=visitor.chat_id or "local", channel="web",
                      role=visitor.role, name=name)

    async def dashboard(self, who: Visitor) -> dict[str, Any]:
        """The dashboard for this visitor's role. Pages asking at once (after an event, every page does) share
        one read, but only one begun since the last change: the hub's generation moves on every event, state
        change and state-changing request, so nobody gets figures read before something they may have seen
        (or done) themselves."""
        key, generation = who.role.value, self.hub.generation
        running = self._reads.get(key)
        if running is None or running[0] != generation or running[1].done():
            task = asyncio.get_running_loop().create_task(dashboard(
                self.desk.gate, self.caller(who), self.ctx.clock, data_source=self.source(), store=self.ctx.store,
                since=self.started))
            running = self._reads[key] = (generation, task)
        return await asyncio.shield(running[1])

    def source(self) -> str:
        return self.ctx.data_source() if self.ctx.data_source is not None else ""


def outcome_json(outcome: ToolOutcome) -> tuple[int, dict[str, Any]]:
    """A gate outcome as (status, body): 200 done, 202 waiting for confirmation, 403 refused, 400/502 failed."""
    if outcome.pending is not None:
        p = outcome.pending
        body = {"ok": True, "pending": {"code": p.code, "tool": p.tool, "summary": p.summary,
                                        "expires_at": p.expires_at.isoformat()},
                "buttons": button_json(confirm_rows(p)), "text": outcome.text()}
        if outcome.error:
            body["note"] = outcome.error
        return 202, body
    if outcome.ok:
        return 200, {"ok": True, "tool": outcome.call.name, "text": outcome.text(), "result": jsonable(outcome.result)}
    status = 403 if outcome.refused else (502 if outcome.exit_code == 2 else 400)
    return status, {"ok": False, "error": outcome.error or "failed"}


def create_app(web: Web) -> FastAPI:
    """The app for one web front end."""
    app = FastAPI(title="Zyn", version="0.1.0", summary="Zyn's cockpit: dashboard, chat and JSON API",
                  docs_url=None, redoc_url=None)  # /docs below: served from here, no CDN
    app.state.web = web
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        if web.auth.local_bind and (request.url.hostname or "") not in ("127.0.0.1", "localhost", "::1"):
            return _error(400, "unexpected Host header (this server answers on localhost only)")
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return _error(413, f"request too large (at most {MAX_BODY} bytes)")
        changes = request.method not in ("GET", "HEAD", "OPTIONS")
        if changes:
            web.hub.changed()
        try:
            response = await call_next(request)
        except Problem as exc:  # raised below the route layer
            return _error(exc.status, exc.message)
        except Exception as exc:  # noqa: BLE001 - one line in the log and on the page, never a stack trace
            _log.error("web request {} {} failed: {}", request.method, request.url.path, type(exc).__name__)
            return _error(500, "internal error; nothing was changed by this request")
        if changes:  # and again once it is done (a read begun meanwhile is not shared after it)
            web.hub.changed()
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response

    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem) -> JSONResponse:
        return _error(exc.status, exc.message)

    @app.exception_handler(HTTPException)
    async def on_http(request: Request, exc: HTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "request refused"
        return _error(exc.status_code, "not found" if exc.status_code == 404 else detail)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        err = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "request"
        return _error(400, f"{where}: {err.get('msg', 'invalid')}".lower())

    @app.exception_handler(Exception)
    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        _log.error("web request {} {} failed: {}", request.method, request.url.path, type(exc).__name__)
        return _error(500, "internal error; nothing was changed by this request")

    def visitor(request: Request) -> Visitor:
        found = web.auth.visitor(request.cookies.get(COOKIE))
        if found is None:
            raise Problem(401, "sign in first: run `zyn web-login` and open the link it prints")
        return found

    def acting(request: Request) -> Visitor:
        """A state-changing request: a session with its CSRF token, from this origin."""
        who = visitor(request)
        origin = request.headers.get("origin")
        # The origin's host must be this host (by name and port; a TLS proxy in front may change the scheme).
        if origin is not None and urlsplit(origin).netloc != request.headers.get("host", ""):
            raise Problem(403, "cross-origin request refused")
        if not web.auth.csrf_ok(who, request.headers.get(CSRF_HEADER)):
            raise Problem(403, "missing or wrong CSRF token; reload the page")
        return who

    async def body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if not raw.strip():
            return {}
        try:
            value = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise Problem(400, "the body must be JSON") from None
        if not isinstance(value, dict):
            raise Problem(400, "the body must be a JSON object")
        return value

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    async def docs() -> HTMLResponse:
        # Swagger UI loads its script from a CDN; this page is drawn from the same OpenAPI document offline.
        return HTMLResponse(page.api_docs(app.openapi()))

    # --- pages ---------------------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home(request: Request) -> Response:
        who = web.auth.visitor(request.cookies.get(COOKIE))
        if who is None:
            return HTMLResponse(page.signed_out(), status_code=401)
        cookie = None
        if who.session is None:  # localhost, first visit: a session of its own (its chat, its CSRF token)
            # A write that waits for the disk: in a worker thread, so other pages and the autopilot go on.
            cookie, who = await asyncio.to_thread(web.auth.open_session, Role.OWNER)
        html = page.dashboard_page(web.ctx, who, web.desk.gate)
        response = HTMLResponse(html, headers={"Cache-Control": "no-store"})
        if cookie is not None:
            response.set_cookie(value=cookie, **web.auth.cookie_args())
        return response

    @app.get("/login/{token}", response_class=HTMLResponse, include_in_schema=False)
    async def login_form(token: str) -> HTMLResponse:
        # Only a POST spends the link: a chat app's link preview must not use it up.
        return HTMLResponse(page.login_form(token), headers={"Cache-Control": "no-store"})

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=5)
        token = (form.get("token") or [""])[0]
        address = request.client.host if request.client else "?"
        result = web.auth.login(token.strip()[:100], address)
        if isinstance(result, str):
            status = 429 if "too many" in result else 401
            return HTMLResponse(page.signed_out(result), status_code=status)
        cookie, _ = result
        response = RedirectResponse("/", status_code=303)  # the token leaves the address bar here
        response.set_cookie(value=cookie, **web.auth.cookie_args())
        return response

    @app.post("/api/logout", tags=["session"])
    async def logout(request: Request) -> JSONResponse:
        """End this session."""
        who = acting(request)
        web.auth.logout(who.session)
        response = JSONResponse({"ok": True})
        response.delete_cookie(COOKIE, path="/")
        return response

    # --- reads ---------------------------------------------------------------------------------------------
    @app.get("/api/me", tags=["session"])
    async def me(request: Request) -> dict[str, Any]:
        """Who this session is: its role, and whether it may act."""
        who = visitor(request)
        return {"role": who.role.value, "may_act": who.role is Role.OWNER, "mode": web.desk.gate.mode.value}

    @app.get("/api/dashboard", tags=["dashboard"])
    async def dash(request: Request) -> dict[str, Any]:
        """Every figure of the dashboard at one instant (header, balances, positions, orders, fills, equity)."""
        return await web.dashboard(visitor(request))

    @app.get("/api/status", tags=["read"])
    async def status(request: Request) -> JSONResponse:
        """Mode, data source, connectivity and credentials (the get_status tool)."""
        return await _run_read(web, visitor(request), "get_status", dict(request.query_params))

    for tool in web.desk.gate.catalog.values():
        if not tool.changes_state:
            _add_read(app, web, tool, visitor)
        else:
            _add_action(app, web, tool, acting, body)

    @app.post("/api/confirm/{code}", tags=["actions"])
    async def confirm(code: str, request: Request) -> JSONResponse:
        """Run a pending action (yours, in this session, before it expires)."""
        who = acting(request)
        status_code, out = outcome_json(await web.desk.gate.confirm(web.caller(who), code[:12]))
        return JSONResponse(out, status_code=status_code)

    @app.post("/api/cancel/{code}", tags=["actions"])
    async def cancel(code: str, request: Request) -> JSONResponse:
        """Drop a pending action."""
        who = acting(request)
        status_code, out = outcome_json(await web.desk.gate.cancel(web.caller(who), code[:12]))
        return JSONResponse(out, status_code=status_code)

    @app.get("/api/events", tags=["dashboard"])
    async def events(request: Request) -> StreamingResponse:
        """Server-sent events: ticks, orders, fills, exits, kill switch, errors, state changes."""
        visitor(request)
        return StreamingResponse(web.hub.stream(request.is_disconnected), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    # --- chat ----------------------------------------------------------------------------------------------
    @app.get("/api/chat", tags=["chat"])
    async def history(request: Request) -> dict[str, Any]:
        """This session's conversation, and its actions still waiting for confirmation."""
        who = visitor(request)
        return web.chats.history(web, web.caller(who))

    @app.post("/api/chat", tags=["chat"])
    async def say(request: Request) -> StreamingResponse:
        """One chat turn, streamed as JSON lines: thinking, working (while the turn runs), text, done."""
        who = acting(request)
        text = str((await body(request)).get("text") or "").strip()
        if not text:
            raise Problem(400, "say something first")
        if len(text) > 2000:
            raise Problem(400, "that message is too long (at most 2000 characters)")
        return StreamingResponse(web.chats.turn(web, web.caller(who), text), media_type="application/x-ndjson",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @app.post("/api/press", tags=["chat"])
    async def press(request: Request) -> JSONResponse:
        """Press a button of a chat message (Confirm, Cancel, Refresh, the cancel menu)."""
        who = acting(request)
        values = await body(request)
        message, data = str(values.get("message") or ""), str(values.get("data") or "")
        caller = web.caller(who)
        shown = web.chats.buttons(caller, message)
        if shown is None:
            raise Problem(400, "this button is no longer valid")
        result = await web.desk.press(caller, data, data_of(shown[0]), shown[1])
        rows: Rows | None = result.rows
        keep = rows is None and result.text is None and not result.remove_buttons  # nothing final happened
        if not keep:
            web.chats.update(caller, message, rows, result.text)
        return JSONResponse({"ok": not result.alert, "toast": result.toast, "text": result.text,
                             "buttons": button_json(rows) if rows else [], "keep": keep})

    return app


async def _run_read(web: Web, who: Visitor, name: str, args: dict[str, Any]) -> JSONResponse:
    outcome = await web.desk.gate.execute(web.caller(who), ToolCall(name, args), kind=CallerKind.COMMAND)
    status_code, out = outcome_json(outcome)
    return JSONResponse(out, status_code=status_code)


def _params(tool: Tool) -> list[dict[str, Any]]:
    """OpenAPI query parameters from a tool's args model."""
    schema = tool.args.model_json_schema()
    required = set(schema.get("required", ()))
    return [{"name": n, "in": "query", "required": n in required, "schema": s,
             "description": s.get("description", "")} for n, s in schema.get("properties", {}).items()]


def _add_read(app: FastAPI, web: Web, tool: Tool, visitor: Any) -> None:
    async def route(request: Request) -> JSONResponse:
        return await _run_read(web, visitor(request), tool.name, dict(request.query_params))

    route.__doc__ = tool.description
    app.add_api_route(f"/api/tools/{tool.name}", route, methods=["GET"], tags=["read"], name=tool.name,
                      summary=tool.description, openapi_extra={"parameters": _params(tool)})


def _add_action(app: FastAPI, web: Web, tool: Tool, acting: Any, body: Any) -> None:
    async def route(request: Request) -> JSONResponse:
        who = acting(request)
        outcome = await web.desk.gate.execute(web.caller(who), ToolCall(tool.name, await body(request)),
                                              kind=CallerKind.COMMAND)
        status_code, out = outcome_json(outcome)
        if outcome.pending is not None:
            web.chats.remember_card(web.caller(who), outcome.pending)
        return JSONResponse(out, status_code=status_code)

    route.__doc__ = f"{tool.description} ({tool.permission.value}; confirmation: {tool.confirm.value})"
    schema = tool.args.model_json_schema()
    app.add_api_route(f"/api/actions/{tool.name}", route, methods=["POST"], tags=["actions"], name=tool.name,
                      summary=tool.description, openapi_extra={"requestBody": {
                          "content": {"application/json": {"schema": schema}}, "required": False}})


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message.splitlines()[0][:300] if message else "error"},
                        status_code=status)


__all__ = ["Problem", "Web", "answer_json", "create_app", "outcome_json"]
