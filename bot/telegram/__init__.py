"""Zyn on Telegram (python-telegram-bot): the front end (app.py), its handlers, and the alert channel."""
