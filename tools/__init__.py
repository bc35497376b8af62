"""The one catalogue of actions that every front end and the agent call."""
