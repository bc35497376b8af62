"""The offline intent engine: a message to tool calls without a model."""
