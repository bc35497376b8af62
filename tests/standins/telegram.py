"""A strict, small Telegram Bot API stand-in (aiohttp on 127.0.0.1) that real python-telegram-bot polls.

    async with TelegramStandin(token="123:ABC") as tg:
        app = ApplicationBuilder().token("123:ABC").base_url(tg.url).base_file_url(tg.file_url).build()

Serves POST /bot<token>/<method> for getMe, deleteWebhook, getUpdates (offset honoured; idle polls answer []
within ~1 s; a newer poll terminates an older one with 409, as Telegram does), sendMessage, sendPhoto
(multipart, bytes kept), editMessageText, editMessageReplyMarkup, answerCallbackQuery, setMyCommands and
sendChatAction. Strict like Telegram: a wrong token answers 401, an unknown method 404, text over 4,096
characters (1,024 for captions, counted after entity parsing, in UTF-16 units) and malformed HTML 400, an
unknown chat 400 "chat not found", an unchanged edit 400 "message is not modified", a second answer to one
callback query 400. `delay` = (low, high) seconds added to every call but getUpdates (a network's round trip;
benches). Test side: push_text/push_command/press, sent, wait_for, answered_callbacks, errors,
retry_after_next(method, seconds).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from typing import Any

from aiohttp import web

BOT_USER = {"id": 7000001, "is_bot": True, "first_name": "Zyn", "username": "zyn_test_bot",
            "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
MAX_POLL_WAIT = 1.0  # an idle getUpdates answers [] within this, whatever timeout was asked (stopping stays fast)
_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre",
         "blockquote", "tg-emoji"}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
            "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"}


class ApiError(Exception):
    """An error answer: {"ok": false, "error_code": code, "description": ...}."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


def tg_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> str:
    """The plain text of an HTML-formatted message, or ApiError 400 where Telegram would refuse it."""
    out, stack, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TAG.match(text, i)
            if m is None:
                raise ApiError(400, f"Bad Request: can't parse entities: Unexpected '<' at byte offset {i}")
            closing, name = m[1], m[2].lower()
            if name not in _TAGS:
                raise ApiError(400, f'Bad Request: can\'t parse entities: Unsupported start tag "{name}"')
            if closing:
                if not stack or stack[-1] != name:
                    raise ApiError(400, f'Bad Request: can\'t parse entities: Unmatched end tag "{name}"')
                stack.pop()
            else:
                stack.append(name)
            i = m.end()
        elif ch == "&":
            m = _ENTITY.match(text, i)
            if m is None:
                raise ApiError(400, f"Bad Request: can't parse entities: bare '&' at byte offset {i}")
            out.append(unescape(m[0]))
            i = m.end()
        else:
            out.append(ch)
            i += 1
    if stack:
        raise ApiError(400, f'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start '
                            f'tag "{stack[-1]}"')
    return "".join(out)


@dataclass
class Sent:
    """One message the bot sent (its latest state after edits)."""

    method: str  # sendMessage | sendPhoto
    chat_id: int
    message_id: int
    text: str  # plain text (the caption of a photo), after entity parsing
    raw: str  # as sent
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    disable_notification: bool
    at: float  # time.monotonic() when received
    photo: bytes | None = None
    filename: str | None = None
    reply_to: int | None = None
    edits: list[str] = field(default_factory=list)  # earlier texts, oldest first

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


class TelegramStandin:
    """The Bot API on 127.0.0.1 with a free port; `async with` starts and stops it."""

    def __init__(self, token: str = "123456:TEST-token") -> None:
        self.token = token
        self.chats: dict[int, dict[str, Any]] = {}
        self.sent: list[Sent] = []
        self.commands: list[dict[str, str]] = []
        self.calls: Counter[str] = Counter()
        self.errors: list[tuple[str, int, str]] = []  # (method, code, description) of every error answer
        self.answered_callbacks: dict[str, dict[str, Any]] = {}  # query id -> its one answer
        self.pressed: list[str] = []
        self.pushed_at: dict[tuple[int, int], float] = {}
        self.delivered: Counter[int] = Counter()  # update_id -> times handed out by getUpdates
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count] = defaultdict(lambda: itertools.count(1))
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._by_id: dict[tuple[int, int], Sent] = {}
        self._faults: dict[str, list[int]] = defaultdict(list)
        self._changed = asyncio.Condition()
        self._poll_generation = 0
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.delay: tuple[float, float] = (0.0, 0.0)

    # --- lifecycle ----------------------------------------------------------------------------------------
    async def __aenter__(self) -> TelegramStandin:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- test side ------------------------------------------------------------------------------------------
    def add_chat(self, chat_id: int, chat_type: str = "private", title: str = "") -> dict[str, Any]:
        """Make a chat known (the bot can only send to chats it is in)."""
        if chat_type not in ("private", "group", "supergroup"):
            raise ValueError(chat_type)
        chat = {"id": chat_id, "type": chat_type}
        chat.update({"first_name": title or f"user{chat_id}"} if chat_type == "private"
                    else {"title": title or f"group {chat_id}"})
        return self.chats.setdefault(chat_id, chat)

    def push_text(self, chat_id: int, user_id: int, text: str, chat_type: str = "private",
                  first_name: str = "", reply_to: int | None = None) -> int:
        """A person sends text (a leading /command gets its bot_command entity), optionally as a reply to a
        message of the chat; returns the message id."""
        chat = self.add_chat(chat_id, "private" if chat_type == "private" else chat_type)
        mid = next(self._message_ids[chat_id])
        msg: dict[str, Any] = {"message_id": mid, "date": int(time.time()), "chat": chat, "text": text,
                               "from": {"id": user_id, "is_bot": False, "first_name": first_name or f"u{user_id}"}}
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": tg_len(text.split()[0])}]
        if reply_to is not None:
            msg["reply_to_message"] = self._messages[(chat_id, reply_to)]
        self._messages[(chat_id, mid)] = msg
        self.pushed_at[(chat_id, mid)] = time.monotonic()
        self._queue({"message": msg})
        return mid

    def push_command(self, chat_id: int, user_id: int, text: str, chat_type: str = "private") -> int:
        """A /command (with its arguments) from a person."""
        if not text.startswith("/"):
            raise ValueError("a command starts with /")
        return self.push_text(chat_id, user_id, text, chat_type)

    def press(self, chat_id: int, user_id: int, message_id: int, data: str, *, force: bool = False) -> str:
        """A person presses an inline button of a bot message; returns the callback query id.

        force=True sends data no button carries (a modified client can do that)."""
        sent = self._by_id.get((chat_id, message_id))
        if sent is None:
            raise AssertionError(f"no bot message {message_id} in chat {chat_id}")
        if not force and data not in {d for _, d in sent.buttons}:
            raise AssertionError(f"message {message_id} has no button {data!r} (buttons: {sent.buttons})")
        qid = f"cq{len(self.pressed) + 1}"
        self.pressed.append(qid)
        user = {"id": user_id, "is_bot": False, "first_name": f"u{user_id}"}
        self._queue({"callback_query": {"id": qid, "from": user, "message": self._messages[(chat_id, message_id)],
                                        "chat_instance": str(chat_id), "data": data}})
        return qid

    def retry_after_next(self, method: str, seconds: int, times: int = 1) -> None:
        """The next `times` calls of method answer 429 Too Many Requests, retry after `seconds`."""
        self._faults[method.lower()].extend([seconds] * times)

    def sent_to(self, chat_id: int) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    def unanswered(self) -> list[str]:
        """Callback queries pressed but never answered."""
        return [q for q in self.pressed if q not in self.answered_callbacks]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until predicate() is truthy (re-checked after every bot call); return its value."""
        async def wait() -> Any:
            async with self._changed:
                while not (result := predicate()):
                    await self._changed.wait()
                return result

        try:
            return await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"timed out after {timeout}s; sent: {[s.text[:80] for s in self.sent]}, "
                                 f"errors: {self.errors}") from None

    # --- the API --------------------------------------------------------------------------------------------
    def _queue(self, payload: dict[str, Any]) -> None:
        self._updates.append({"update_id": next(self._update_ids), **payload})
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if self.delay[1] > 0 and method != "getUpdates":
            await asyncio.sleep(random.uniform(*self.delay))
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            if request.method != "POST":
                raise ApiError(405, "Method Not Allowed")
            handler = getattr(self, f"_m_{method.lower()}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            self.calls[method] += 1
            faults = self._faults.get(method.lower())
            if faults:
                wait = faults.pop(0)
                raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
            form = await request.post()
            result = await handler(form)
        except ApiError as exc:
            if not (exc.code == 409 and method == "getUpdates"):
                self.errors.append((method, exc.code, exc.description))
            body: dict[str, Any] = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
            return web.json_response(body, status=exc.code)
        finally:
            await self._notify()
        return web.json_response({"ok": True, "result": result})

    async def _m_getme(self, form: Any) -> Any:
        return BOT_USER

    async def _m_deletewebhook(self, form: Any) -> Any:
        if form.get("drop_pending_updates") == "true":
            self._updates.clear()
        return True

    async def _m_getupdates(self, form: Any) -> Any:
        offset, limit = int(form.get("offset", 0)), int(form.get("limit", 100))
        timeout = min(float(form.get("timeout", 0)), MAX_POLL_WAIT)
        allowed = json.loads(form["allowed_updates"]) if form.get("allowed_updates") else None
        self._poll_generation += 1
        mine = self._poll_generation
        await self._notify()  # wakes an older poll, which then ends with 409
        self._forget(offset, allowed)
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not self._updates and mine == self._poll_generation and time.monotonic() < deadline:
                try:
                    await asyncio.wait_for(self._changed.wait(), max(0.0, deadline - time.monotonic()))
                except TimeoutError:
                    break
        if mine != self._poll_generation:
            raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure that only one bot "
                                "instance is running")
        self._forget(offset, allowed)
        out = self._updates[:limit]
        for u in out:
            self.delivered[u["update_id"]] += 1
        return out

    def _forget(self, offset: int, allowed: list[str] | None) -> None:
        """Telegram forgets updates before the offset (confirmed) and those of kinds the bot did not ask for."""
        self._updates = [u for u in self._updates if u["update_id"] >= offset
                         and (allowed is None or set(u) - {"update_id"} <= set(allowed))]

    def _chat(self, form: Any) -> dict[str, Any]:
        try:
            chat_id = int(form.get("chat_id", ""))
        except ValueError:
            raise ApiError(400, "Bad Request: chat not found") from None
        if chat_id not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        return self.chats[chat_id]

    def _text(self, form: Any, key: str, limit: int) -> tuple[str, str]:
        raw = form.get(key, "")
        mode = form.get("parse_mode")
        if mode not in (None, "HTML"):
            raise ApiError(400, f"Bad Request: the stand-in only parses HTML, got parse_mode {mode!r}")
        plain = parse_html(raw) if mode == "HTML" else raw
        if key == "text" and not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if tg_len(plain) > limit:
            raise ApiError(400, "Bad Request: message is too long" if key == "text"
                           else "Bad Request: message caption is too long")
        return plain, raw

    @staticmethod
    def _markup(form: Any) -> dict[str, Any] | None:
        if not form.get("reply_markup"):
            return None
        markup = json.loads(form["reply_markup"])
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if not button.get("text") or (data is None and "url" not in button):
                    raise ApiError(400, "Bad Request: can't parse inline keyboard button")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _store(self, method: str, chat: dict[str, Any], plain: str, raw: str, form: Any, **extra: Any) -> Any:
        mid = next(self._message_ids[chat["id"]])
        markup = self._markup(form)
        reply = json.loads(form["reply_parameters"])["message_id"] if form.get("reply_parameters") else None
        sent = Sent(method=method, chat_id=chat["id"], message_id=mid, text=plain, raw=raw,
                    parse_mode=form.get("parse_mode"), reply_markup=markup,
                    disable_notification=form.get("disable_notification") == "true", at=time.monotonic(),
                    reply_to=reply, **extra)
        msg: dict[str, Any] = {"message_id": mid, "date": int(time.time()), "chat": chat, "from": BOT_USER}
        if method == "sendPhoto":
            msg["photo"] = [{"file_id": f"photo{mid}", "file_unique_id": f"u{mid}", "width": 800, "height": 600}]
            if plain:
                msg["caption"] = plain
        else:
            msg["text"] = plain
        if markup:
            msg["reply_markup"] = markup
        self._messages[(chat["id"], mid)] = msg
        self._by_id[(chat["id"], mid)] = sent
        self.sent.append(sent)
        return msg

    async def _m_sendmessage(self, form: Any) -> Any:
        chat = self._chat(form)
        plain, raw = self._text(form, "text", 4096)
        return self._store("sendMessage", chat, plain, raw, form)

    async def _m_sendphoto(self, form: Any) -> Any:
        chat = self._chat(form)
        photo = form.get("photo")
        if not hasattr(photo, "file"):
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        data = photo.file.read()
        if not (data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")):
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        plain, raw = self._text(form, "caption", 1024)
        return self._store("sendPhoto", chat, plain, raw, form, photo=data, filename=photo.filename)

    def _editable(self, form: Any) -> tuple[dict[str, Any], Sent]:
        chat = self._chat(form)
        key = (chat["id"], int(form.get("message_id", 0)))
        if key not in self._messages:
            raise ApiError(400, "Bad Request: message to edit not found")
        if key not in self._by_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        return self._messages[key], self._by_id[key]

    async def _m_editmessagetext(self, form: Any) -> Any:
        msg, sent = self._editable(form)
        if "text" not in msg:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        plain, raw = self._text(form, "text", 4096)
        markup = self._markup(form)
        if plain == sent.text and markup == sent.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and reply "
                                "markup are exactly the same as a current content and reply markup of the message")
        sent.edits.append(sent.text)
        sent.text, sent.raw, sent.reply_markup = plain, raw, markup
        msg.update(text=plain, edit_date=int(time.time()))
        msg.pop("reply_markup", None)
        if markup:
            msg["reply_markup"] = markup
        return msg

    async def _m_editmessagereplymarkup(self, form: Any) -> Any:
        msg, sent = self._editable(form)
        markup = self._markup(form)
        if markup == sent.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and reply "
                                "markup are exactly the same as a current content and reply markup of the message")
        sent.reply_markup = markup
        msg.pop("reply_markup", None)
        if markup:
            msg["reply_markup"] = markup
        return msg

    async def _m_answercallbackquery(self, form: Any) -> Any:
        qid = form.get("callback_query_id", "")
        if qid not in self.pressed or qid in self.answered_callbacks:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        text = form.get("text", "")
        if len(text) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.answered_callbacks[qid] = {"text": text, "show_alert": form.get("show_alert") == "true"}
        return True

    async def _m_setmycommands(self, form: Any) -> Any:
        commands = json.loads(form.get("commands", "[]"))
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        for c in commands:
            if not _COMMAND.match(c.get("command", "")) or not 1 <= len(c.get("description", "")) <= 256:
                raise ApiError(400, f"Bad Request: BOT_COMMAND_INVALID ({c})")
        self.commands = commands
        return True

    async def _m_sendchataction(self, form: Any) -> Any:
        self._chat(form)
        if form.get("action") not in _ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True
