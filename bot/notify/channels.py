"""Which alert channels the settings configure, and building the non-chat ones (webhook, email, SMS).

Telegram and Discord channels are made by their front ends and added with Notifier.add_channel().
Light to import: the channel classes (aiohttp, smtplib) load only in build_channels().
"""

from __future__ import annotations

from typing import Any

from loguru import logger

from bot.notify.base import Channel
from memory.vocab import ALERT_CHANNELS
from trading.clock import Clock

# channel -> (setting field, environment variable) that must all be set for it to be configured
REQUIRED: dict[str, tuple[tuple[str, str], ...]] = {
    "telegram": (("telegram_token", "ZYN_TELEGRAM_TOKEN"),),
    "discord": (("discord_token", "ZYN_DISCORD_TOKEN"),),
    "webhook": (("alert_webhook_url", "ZYN_ALERT_WEBHOOK_URL"),),
    "email": (("smtp_host", "ZYN_SMTP_HOST"), ("smtp_to", "ZYN_SMTP_TO")),
    "sms": (("sms_account_sid", "ZYN_SMS_ACCOUNT_SID"), ("sms_auth_token", "ZYN_SMS_AUTH_TOKEN"),
            ("sms_from", "ZYN_SMS_FROM"), ("sms_to", "ZYN_SMS_TO")),
}


def missing_settings(settings: Any) -> dict[str, list[str]]:
    """For every channel, the environment variables still to set (empty list: configured)."""
    out: dict[str, list[str]] = {}
    for channel in ALERT_CHANNELS:
        out[channel] = [env for field, env in REQUIRED.get(channel, ()) if not _present(getattr(settings, field, None))]
    if not out["telegram"] and not tuple(getattr(settings, "telegram_alert_chat_ids", ()) or ()):
        out["telegram"] = ["ZYN_TELEGRAM_OWNER_ID or ZYN_TELEGRAM_ALERT_CHATS"]  # a token alone reaches nobody
    return out


def configured_channels(settings: Any) -> dict[str, bool]:
    """channel name -> whether its required settings are present."""
    return {name: not missing for name, missing in missing_settings(settings).items()}


def build_channels(settings: Any, *, clock: Clock | None = None) -> list[Channel]:
    """The configured webhook, email and SMS channels (Telegram and Discord are added by their front ends)."""
    configured = configured_channels(settings)
    channels: list[Channel] = []
    for name, make in (("webhook", _webhook), ("email", _email), ("sms", _sms)):
        if not configured[name]:
            continue
        try:
            channels.append(make(settings, clock))
        except ValueError as exc:  # e.g. ZYN_SMTP_TO of commas only: say so, start without that channel
            logger.bind(component="notify").warning("{} alerts disabled: {}", name, exc)
    return channels


def _webhook(settings: Any, clock: Clock | None) -> Channel:
    from bot.notify.webhook import WebhookChannel

    return WebhookChannel(_secret(settings.alert_webhook_url), clock=clock)


def _email(settings: Any, clock: Clock | None) -> Channel:
    from bot.notify.mail import EmailChannel

    user = settings.smtp_user
    sender = settings.smtp_from or (user if user and "@" in user else f"zyn@{settings.smtp_host}")
    return EmailChannel(settings.smtp_host, settings.smtp_port, sender, _split(settings.smtp_to), user=user,
                        password=_secret(settings.smtp_password), starttls=settings.smtp_starttls)


def _sms(settings: Any, clock: Clock | None) -> Channel:
    from bot.notify.sms import SmsChannel

    return SmsChannel(settings.sms_base_url, settings.sms_account_sid, _secret(settings.sms_auth_token),
                      settings.sms_from, _split(settings.sms_to), clock=clock)


def _present(value: Any) -> bool:
    if value is None:
        return False
    if hasattr(value, "get_secret_value"):
        value = value.get_secret_value()
    return bool(str(value).strip())


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]
