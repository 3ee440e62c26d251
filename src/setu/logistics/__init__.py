"""The ACSA ledger (placeholder init, replaced below)."""
