"""Zyn on Telegram: slash commands, free text to the agent, inline confirmations, alerts to chats."""

from bot.telegram.app import TelegramFrontEnd, build_application
from bot.telegram.channel import TelegramChannel

__all__ = ["TelegramChannel", "TelegramFrontEnd", "build_application"]
