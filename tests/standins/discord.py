"""A strict, small Discord stand-in (REST v10 + gateway websocket, aiohttp on 127.0.0.1) driven by real discord.py.

    async with DiscordStandin(token) as dc:
        with dc.pointed():  # discord.http.Route.BASE and DiscordWebSocket.DEFAULT_GATEWAY -> the stand-in
            client = ...; await client.login(token); ...

REST: GET /users/@me, GET /oauth2/applications/@me, PUT (guild) application commands, POST interaction
callbacks (types 4, 5, 6, 7, 8), POST/PATCH/GET webhook follow-ups and @original, POST/PATCH channel messages
(JSON or multipart with files), POST typing, POST /users/@me/channels. A wrong token answers 401, an unknown
route 404 (kept in `errors`), a second callback to one interaction 400 "already acknowledged", like Discord.
Gateway: HELLO, heartbeat ACK, IDENTIFY -> READY + GUILD_CREATE, RESUME -> RESUMED; drop() closes the socket
(4000, resumable). Test side: slash, autocomplete, press, say (MESSAGE_CREATE), reply_to, wait_for, messages,
rate_limit_next(route, seconds), delay (seconds per REST call, a (low, high) range).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

APP_ID = 900000000000000001
BOT = {"id": str(APP_ID), "username": "Zyn", "discriminator": "0", "global_name": "Zyn", "avatar": None,
       "bot": True}
EPHEMERAL = 64
LOADING = 128
_ids = itertools.count(1_300_000_000_000_000_000)


def snowflake() -> int:
    return next(_ids)


def user(uid: int, name: str = "") -> dict[str, Any]:
    return {"id": str(uid), "username": name or f"user{uid}", "discriminator": "0", "global_name": name or None,
            "avatar": None, "bot": False}


@dataclass
class Msg:
    """One message as the stand-in holds it (its latest state after edits)."""

    id: int
    channel_id: int
    content: str
    author: dict[str, Any]
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    files: list[tuple[str, bytes]] = field(default_factory=list)
    edits: int = 0
    at: float = field(default_factory=time.monotonic)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Every button: {label, custom_id, disabled, style}."""
        return [c for row in self.components for c in row.get("components", []) if c.get("type") == 2]

    def text(self) -> str:
        """Content plus every embed's title, description and fields, as a person reads them."""
        parts = [self.content]
        for e in self.embeds:
            parts += [e.get("title", ""), e.get("description", "")]
            parts += [f"{f['name']}: {f['value']}" for f in e.get("fields", [])]
        return "\n".join(p for p in parts if p)

    def payload(self, guild_id: int | None) -> dict[str, Any]:
        data = {"id": str(self.id), "channel_id": str(self.channel_id), "author": self.author,
                "content": self.content, "timestamp": "2024-05-06T14:07:00+00:00", "edited_timestamp": None,
                "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [],
                "attachments": [{"id": str(i + 1), "filename": n, "size": len(b), "url": f"http://x/{n}",
                                 "proxy_url": f"http://x/{n}"} for i, (n, b) in enumerate(self.files)],
                "embeds": self.embeds, "pinned": False, "type": 0, "components": self.components,
                "flags": self.flags}
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        return data


@dataclass
class Interaction:
    id: int
    token: str
    channel_id: int
    guild_id: int | None
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    original: Msg | None = None
    followups: list[Msg] = field(default_factory=list)
    choices: list[dict[str, Any]] | None = None
    at: float = field(default_factory=time.monotonic)  # when it was dispatched to the client

    @property
    def deferred(self) -> bool:
        return any(c["type"] in (5, 6) for c in self.callbacks)

    @property
    def answers(self) -> list[Msg]:
        """The messages this interaction produced (the original once it is not loading, then follow-ups)."""
        first = [self.original] if self.original is not None and not self.original.flags & LOADING else []
        return first + self.followups


class DiscordStandin:
    """Discord on 127.0.0.1 with a free port; `async with` starts and stops it."""

    def __init__(self, token: str, *, guild_id: int = 5000, channels: tuple[int, ...] = (6001, 6002, 6003),
                 roles: dict[int, str] | None = None) -> None:
        self.token = token
        self.guild_id = guild_id
        self.channels = channels
        self.roles = roles or {7001: "Traders", 7002: "Viewers"}
        self.delay: tuple[float, float] = (0.0, 0.0)
        self.messages: dict[int, Msg] = {}
        self.interactions: dict[int, Interaction] = {}
        self._by_token: dict[str, Interaction] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or the guild id -> synced commands
        self.errors: list[tuple[str, str, int, str]] = []
        self.typing: list[int] = []
        self.identifies = 0
        self.resumes = 0
        self.rate_limited: list[tuple[str, float]] = []  # (path, when) of every 429 given
        self._limits: dict[str, list[float]] = {}
        self._ws: web.WebSocketResponse | None = None
        self._seq = 0
        self._session = ""
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._pressed: dict[int, int] = {}  # interaction id -> the pressed message's id

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def __aenter__(self) -> DiscordStandin:
        app = web.Application(middlewares=[self._middleware], client_max_size=30 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close(code=1000)
        if self._runner is not None:
            await self._runner.cleanup()

    @contextmanager
    def pointed(self) -> Iterator[None]:
        """discord.py's REST base and gateway pointed here (restored after)."""
        import discord.gateway
        import discord.http
        import yarl

        saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved

    # --- REST ---------------------------------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        if request.path.startswith("/api/") and self.delay[1] > 0:
            await asyncio.sleep(random.uniform(*self.delay))
        return await handler(request)

    def rate_limit_next(self, path_part: str, seconds: float, times: int = 1) -> None:
        """The next `times` REST calls whose path contains path_part answer 429 with retry_after=seconds."""
        self._limits.setdefault(path_part, []).extend([seconds] * times)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path, method = "/" + request.match_info["path"], request.method
        webhook = path.startswith(("/interactions/", "/webhooks/"))
        if not webhook and request.headers.get("Authorization") != f"Bot {self.token}":
            return self._error(method, path, 401, "401: Unauthorized")
        for part, waits in self._limits.items():
            if part in path and waits:
                wait = waits.pop(0)
                self.rate_limited.append((path, time.monotonic()))
                response = self._json({"message": "You are being rate limited.", "retry_after": wait,
                                       "global": False, "code": 0}, 429)
                response.headers.update({"Via": "1.1 google", "X-RateLimit-Remaining": "0"})
                return response
        body, files = await self._body(request)
        p = path.strip("/").split("/")
        try:
            if method == "GET" and path == "/users/@me":
                return self._json(BOT)
            if method == "GET" and path == "/oauth2/applications/@me":
                return self._json({"id": str(APP_ID), "name": "Zyn", "icon": None, "description": "",
                                   "bot_public": False, "bot_require_code_grant": False, "verify_key": "0" * 64,
                                   "owner": user(1, "owner"), "flags": 0, "summary": "", "team": None})
            if method == "GET" and path in ("/gateway", "/gateway/bot"):
                return self._json({"url": self.gateway_url, "shards": 1})
            if method == "PUT" and p[:2] == ["applications", str(APP_ID)] and p[-1] == "commands":
                scope = p[3] if len(p) == 5 and p[2] == "guilds" else "global"
                return self._json(self._sync(scope, body))
            if method == "POST" and p[0] == "interactions" and len(p) == 4 and p[3] == "callback":
                return await self._callback(int(p[1]), p[2], body, files)
            if p[0] == "webhooks" and len(p) >= 3 and p[1] == str(APP_ID):
                return self._webhook(method, p[2], p[3:], body, files)
            if p[0] == "channels" and len(p) >= 3:
                return self._channel(method, int(p[1]), p[2:], body, files)
            if method == "POST" and path == "/users/@me/channels":
                uid = int(body["recipient_id"])
                return self._json({"id": str(uid + 1), "type": 1, "recipients": [user(uid)], "last_message_id": None})
        except (KeyError, ValueError, TypeError) as exc:
            return self._error(method, path, 400, f"Invalid Form Body ({type(exc).__name__}: {exc})")
        return self._error(method, path, 404, "404: Not Found")

    async def _body(self, request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            files = [(f.filename, f.file.read()) for k, f in form.items() if k.startswith("files[")]
            return json.loads(form["payload_json"]), files
        raw = await request.read()
        return (json.loads(raw) if raw else None), []

    def _json(self, data: Any, status: int = 200) -> web.Response:
        # discord.py reads JSON only under exactly "application/json" (no charset), as Discord sends it
        return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json")

    def _error(self, method: str, path: str, status: int, message: str) -> web.Response:
        self.errors.append((method, path, status, message))
        return self._json({"message": message, "code": 0}, status)

    def _sync(self, scope: str, body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for c in body:
            if not 1 <= len(c.get("description", "")) <= 100 or len(c.get("options", [])) > 25:
                raise ValueError(f"command {c.get('name')}: bad description or too many options")
        self.commands[scope] = [{**c, "id": str(snowflake()), "application_id": str(APP_ID), "version": "1"}
                                for c in body]
        return self.commands[scope]

    def _message(self, channel_id: int, data: dict[str, Any], files: list[tuple[str, bytes]]) -> Msg:
        content = data.get("content") or ""
        if len(content) > 2000 or len(data.get("embeds") or []) > 10:
            raise ValueError("content over 2,000 characters or over 10 embeds")
        for e in data.get("embeds") or []:
            total = sum(len(e.get(k) or "") for k in ("title", "description")) + len(
                (e.get("footer") or {}).get("text", "")) + sum(len(f["name"]) + len(f["value"])
                                                            for f in e.get("fields", []))
            if len(e.get("description", "")) > 4096 or len(e.get("fields", [])) > 25 or total > 6000:
                raise ValueError("embed too long")
        msg = Msg(snowflake(), channel_id, content, BOT, list(data.get("embeds") or []),
                  list(data.get("components") or []), int(data.get("flags") or 0), files)
        self.messages[msg.id] = msg
        return msg

    def _edit(self, msg: Msg, data: dict[str, Any], files: list[tuple[str, bytes]]) -> None:
        for key in ("content", "embeds", "components"):
            if key in data and data[key] is not None:
                setattr(msg, key, data[key] if key != "content" else data[key] or "")
        msg.flags &= ~LOADING
        msg.files = files or msg.files
        msg.edits += 1

    async def _callback(self, iid: int, token: str, body: dict[str, Any], files: list) -> web.Response:
        it = self.interactions.get(iid)
        if it is None or it.token != token:
            return self._error("POST", f"/interactions/{iid}", 404, "Unknown interaction")
        if it.callbacks:
            return self._error("POST", f"/interactions/{iid}", 400, "Interaction has already been acknowledged.")
        it.callbacks.append(body)
        kind, data = body["type"], body.get("data") or {}
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 5):
            flags = int(data.get("flags") or 0) | (LOADING if kind == 5 else 0)
            it.original = self._message(it.channel_id, {**data, "flags": flags}, files)
            resource["message"] = it.original.payload(it.guild_id)
        elif kind == 7:
            msg = self.messages[int(self._pressed[iid])]
            self._edit(msg, data, files)
            it.original = msg
        elif kind == 8:
            it.choices = data.get("choices", [])
        elif kind == 6:  # a deferred update: @original is the pressed message
            it.original = self.messages[int(self._pressed[iid])] if iid in self._pressed else None
        else:
            raise ValueError(f"callback type {kind}")
        return self._json({"interaction": {"id": str(iid), "type": 2, "response_message_id":
                                           str(it.original.id) if it.original else None,
                                           "response_message_loading": kind == 5,
                                           "response_message_ephemeral": bool(it.original and it.original.ephemeral)},
                           "resource": resource})

    def _webhook(self, method: str, token: str, rest: list[str], body: Any, files: list) -> web.Response:
        it = self._by_token.get(token)
        if it is None or not it.callbacks:
            return self._error(method, f"/webhooks/{token[:6]}", 404, "Unknown Webhook")
        if method == "POST" and not rest:
            msg = self._message(it.channel_id, body, files)
            it.followups.append(msg)
            return self._json(msg.payload(it.guild_id))
        if len(rest) == 2 and rest[0] == "messages":
            msg = it.original if rest[1] == "@original" else self.messages.get(int(rest[1]))
            if msg is None:
                return self._error(method, "/webhooks/messages", 404, "Unknown Message")
            if method == "PATCH":
                self._edit(msg, body, files)
            return self._json(msg.payload(it.guild_id))
        return self._error(method, "/webhooks/?", 404, "404: Not Found")

    def _channel(self, method: str, cid: int, rest: list[str], body: Any, files: list) -> web.Response:
        if method == "POST" and rest == ["typing"]:
            self.typing.append(cid)
            return web.Response(status=204)
        if method == "POST" and rest == ["messages"]:
            return self._json(self._message(cid, body, files).payload(self._guild_of(cid)))
        if method == "PATCH" and len(rest) == 2 and rest[0] == "messages":
            msg = self.messages[int(rest[1])]
            self._edit(msg, body, files)
            return self._json(msg.payload(self._guild_of(cid)))
        return self._error(method, f"/channels/{cid}/{'/'.join(rest)}", 404, "404: Not Found")

    def _guild_of(self, cid: int) -> int | None:
        return self.guild_id if cid in self.channels else None

    # --- gateway -----------------------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 30000}, "s": None, "t": None}))
        async for frame in ws:
            if frame.type is not WSMsgType.TEXT:
                continue
            msg = json.loads(frame.data)
            op = msg.get("op")
            if op == 1:
                await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
            elif op == 2:
                if msg["d"].get("token") != self.token:
                    await ws.close(code=4004)
                    break
                self.identifies += 1
                self._session = f"session-{self.identifies}"
                await self.dispatch("READY", {
                    "v": 10, "user": BOT, "session_id": self._session, "resume_gateway_url": self.gateway_url,
                    "guilds": [{"id": str(self.guild_id), "unavailable": True}], "private_channels": [],
                    "application": {"id": str(APP_ID), "flags": 0}, "shard": [0, 1]})
                await self.dispatch("GUILD_CREATE", self._guild())
            elif op == 6:
                if msg["d"].get("session_id") != self._session:
                    await ws.send_str(json.dumps({"op": 9, "d": False, "s": None, "t": None}))
                    continue
                self.resumes += 1
                await self.dispatch("RESUMED", {})
        return ws

    def _guild(self) -> dict[str, Any]:
        return {"id": str(self.guild_id), "name": "Zyn test guild", "unavailable": False, "member_count": 3,
                "owner_id": "1", "icon": None, "splash": None, "features": [], "emojis": [], "stickers": [],
                "roles": [{"id": str(self.guild_id), "name": "@everyone", "permissions": "0", "position": 0,
                           "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}] +
                         [{"id": str(rid), "name": name, "permissions": "0", "position": i + 1, "color": 0,
                           "hoist": False, "managed": False, "mentionable": False, "flags": 0}
                          for i, (rid, name) in enumerate(self.roles.items())],
                "channels": [{"id": str(c), "type": 0, "name": f"chan-{c}", "position": i, "guild_id":
                              str(self.guild_id), "permission_overwrites": [], "nsfw": False, "parent_id": None}
                             for i, c in enumerate(self.channels)],
                "members": [], "presences": [], "voice_states": [], "threads": [], "stage_instances": [],
                "guild_scheduled_events": [], "soundboard_sounds": [], "large": False, "verification_level": 0,
                "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0,
                "premium_tier": 0, "nsfw_level": 0, "preferred_locale": "en-US", "afk_timeout": 300,
                "joined_at": "2024-01-01T00:00:00+00:00"}

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send one dispatch to the connected client."""
        if self._ws is None or self._ws.closed:
            raise RuntimeError("no client connected to the gateway")
        self._seq += 1
        await self._ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    async def drop(self) -> None:
        """Close the client's socket as a gateway restart does (4000: resumable)."""
        if self._ws is not None:
            await self._ws.close(code=4000, message=b"restarting")

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    # --- test side ---------------------------------------------------------------------------------------
    def _member(self, uid: int, roles: tuple[int, ...]) -> dict[str, Any]:
        return {"user": user(uid), "roles": [str(r) for r in roles], "joined_at": "2024-01-01T00:00:00+00:00",
                "deaf": False, "mute": False, "flags": 0, "permissions": "0", "nick": None, "avatar": None}

    def _where(self, uid: int, channel: int | None, roles: tuple[int, ...]) -> dict[str, Any]:
        if channel is None:  # a DM with the bot
            return {"channel_id": str(uid + 1), "channel": {"id": str(uid + 1), "type": 1,
                                                            "recipients": [user(uid)]}, "user": user(uid)}
        return {"guild_id": str(self.guild_id), "channel_id": str(channel),
                "channel": {"id": str(channel), "type": 0, "guild_id": str(self.guild_id), "name": f"chan-{channel}",
                            "position": 0, "permission_overwrites": [], "nsfw": False, "parent_id": None},
                "member": self._member(uid, roles)}

    async def _interact(self, kind: int, uid: int, data: dict[str, Any], channel: int | None,
                        roles: tuple[int, ...], message: Msg | None = None) -> Interaction:
        iid, token = snowflake(), f"itoken-{snowflake()}"
        where = self._where(uid, channel, roles)
        it = Interaction(iid, token, int(where["channel_id"]), self.guild_id if channel is not None else None)
        self.interactions[iid], self._by_token[token] = it, it
        payload = {"id": str(iid), "application_id": str(APP_ID), "type": kind, "data": data, "token": token,
                   "version": 1, "locale": "en-US", "app_permissions": "0", "entitlements": [],
                   "authorizing_integration_owners": {}, "attachment_size_limit": 10 * 1024 * 1024,
                   "context": 0 if channel is not None else 1, **where}
        if message is not None:
            payload["message"] = message.payload(it.guild_id)
            self._pressed[iid] = message.id
        await self.dispatch("INTERACTION_CREATE", payload)
        return it

    def options(self, name: str, values: dict[str, Any], focused: str | None = None) -> list[dict[str, Any]]:
        """Option payloads typed as the synced command declares them (unknown names pass as strings)."""
        declared = {o["name"]: o for c in self._all_commands() if c["name"] == name for o in c.get("options", [])}
        out = []
        for key, value in values.items():
            kind = declared.get(key, {}).get("type", 3)
            opt = {"name": key, "type": kind, "value": value}
            if key == focused:
                opt["focused"] = True
            out.append(opt)
        return out

    def _all_commands(self) -> list[dict[str, Any]]:
        return [c for cs in self.commands.values() for c in cs]

    async def slash(self, uid: int, name: str, values: dict[str, Any] | None = None, *, channel: int | None = None,
                    roles: tuple[int, ...] = ()) -> Interaction:
        """A slash command (INTERACTION_CREATE type 2) by a user, in a guild channel or (channel None) a DM."""
        command = next((c for c in self._all_commands() if c["name"] == name), None)
        data = {"id": command["id"] if command else str(snowflake()), "name": name, "type": 1,
                "options": self.options(name, values or {})}
        return await self._interact(2, uid, data, channel, roles)

    async def autocomplete(self, uid: int, name: str, values: dict[str, Any], focused: str, *,
                           channel: int | None = None, roles: tuple[int, ...] = ()) -> list[dict[str, Any]]:
        """An autocomplete request for one option; the choices the bot answered."""
        command = next(c for c in self._all_commands() if c["name"] == name)
        data = {"id": command["id"], "name": name, "type": 1, "options": self.options(name, values, focused)}
        it = await self._interact(4, uid, data, channel, roles)
        await self.wait_for(lambda: it.choices is not None)
        return it.choices or []

    async def press(self, uid: int, message: Msg, custom_id: str, *, roles: tuple[int, ...] = (),
                    force: bool = False) -> Interaction:
        """A button press on a message (force: a custom id that is not on the message, as a forged client)."""
        if not force and not any(b.get("custom_id") == custom_id for b in message.buttons):
            raise AssertionError(f"no button {custom_id} on the message")
        channel = message.channel_id if message.channel_id in self.channels else None
        return await self._interact(3, uid, {"custom_id": custom_id, "component_type": 2}, channel, roles, message)

    async def say(self, uid: int, content: str, *, channel: int | None = None, roles: tuple[int, ...] = (),
                  mention: bool = False) -> int:
        """A user's message (MESSAGE_CREATE) in a guild channel or a DM; returns the channel id."""
        where = self._where(uid, channel, roles)
        cid = int(where["channel_id"])
        data = {"id": str(snowflake()), "channel_id": str(cid), "author": user(uid), "content": content,
                "timestamp": "2024-05-06T14:07:00+00:00", "edited_timestamp": None, "tts": False,
                "mention_everyone": False, "mentions": [BOT] if mention else [], "mention_roles": [],
                "attachments": [], "embeds": [], "pinned": False, "type": 0, "flags": 0, "components": []}
        if channel is not None:
            data["guild_id"] = str(self.guild_id)
            data["member"] = {k: v for k, v in self._member(uid, roles).items() if k != "user"}
        await self.dispatch("MESSAGE_CREATE", data)
        return cid

    def in_channel(self, cid: int) -> list[Msg]:
        """Messages the bot posted in a channel (channel.send, and interaction answers there), oldest first."""
        return [m for m in self.messages.values() if m.channel_id == cid]

    async def answer(self, it: Interaction, n: int = 1, timeout: float = 5.0) -> list[Msg]:
        """Wait for the interaction's first n answers (a loading defer counts once it is edited or followed)."""
        await self.wait_for(lambda: len(it.answers) >= n, timeout)
        return it.answers

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Poll until predicate() is truthy; TimeoutError otherwise."""
        end = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > end:
                raise TimeoutError("the stand-in did not see what the test waited for")
            await asyncio.sleep(0.01)
