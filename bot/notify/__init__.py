"""Alerts fan-out: typed trading events to Telegram, Discord, a webhook, email and SMS (see fanout.py)."""

from bot.notify.base import Alert, AlertKind, Channel, Delivery, NotifyError, RetryableNotifyError

__all__ = ["Alert", "AlertKind", "Channel", "Delivery", "NotifyError", "RetryableNotifyError"]
