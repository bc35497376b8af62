"""The command layer shared by every chat front end: command specs from the catalogue, and the chat flows."""
