"""The Database's store mixins, one module per area."""
