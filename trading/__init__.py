"""Zyn's trading domain and engines; imports nothing from bot, agent, tools or memory."""
