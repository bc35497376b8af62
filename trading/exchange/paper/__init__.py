"""The paper simulator: exchange, order book, brackets, checks and its ledger port."""
