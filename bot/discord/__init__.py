"""Zyn on Discord (discord.py 2.x): app commands, persistent buttons, embeds, alerts; see client.py."""
