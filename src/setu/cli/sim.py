"""CLI commands: sim (see setu.cli for the map of command modules)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
