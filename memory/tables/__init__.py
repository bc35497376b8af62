"""SQLModel tables, one module per area."""
