"""A strict, scripted OpenAI-compatible chat-completions stand-in (aiohttp on 127.0.0.1).

    async with LLMStandin([{"tool_calls": [{"name": "get_price", "arguments": {"symbol": "BTC/USD"}}]},
                           {"content": "BTC is 60,000."}]) as llm:
        model = ChatOpenAI(model="gpt-test", base_url=llm.url, api_key="sk-test", max_retries=0)

Each POST /v1/chat/completions consumes the next step of the script. A step is a spec dict, or a
callable(request_json) -> spec (sync or async). Spec keys:
  content: str                     assistant text
  tool_calls: [{name, arguments (dict, or a raw str sent verbatim), id?}]
  usage: {prompt_tokens, completion_tokens}   overrides the len//4 estimate
  finish_reason: str               overrides "stop" / "tool_calls"
  status: int, error: str          answer an OpenAI-style error instead
  delay: float                     seconds to wait before answering
  close: True                      drop the connection without an answer
  close_after: int                 (streaming) drop the connection after this many SSE chunks
  split: int                       (streaming) piece size for content and arguments (default 7)
Strict like the real API: 404 for unknown paths, 405 for wrong methods, 400 for a malformed body
(missing model/messages, unknown parameters, bad roles, a tool message that answers no preceding
tool call, an assistant tool call left unanswered, malformed tool schemas), 401 without a bearer key.
A request after the script ran out answers 500 and is counted in `overrun`. Every accepted body is in
`requests`; `remaining` says how many steps were not used.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

_ROLES = {"system", "developer", "user", "assistant", "tool"}
_PARAMS = {
    "model", "messages", "stream", "stream_options", "tools", "tool_choice", "parallel_tool_calls",
    "temperature", "top_p", "n", "stop", "max_tokens", "max_completion_tokens", "presence_penalty",
    "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "user", "seed", "response_format",
    "metadata", "store", "reasoning_effort", "service_tier", "modalities", "prediction", "verbosity",
    "prompt_cache_key", "safety_identifier",
}
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
JSON = "application/json"


class BadRequest(Exception):
    """A request the real API would refuse with 400."""


def _error(status: int, message: str, kind: str = "invalid_request_error") -> web.Response:
    return _json({"error": {"message": message, "type": kind, "param": None, "code": None}}, status)


def _json(data: Any, status: int = 200) -> web.Response:
    # Bytes with an explicit header: aiohttp would otherwise append "; charset=utf-8".
    return web.Response(status=status, body=json.dumps(data).encode(), headers={"Content-Type": JSON})


def _tokens(text: str) -> int:
    return max(1, len(text) // 4) if text else 0


def _compact(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


def _check_messages(messages: Any) -> None:
    if not isinstance(messages, list) or not messages:
        raise BadRequest("'messages' must be a non-empty array")
    open_calls: set[str] = set()
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or msg.get("role") not in _ROLES:
            raise BadRequest(f"messages[{i}]: invalid role")
        role = msg["role"]
        if role != "tool" and open_calls:
            # The real API: an assistant message with tool_calls must be followed by their answers.
            raise BadRequest(f"tool_call_ids did not have response messages: {sorted(open_calls)}")
        if role == "assistant":
            for call in msg.get("tool_calls") or []:
                fn = call.get("function") or {}
                if call.get("type") != "function" or not call.get("id") or not isinstance(fn.get("arguments"), str):
                    raise BadRequest(f"messages[{i}].tool_calls: malformed tool call")
                open_calls.add(call["id"])
            if not msg.get("tool_calls") and msg.get("content") is None:
                raise BadRequest(f"messages[{i}]: assistant message needs content or tool_calls")
        elif role == "tool":
            if msg.get("tool_call_id") not in open_calls:
                raise BadRequest(f"messages[{i}]: role 'tool' must answer a preceding message with 'tool_calls'")
            if not isinstance(msg.get("content"), (str, list)):
                raise BadRequest(f"messages[{i}]: tool message needs content")
            open_calls.discard(msg["tool_call_id"])
        elif msg.get("content") is None:
            raise BadRequest(f"messages[{i}]: content is required")
    if open_calls:
        raise BadRequest(f"tool_call_ids did not have response messages: {sorted(open_calls)}")


def _check_tools(tools: Any) -> None:
    if not isinstance(tools, list):
        raise BadRequest("'tools' must be an array")
    for i, tool in enumerate(tools):
        fn = tool.get("function") if isinstance(tool, dict) else None
        if tool.get("type") != "function" or not isinstance(fn, dict):
            raise BadRequest(f"tools[{i}]: only function tools are supported")
        if not _TOOL_NAME.match(str(fn.get("name", ""))):
            raise BadRequest(f"tools[{i}].function.name is invalid")
        if not isinstance(fn.get("parameters", {}), dict):
            raise BadRequest(f"tools[{i}].function.parameters must be an object")


def check_body(body: Any) -> None:
    """Raise BadRequest when the real API would refuse this chat-completions body."""
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    unknown = set(body) - _PARAMS
    if unknown:
        raise BadRequest(f"Unrecognized request argument supplied: {', '.join(sorted(unknown))}")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise BadRequest("you must provide a model parameter")
    _check_messages(body.get("messages"))
    if "tools" in body:
        _check_tools(body["tools"])


class LLMStandin:
    """`async with LLMStandin(script) as llm:` serves the script at `llm.url` (".../v1")."""

    def __init__(self, script: Iterable[Any] = (), *, api_key: str | None = None, models: Iterable[str] = ("gpt-test",)):
        self.script: deque[Any] = deque(script)
        self.api_key = api_key  # None: any non-empty bearer key is accepted
        self.models = list(models)
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.overrun = 0
        self.url = ""
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None

    @property
    def remaining(self) -> int:
        """Steps of the script not consumed yet."""
        return len(self.script)

    def add(self, *steps: Any) -> None:
        """Append steps to the script."""
        self.script.extend(steps)

    async def __aenter__(self) -> LLMStandin:
        app = web.Application(middlewares=[self._strict])
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/v1"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _strict(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        try:
            auth = request.headers.get("Authorization", "")
            key = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
            if not key or (self.api_key is not None and key != self.api_key):
                return _error(401, "Incorrect API key provided.", "authentication_error")
            return await handler(request)
        except web.HTTPNotFound:
            return _error(404, f"Unknown request URL: {request.method} {request.path}.")
        except web.HTTPMethodNotAllowed:
            return _error(405, f"Method {request.method} not allowed for {request.path}.")

    async def _models(self, request: web.Request) -> web.Response:
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "zyn-standin"} for m in self.models]
        return _json({"object": "list", "data": data})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "We could not parse the JSON body of your request.")
        try:
            check_body(body)
        except BadRequest as exc:
            return _error(400, str(exc))
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        if not self.script:
            self.overrun += 1
            return _error(500, "stand-in script exhausted", "server_error")
        step = self.script.popleft()
        spec = step(body) if callable(step) else step
        if inspect.isawaitable(spec):
            spec = await spec
        if spec.get("delay"):
            await asyncio.sleep(spec["delay"])
        if spec.get("close"):
            assert request.transport is not None
            request.transport.close()  # the client sees the connection drop with no answer
            return web.Response()
        if "status" in spec:
            return _error(spec["status"], spec.get("error", "stand-in error"), "server_error")
        if body.get("stream"):
            return await self._stream(request, body, spec)
        return _json(self._completion(body, spec))

    def _calls(self, spec: dict[str, Any]) -> list[dict[str, Any]]:
        calls = []
        for call in spec.get("tool_calls") or []:
            args = call.get("arguments", {})
            calls.append({"id": call.get("id") or f"call_{next(self._ids)}", "type": "function",
                          "function": {"name": call["name"],
                                       "arguments": args if isinstance(args, str) else json.dumps(args)}})
        return calls

    def _usage(self, body: dict[str, Any], spec: dict[str, Any], content: str, calls: list) -> dict[str, int]:
        given = spec.get("usage") or {}
        prompt = given.get("prompt_tokens", _tokens(_compact(body["messages"]) + _compact(body.get("tools", []))))
        completion = given.get("completion_tokens", _tokens(content + json.dumps(calls) if calls else content))
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def _envelope(self, body: dict[str, Any], kind: str) -> dict[str, Any]:
        return {"id": f"chatcmpl-{next(self._ids)}", "object": kind, "created": int(time.time()),
                "model": body["model"], "system_fingerprint": "fp_standin"}

    def _completion(self, body: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
        content = spec.get("content")
        calls = self._calls(spec)
        message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
        if calls:
            message["tool_calls"] = calls
        finish = spec.get("finish_reason") or ("tool_calls" if calls else "stop")
        return {**self._envelope(body, "chat.completion"),
                "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
                "usage": self._usage(body, spec, content or "", calls)}

    async def _stream(self, request: web.Request, body: dict[str, Any], spec: dict[str, Any]) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)
        base = self._envelope(body, "chat.completion.chunk")
        content = spec.get("content") or ""
        calls = self._calls(spec)
        size = max(1, int(spec.get("split", 7)))
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        deltas += [{"content": content[i:i + size]} for i in range(0, len(content), size)]
        for index, call in enumerate(calls):
            fn = call["function"]
            deltas.append({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                           "function": {"name": fn["name"], "arguments": ""}}]})
            deltas += [{"tool_calls": [{"index": index, "function": {"arguments": fn["arguments"][i:i + size]}}]}
                       for i in range(0, len(fn["arguments"]), size)]
        finish = spec.get("finish_reason") or ("tool_calls" if calls else "stop")
        chunks = [{**base, "choices": [{"index": 0, "delta": d, "finish_reason": None, "logprobs": None}]}
                  for d in deltas]
        chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish, "logprobs": None}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            chunks.append({**base, "choices": [], "usage": self._usage(body, spec, content, calls)})
        limit = spec.get("close_after")
        for n, chunk in enumerate(chunks):
            if limit is not None and n >= limit:
                assert request.transport is not None
                request.transport.close()  # dropped mid-stream: no finish_reason, no [DONE]
                return resp
            await resp.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp
