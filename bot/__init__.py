"""Front ends and the running service: composition root, CLI, (later) chats and web."""
