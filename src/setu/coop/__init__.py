"""coop (init replaced below)."""
