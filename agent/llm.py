"""The chat-model provider (ZYN_LLM="provider:model") and the tool schemas the model is shown."""

from __future__ import annotations

import copy
import json
import os
from typing import TYPE_CHECKING, Any

from trading.errors import ConfigError

if TYPE_CHECKING:  # langchain is imported lazily: the CLI must start without it
    from langchain_core.language_models import BaseChatModel

    from tools.base import Tool

# Local OpenAI-compatible servers (ollama, llama.cpp, vLLM) ignore the key but the SDK insists on one.
_NO_KEY = "sk-no-key-needed"
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONE = ("items", "not", "additionalProperties")


def parse_spec(spec: str) -> tuple[str, str]:
    """Split "provider:model" into its parts, normalised, or raise one clear ConfigError."""
    provider, sep, model = (spec or "").strip().partition(":")
    provider = provider.strip().lower().replace("-", "_")
    if not sep or not provider or not model.strip():
        raise ConfigError(f"ZYN_LLM={spec!r} must look like provider:model, e.g. openai:gpt-4o-mini")
    return provider, model.strip()


def make_chat_model(spec: str, *, base_url: str | None, api_key: str | None, timeout: float = 30,
                    max_retries: int = 0, streaming: bool = False) -> BaseChatModel:
    """A langchain chat model for ZYN_LLM; OpenAI-compatible servers go through ChatOpenAI."""
    provider, model = parse_spec(spec)
    if provider == "openai":
        return _openai(spec, model, base_url, api_key, timeout, max_retries, streaming)
    try:
        from langchain.chat_models import init_chat_model
    except ImportError:
        raise ConfigError(f"ZYN_LLM={spec} needs the langchain package") from None
    providers = _known_providers()
    if providers and provider not in providers:
        known = ", ".join(sorted(providers))
        raise ConfigError(f"ZYN_LLM={spec}: unknown provider '{provider}' (known: {known})")
    package = providers.get(provider, f"langchain_{provider}").split(".")[0].replace("_", "-")
    kwargs: dict[str, Any] = {"timeout": timeout, "max_retries": max_retries, "streaming": streaming}
    if base_url:
        kwargs["base_url"] = base_url
    if api_key and provider != "ollama":
        kwargs["api_key"] = api_key
    try:
        return init_chat_model(model, model_provider=provider, **kwargs)
    except ImportError:
        raise ConfigError(f"ZYN_LLM={spec} needs the {package} package (pip install {package})") from None
    except Exception as exc:  # provider constructors raise anything; the user needs one line
        raise ConfigError(f"ZYN_LLM={spec}: {_first_line(exc)}") from None


def _known_providers() -> dict[str, str]:
    """Provider name -> integration module, from langchain's registry (private, so tolerate its absence)."""
    try:
        from langchain.chat_models.base import _BUILTIN_PROVIDERS
    except ImportError:
        return {}
    return {name: entry[0] for name, entry in _BUILTIN_PROVIDERS.items()}


def _openai(spec: str, model: str, base_url: str | None, api_key: str | None, timeout: float,
            max_retries: int, streaming: bool) -> BaseChatModel:
    try:
        import openai
        from langchain_openai import ChatOpenAI
    except ImportError:
        raise ConfigError(f"ZYN_LLM={spec} needs the langchain-openai package") from None
    kwargs: dict[str, Any] = {}
    if base_url:
        kwargs["base_url"] = base_url
        # Compatible servers implement chat completions, rarely OpenAI's newer Responses API.
        kwargs["use_responses_api"] = False
    if api_key:
        kwargs["api_key"] = api_key
    elif base_url:
        kwargs["api_key"] = os.environ.get("OPENAI_API_KEY") or _NO_KEY
    # Our own HTTP client, not langchain's process-wide cached one: that one is bound to the first event
    # loop that used it, and close_chat_model() must be able to release this model's sockets.
    kwargs["http_async_client"] = openai.DefaultAsyncHttpxClient()
    try:
        return ChatOpenAI(model=model, timeout=timeout, max_retries=max_retries, streaming=streaming, **kwargs)
    except openai.OpenAIError:
        raise ConfigError(f"ZYN_LLM={spec} needs an API key: set ZYN_LLM_API_KEY (or OPENAI_API_KEY)") from None
    except Exception as exc:  # pydantic/ValueError from the constructor, shown as one line
        raise ConfigError(f"ZYN_LLM={spec}: {_first_line(exc)}") from None


async def close_chat_model(model: Any) -> None:
    """Release the model's HTTP connections (OpenAI-compatible models; others close with their process)."""
    client = getattr(model, "root_async_client", None)
    if client is not None:
        await client.close()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


# Tools a model is not shown because another takes the same arguments and does the same (the catalogue, the
# commands and the CLI keep them): place_order places a bracket when given a stop and a target.
MERGED_FOR_MODEL = {"place_bracket_order": "place_order"}
# Schema keywords the model does not need: the tools validate every call themselves (tools/base.py Tool.parse)
# and answer a bad one with one clear line, so bounds and lengths only cost tokens on every request.
_CHECKS_ONLY = ("maxLength", "minLength", "pattern", "exclusiveMinimum", "exclusiveMaximum", "minimum", "maximum",
                "additionalProperties")


def tool_schemas(catalog: dict[str, Tool], allowed: set[str] | None = None) -> list[dict[str, Any]]:
    """OpenAI function-tool dicts for the catalogue's tools (all, or the allowed names), in catalogue order."""
    out = []
    for name, tool in catalog.items():
        if allowed is not None and name not in allowed:
            continue
        if MERGED_FOR_MODEL.get(name) in (allowed if allowed is not None else catalog):
            continue
        params = _lean(compact_schema(tool.args.model_json_schema()))
        out.append({"type": "function", "function": {"name": name, "description": tool.description,
                                                      "parameters": params}})
    return out


def _lean(node: Any) -> Any:
    """A schema as a model needs it: one type per field (a number-or-string-or-null is a number), no bounds."""
    if not isinstance(node, dict):
        return node
    branches = [b for b in node.get("anyOf", []) if b.get("type") != "null"]
    if branches:
        kept = {k: v for k, v in node.items() if k != "anyOf"}
        node = {**branches[0], **kept}  # Decimal fields: number first, string (exact digits) also accepted
    node = {k: v for k, v in node.items() if k not in _CHECKS_ONLY}
    if isinstance(node.get("properties"), dict):
        node["properties"] = {k: _lean(v) for k, v in node["properties"].items()}
        if not node["properties"]:
            node.pop("properties")
    if isinstance(node.get("items"), dict):
        node["items"] = _lean(node["items"])
    return node


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema without titles or null defaults, local $refs inlined: sent on every request, so small."""
    defs = schema.get("$defs", {})
    return _compact(copy.deepcopy(schema), defs, depth=0)


def _compact(node: Any, defs: dict[str, Any], depth: int) -> Any:
    if not isinstance(node, dict) or depth > 20:  # depth: a self-referencing model must not loop forever
        return node
    ref = node.get("$ref", "")
    if ref.startswith("#/$defs/") and ref[8:] in defs:
        inlined = {**copy.deepcopy(defs[ref[8:]]), **{k: v for k, v in node.items() if k != "$ref"}}
        return _compact(inlined, defs, depth + 1)
    node.pop("title", None)  # a schema keyword here; a *property* called "title" lives under "properties"
    node.pop("$defs", None)
    if "default" in node and node["default"] is None:
        del node["default"]  # optional-ness is already said by the null branch and "required"
    if isinstance(node.get("properties"), dict):
        node["properties"] = {k: _compact(v, defs, depth + 1) for k, v in node["properties"].items()}
    for key in _SCHEMA_LISTS:
        if isinstance(node.get(key), list):
            node[key] = [_compact(v, defs, depth + 1) for v in node[key]]
    for key in _SCHEMA_ONE:
        if isinstance(node.get(key), dict):
            node[key] = _compact(node[key], defs, depth + 1)
    return node


def schema_size(schemas: list[dict[str, Any]]) -> int:
    """Characters of the schemas as sent (compact JSON): the per-request cost of offering the tools."""
    return len(json.dumps(schemas, separators=(",", ":")))
