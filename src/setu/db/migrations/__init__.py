"""Alembic migration environment and versions of the operational database."""
