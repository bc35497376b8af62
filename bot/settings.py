"""Typed settings: environment > .env > config file (TOML) > defaults. Secrets come only from the environment."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from trading.domain import Mode
from trading.errors import ConfigError

# Which environment variable sets which field (for error messages and the .env wizard).
ENV_NAMES: dict[str, str] = {
    "mode": "ZYN_MODE",
    "data_dir": "ZYN_DATA_DIR",
    "offline": "ZYN_OFFLINE",
    "log_level": "ZYN_LOG_LEVEL",
    "config_file": "ZYN_CONFIG_FILE",
    "quote_currency": "ZYN_QUOTE_CURRENCY",
    "paper_starting_balance": "ZYN_PAPER_STARTING_BALANCE",
    "paper_maker_fee": "ZYN_PAPER_MAKER_FEE",
    "paper_taker_fee": "ZYN_PAPER_TAKER_FEE",
    "paper_slippage_bps": "ZYN_PAPER_SLIPPAGE_BPS",
    "request_timeout": "ZYN_REQUEST_TIMEOUT",
    "live_ack": "ZYN_LIVE_ACK",
    "llm": "ZYN_LLM",
    "llm_base_url": "ZYN_LLM_BASE_URL",
    "llm_api_key": "ZYN_LLM_API_KEY",
    "owner_name": "ZYN_OWNER_NAME",
    "timezone": "ZYN_TIMEZONE",
    "llm_token_budget": "ZYN_LLM_TOKEN_BUDGET",
    "confirm_in_paper": "ZYN_CONFIRM_IN_PAPER",
    "daily_loss_limit": "ZYN_DAILY_LOSS_LIMIT",
    "daily_profit_target": "ZYN_DAILY_PROFIT_TARGET",
    "kraken_api_key": "KRAKEN_API_KEY",
    "kraken_api_secret": "KRAKEN_API_SECRET",
    "kraken_api_url": "KRAKEN_API_URL",
    "kraken_tier": "ZYN_KRAKEN_TIER",
    "database_url": "DATABASE_URL",
    "paper_database_url": "PAPER_DATABASE_URL",
    "telegram_token": "ZYN_TELEGRAM_TOKEN",
    "telegram_api_url": "ZYN_TELEGRAM_API_URL",
    "telegram_owner_id": "ZYN_TELEGRAM_OWNER_ID",
    "telegram_allowed_ids": "ZYN_TELEGRAM_ALLOWED_IDS",
    "telegram_alert_chats": "ZYN_TELEGRAM_ALERT_CHATS",
    "telegram_report_chats": "ZYN_TELEGRAM_REPORT_CHATS",
    "report_time": "ZYN_REPORT_TIME",
    "alert_cooldown_seconds": "ZYN_ALERT_COOLDOWN_SECONDS",
    "alert_webhook_url": "ZYN_ALERT_WEBHOOK_URL",
    "smtp_host": "ZYN_SMTP_HOST",
    "smtp_port": "ZYN_SMTP_PORT",
    "smtp_user": "ZYN_SMTP_USER",
    "smtp_password": "ZYN_SMTP_PASSWORD",
    "smtp_starttls": "ZYN_SMTP_STARTTLS",
    "smtp_from": "ZYN_SMTP_FROM",
    "smtp_to": "ZYN_SMTP_TO",
    "sms_base_url": "ZYN_SMS_BASE_URL",
    "sms_account_sid": "ZYN_SMS_ACCOUNT_SID",
    "sms_auth_token": "ZYN_SMS_AUTH_TOKEN",
    "sms_from": "ZYN_SMS_FROM",
    "sms_to": "ZYN_SMS_TO",
    "discord_token": "ZYN_DISCORD_TOKEN",
    "discord_api_url": "ZYN_DISCORD_API_URL",
    "discord_gateway_url": "ZYN_DISCORD_GATEWAY_URL",
    "discord_guild_ids": "ZYN_DISCORD_GUILD_IDS",
    "discord_owner_id": "ZYN_DISCORD_OWNER_ID",
    "discord_allowed_ids": "ZYN_DISCORD_ALLOWED_IDS",
    "discord_trader_roles": "ZYN_DISCORD_TRADER_ROLES",
    "discord_viewer_roles": "ZYN_DISCORD_VIEWER_ROLES",
    "discord_alert_channels": "ZYN_DISCORD_ALERT_CHANNELS",
    "discord_report_channels": "ZYN_DISCORD_REPORT_CHANNELS",
    "discord_chat_channels": "ZYN_DISCORD_CHAT_CHANNELS",
    "discord_disabled_commands": "ZYN_DISCORD_DISABLED_COMMANDS",
    "web_host": "ZYN_WEB_HOST",
    "web_port": "ZYN_WEB_PORT",
    "web": "ZYN_WEB",
    "web_secret": "ZYN_WEB_SECRET",
    "web_login": "ZYN_WEB_LOGIN",
    "web_session_hours": "ZYN_WEB_SESSION_HOURS",
    "web_public_url": "ZYN_WEB_PUBLIC_URL",
}
_FIELD_BY_ENV = {env: field for field, env in ENV_NAMES.items()}
SECRET_FIELDS = ("kraken_api_key", "kraken_api_secret", "database_url", "paper_database_url", "llm_api_key",
                 "telegram_token", "alert_webhook_url", "smtp_password", "sms_auth_token", "discord_token", "web_secret")
_config_path: Path | None = None


_IDS = r"^\s*(\d+\s*(,\s*\d+\s*)*)?$"  # comma-separated Discord ids (snowflakes)
_ROLES = r"^[^,]{0,100}(,[^,]{1,100})*$"  # comma-separated role ids or names


def _env(field: str, default: Any = None) -> Any:
    return Field(default, validation_alias=AliasChoices(ENV_NAMES[field], field))


class Settings(BaseSettings):
    """Everything Zyn can be told; see .env.example for each variable."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      populate_by_name=True, case_sensitive=False)

    mode: Mode = Field(Mode.PAPER, validation_alias=AliasChoices("ZYN_MODE", "mode"))
    data_dir: Path = Field(Path("data"), validation_alias=AliasChoices("ZYN_DATA_DIR", "data_dir"))
    offline: bool = Field(False, validation_alias=AliasChoices("ZYN_OFFLINE", "offline"))
    log_level: Literal["TRACE", "DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias=AliasChoices("ZYN_LOG_LEVEL", "log_level"))
    config_file: Path = Field(Path("zyn.toml"), validation_alias=AliasChoices("ZYN_CONFIG_FILE", "config_file"))
    quote_currency: str = Field("USD", pattern=r"^[A-Z]{3,5}$",
                                validation_alias=AliasChoices("ZYN_QUOTE_CURRENCY", "quote_currency"))
    paper_starting_balance: Decimal = Field(
        Decimal("10000"), gt=0, le=Decimal("1000000000"),
        validation_alias=AliasChoices("ZYN_PAPER_STARTING_BALANCE", "paper_starting_balance"))
    paper_maker_fee: Decimal = Field(Decimal("0.0025"), ge=0, le=Decimal("0.1"),
                                     validation_alias=AliasChoices("ZYN_PAPER_MAKER_FEE", "paper_maker_fee"))
    paper_taker_fee: Decimal = Field(Decimal("0.0040"), ge=0, le=Decimal("0.1"),
                                     validation_alias=AliasChoices("ZYN_PAPER_TAKER_FEE", "paper_taker_fee"))
    paper_slippage_bps: Decimal = Field(Decimal("5"), ge=0, le=500,
                                        validation_alias=AliasChoices("ZYN_PAPER_SLIPPAGE_BPS", "paper_slippage_bps"))
    request_timeout: float = Field(10.0, gt=0, le=120,
                                   validation_alias=AliasChoices("ZYN_REQUEST_TIMEOUT", "request_timeout"))
    live_ack: bool = Field(False, validation_alias=AliasChoices("ZYN_LIVE_ACK", "live_ack"))
    llm: str | None = Field(None, pattern=r"^[a-z_-]+:\S+$", validation_alias=AliasChoices("ZYN_LLM", "llm"))
    llm_base_url: str | None = Field(None, pattern=r"^https?://[^\s]+$",
                                     validation_alias=AliasChoices("ZYN_LLM_BASE_URL", "llm_base_url"))
    llm_api_key: SecretStr | None = Field(None, validation_alias=AliasChoices("ZYN_LLM_API_KEY", "OPENAI_API_KEY"))
    # How Zyn addresses the owner; empty (the default): no name, nobody is greeted as someone they are not.
    owner_name: str = Field("", max_length=40, validation_alias=AliasChoices("ZYN_OWNER_NAME", "owner_name"))
    # The owner's IANA time zone: "yesterday", "this morning", "at 2pm" are read in it; replies show UTC too.
    timezone: str = Field("UTC", max_length=64, validation_alias=AliasChoices("ZYN_TIMEZONE", "timezone"))
    llm_token_budget: int = Field(20000, ge=1000, le=500000,
                                  validation_alias=AliasChoices("ZYN_LLM_TOKEN_BUDGET", "llm_token_budget"))
    # PAPER: which state-changing tools still ask for confirmation (LIVE: all of them, always).
    confirm_in_paper: str = Field("", pattern=r"^[a-z_, ]*$",
                                  validation_alias=AliasChoices("ZYN_CONFIRM_IN_PAPER", "confirm_in_paper"))
    # The kill switch's daily loss limit, over the config file's: "3%" of the day's start equity or "50 USD".
    daily_loss_limit: str | None = Field(None, max_length=30, validation_alias=AliasChoices(
        "ZYN_DAILY_LOSS_LIMIT", "daily_loss_limit"))
    # The daily profit target, over the config file's: "2%" of the day's start equity, "50 USD", or "none".
    daily_profit_target: str | None = Field(None, max_length=30, validation_alias=AliasChoices(
        "ZYN_DAILY_PROFIT_TARGET", "daily_profit_target"))
    kraken_api_key: SecretStr | None = Field(None, validation_alias="KRAKEN_API_KEY")
    kraken_api_secret: SecretStr | None = Field(None, validation_alias="KRAKEN_API_SECRET")
    kraken_api_url: str | None = Field(None, pattern=r"^https?://[^\s]+$", validation_alias="KRAKEN_API_URL")
    # The account's Kraken verification tier: its API counter and order limits (trading/exchange/kraken/ratelimit).
    kraken_tier: Literal["starter", "intermediate", "pro"] = Field(
        "starter", validation_alias=AliasChoices("ZYN_KRAKEN_TIER", "kraken_tier"))
    database_url: SecretStr | None = Field(None, validation_alias="DATABASE_URL")
    # LIVE's learner reads PAPER's outcomes (read only) from here; unset: PAPER's SQLite file in ZYN_DATA_DIR.
    paper_database_url: SecretStr | None = Field(None, validation_alias="PAPER_DATABASE_URL")
    # Telegram (bot/telegram): started by `zyn run` when the token is set.
    telegram_token: SecretStr | None = _env("telegram_token")
    telegram_api_url: str | None = Field(None, pattern=r"^https?://[^\s]+$", validation_alias=AliasChoices(
        "ZYN_TELEGRAM_API_URL", "telegram_api_url"))  # a Bot API server's base, ".../bot" (tests: the stand-in)
    telegram_owner_id: int | None = _env("telegram_owner_id")
    telegram_allowed_ids: str = Field("", pattern=r"^\s*(-?\d+\s*(,\s*-?\d+\s*)*)?$",
                                      validation_alias=AliasChoices("ZYN_TELEGRAM_ALLOWED_IDS", "telegram_allowed_ids"))
    telegram_alert_chats: str = Field("", pattern=r"^\s*(-?\d+\s*(,\s*-?\d+\s*)*)?$",
                                      validation_alias=AliasChoices("ZYN_TELEGRAM_ALERT_CHATS", "telegram_alert_chats"))
    telegram_report_chats: str = Field("", pattern=r"^\s*(-?\d+\s*(,\s*-?\d+\s*)*)?$", validation_alias=AliasChoices(
        "ZYN_TELEGRAM_REPORT_CHATS", "telegram_report_chats"))
    # Reports and alerts (bot/notify).
    report_time: str = Field("21:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
                             validation_alias=AliasChoices("ZYN_REPORT_TIME", "report_time"))  # UTC
    alert_cooldown_seconds: int = Field(60, ge=0, le=86400, validation_alias=AliasChoices(
        "ZYN_ALERT_COOLDOWN_SECONDS", "alert_cooldown_seconds"))
    alert_webhook_url: SecretStr | None = _env("alert_webhook_url")
    smtp_host: str | None = _env("smtp_host")
    smtp_port: int = Field(587, ge=1, le=65535, validation_alias=AliasChoices("ZYN_SMTP_PORT", "smtp_port"))
    smtp_user: str | None = _env("smtp_user")
    smtp_password: SecretStr | None = _env("smtp_password")
    smtp_starttls: bool = Field(True, validation_alias=AliasChoices("ZYN_SMTP_STARTTLS", "smtp_starttls"))
    smtp_from: str | None = _env("smtp_from")
    smtp_to: str | None = _env("smtp_to")  # comma-separated addresses
    sms_base_url: str = Field("https://api.twilio.com", pattern=r"^https?://[^\s]+$",
                              validation_alias=AliasChoices("ZYN_SMS_BASE_URL", "sms_base_url"))
    sms_account_sid: str | None = _env("sms_account_sid")
    sms_auth_token: SecretStr | None = _env("sms_auth_token")
    sms_from: str | None = _env("sms_from")
    sms_to: str | None = _env("sms_to")  # comma-separated numbers
    # Discord (bot/discord): started by `zyn run` when the token is set.
    discord_token: SecretStr | None = _env("discord_token")
    discord_api_url: str | None = Field(None, pattern=r"^https?://[^\s]+$", validation_alias=AliasChoices(
        "ZYN_DISCORD_API_URL", "discord_api_url"))  # REST base ending in /api/v10 (tests: the stand-in)
    discord_gateway_url: str | None = Field(None, pattern=r"^wss?://[^\s]+$", validation_alias=AliasChoices(
        "ZYN_DISCORD_GATEWAY_URL", "discord_gateway_url"))
    discord_guild_ids: str = Field("", pattern=_IDS, validation_alias=AliasChoices(
        "ZYN_DISCORD_GUILD_IDS", "discord_guild_ids"))
    discord_owner_id: int | None = _env("discord_owner_id")
    discord_allowed_ids: str = Field("", pattern=_IDS, validation_alias=AliasChoices(
        "ZYN_DISCORD_ALLOWED_IDS", "discord_allowed_ids"))
    discord_trader_roles: str = Field("", pattern=_ROLES, validation_alias=AliasChoices(
        "ZYN_DISCORD_TRADER_ROLES", "discord_trader_roles"))
    discord_viewer_roles: str = Field("", pattern=_ROLES, validation_alias=AliasChoices(
        "ZYN_DISCORD_VIEWER_ROLES", "discord_viewer_roles"))
    discord_alert_channels: str = Field("", pattern=_IDS, validation_alias=AliasChoices(
        "ZYN_DISCORD_ALERT_CHANNELS", "discord_alert_channels"))
    discord_report_channels: str = Field("", pattern=_IDS, validation_alias=AliasChoices(
        "ZYN_DISCORD_REPORT_CHANNELS", "discord_report_channels"))
    discord_chat_channels: str = Field("", pattern=_IDS, validation_alias=AliasChoices(
        "ZYN_DISCORD_CHAT_CHANNELS", "discord_chat_channels"))
    discord_disabled_commands: str = Field("", pattern=r"^[a-z_, ]*$", validation_alias=AliasChoices(
        "ZYN_DISCORD_DISABLED_COMMANDS", "discord_disabled_commands"))
    # The local web chat/dashboard.
    web_host: str = Field("127.0.0.1", validation_alias=AliasChoices("ZYN_WEB_HOST", "web_host"))
    web_port: int = Field(5000, ge=0, le=65535, validation_alias=AliasChoices("ZYN_WEB_PORT", "web_port"))
    web: bool = Field(True, validation_alias=AliasChoices("ZYN_WEB", "web"))  # ZYN_WEB=0 turns the web off
    # Bound to anything but localhost, the web needs a login: this secret keys the login links and sessions.
    web_secret: SecretStr | None = _env("web_secret")
    # ZYN_WEB_LOGIN=1 asks for a login on localhost too (a shared machine); it needs ZYN_WEB_SECRET as well.
    web_login: bool = Field(False, validation_alias=AliasChoices("ZYN_WEB_LOGIN", "web_login"))
    web_session_hours: int = Field(12, ge=1, le=24 * 30, validation_alias=AliasChoices(
        "ZYN_WEB_SESSION_HOURS", "web_session_hours"))
    # How the owner reaches the web from outside (a reverse proxy, a tunnel): login links name this address, and
    # an https:// one marks the session cookie Secure. Unset: the bind address (or this machine's name for 0.0.0.0).
    web_public_url: str | None = Field(None, validation_alias=AliasChoices("ZYN_WEB_PUBLIC_URL", "web_public_url"))

    @field_validator("quote_currency", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.upper() if isinstance(v, str) else v

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"an IANA time zone like America/New_York (got {v!r})") from None
        return v

    @field_validator("web_public_url")
    @classmethod
    def _public_url(cls, v: str | None) -> str | None:
        if v is None:
            return None
        from urllib.parse import urlsplit

        parts = urlsplit(v.strip())
        if parts.username or parts.password:  # never echoed: it holds a password
            raise ValueError("an address without a user name or password, like https://zyn.example.com")
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"an address like https://zyn.example.com or http://192.168.1.20:5000 (got {v!r})")
        return v.strip().rstrip("/")

    @field_validator("mode", mode="before")
    @classmethod
    def _lower(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v

    @field_validator("kraken_api_key", "kraken_api_secret", "database_url", "paper_database_url", "kraken_api_url",
                     "llm", "llm_base_url", "llm_api_key", "telegram_token", "telegram_api_url", "telegram_owner_id", "alert_webhook_url",
                     "smtp_host", "smtp_user", "smtp_password", "smtp_from", "smtp_to", "sms_account_sid",
                     "sms_auth_token", "sms_from", "sms_to", "discord_token", "discord_api_url",
                     "discord_gateway_url", "discord_owner_id", "web_secret", "web_public_url", mode="before")
    @classmethod
    def _blank_is_none(cls, v: Any) -> Any:
        return None if isinstance(v, str) and not v.strip() else v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Precedence: explicit > environment > .env > config file > defaults."""
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        if _config_path is not None and _config_path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=_config_path))
        return tuple(sources)

    @property
    def trading_env(self) -> dict[str, str]:
        """Risk settings given in the environment, applied over the config file (load_trading_config)."""
        given = {"daily_loss_limit": self.daily_loss_limit, "daily_profit_target": self.daily_profit_target}
        return {k: v for k, v in given.items() if v}

    @property
    def has_kraken_keys(self) -> bool:
        """Both Kraken credentials are present."""
        return bool(self.kraken_api_key and self.kraken_api_secret)

    def secret_values(self) -> list[str]:
        """Every secret's plain value, for the log redactor."""
        out = []
        for name in SECRET_FIELDS:
            value = getattr(self, name)
            if value is not None and value.get_secret_value():
                out.append(value.get_secret_value())
        return out

    @property
    def telegram_allowed(self) -> frozenset[int]:
        """Telegram user ids allowed to trade and confirm besides the owner."""
        return _ids(self.telegram_allowed_ids)

    @property
    def telegram_alert_chat_ids(self) -> tuple[int, ...]:
        """Chats that receive alerts: the configured ones, else the owner's private chat."""
        ids = tuple(sorted(_ids(self.telegram_alert_chats)))
        return ids or ((self.telegram_owner_id,) if self.telegram_owner_id is not None else ())

    @property
    def telegram_report_chat_ids(self) -> tuple[int, ...]:
        """Group chats that receive the daily report."""
        return tuple(sorted(_ids(self.telegram_report_chats)))

    @property
    def discord_guilds(self) -> tuple[int, ...]:
        """Guilds the app commands are synced to at start (none: globally)."""
        return tuple(sorted(_ids(self.discord_guild_ids)))

    @property
    def discord_allowed(self) -> frozenset[int]:
        """Discord user ids allowed to trade and confirm besides the owner."""
        return _ids(self.discord_allowed_ids)

    @property
    def discord_alert_channel_ids(self) -> tuple[int, ...]:
        """Discord channels that receive alerts."""
        return tuple(sorted(_ids(self.discord_alert_channels)))

    @property
    def discord_report_channel_ids(self) -> tuple[int, ...]:
        """Discord channels that receive the daily report."""
        return tuple(sorted(_ids(self.discord_report_channels)))

    @property
    def discord_chat_channel_ids(self) -> tuple[int, ...]:
        """Discord channels where every message (not only mentions of Zyn) goes to the agent."""
        return tuple(sorted(_ids(self.discord_chat_channels)))

    @property
    def discord_disabled(self) -> frozenset[str]:
        """App commands not published on Discord."""
        return frozenset(p.strip() for p in self.discord_disabled_commands.split(",") if p.strip())

    @staticmethod
    def roles_of(text: str) -> frozenset[str]:
        """Role ids or names (lower case) from a comma-separated setting."""
        return frozenset(p.strip().lower() for p in text.split(",") if p.strip())

    @property
    def mode_dir(self) -> Path:
        """Folder of this mode's database and files."""
        return self.data_dir / self.mode.value


def _ids(text: str) -> frozenset[int]:
    return frozenset(int(part) for part in text.replace(" ", "").split(",") if part)


def _describe(err: dict[str, Any]) -> str:
    """One readable line for one pydantic error."""
    loc = err.get("loc") or ("?",)
    field = str(loc[0])
    field = _FIELD_BY_ENV.get(field.upper(), field)
    name = ENV_NAMES.get(field, field)
    got = err.get("input")
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "enum":
        accepts = f"one of {ctx.get('expected', '')}".replace("'", "")
    elif kind == "literal_error":
        accepts = f"one of {ctx.get('expected', '')}".replace("'", "")
    elif kind.startswith("bool"):
        accepts = "1/0, true/false, yes/no"
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        accepts = err.get("msg", "").lower().replace("input should be ", "")
    elif kind.startswith("decimal") or kind.startswith("float"):
        accepts = "a number"
    elif kind == "string_pattern_mismatch":
        accepts = {"kraken_api_url": "a URL like https://api.kraken.com", "llm_base_url": "a URL like http://localhost:11434/v1",
                   "llm": "provider:model, like openai:gpt-4o-mini", "report_time": "a UTC time like 21:00",
                   "telegram_api_url": "a URL like http://127.0.0.1:8081/bot",
                   "discord_api_url": "a URL like https://discord.com/api/v10",
                   "discord_gateway_url": "a URL like wss://gateway.discord.gg",
                   "discord_disabled_commands": "comma-separated command names",
                   "sms_base_url": "a URL like https://api.twilio.com"}.get(
                       field, "comma-separated numeric ids" if field.startswith(("telegram_", "discord_")) else "letters like USD")
    else:
        accepts = err.get("msg", "a valid value").lower()
    shown = "***" if field in SECRET_FIELDS else repr(got)
    shown = re.sub(r"://[^/@\s]*@", "://***@", shown)  # a URL's user name and password are never echoed
    if isinstance(got, dict):
        return f"{name}: missing or malformed ({accepts})"
    return f"{name}: must be {accepts} (got {shown})"


def load_settings(**overrides: Any) -> Settings:
    """Read settings or raise ConfigError with one clear line naming the variable."""
    global _config_path
    _config_path = Path(os.environ.get("ZYN_CONFIG_FILE") or overrides.get("config_file") or "zyn.toml")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc.errors()[0])) from None
    except Exception as exc:  # a malformed TOML or .env file
        raise ConfigError(f"cannot read configuration: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}") from None
