"""The LLM agent: provider, tool-calling loop, grounding, confirmations, memory, offline intent engine."""
