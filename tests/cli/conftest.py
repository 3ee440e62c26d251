"""Fixtures of the CLI tests: every command of the ``setu`` app, walked from the app itself.

Tests that take ``setu_command`` run once per command and group (so a new command is covered
without editing the test); ``setu_commands`` is the whole list.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass(frozen=True)
class ParamSpec:
    """One option or argument of a command: how it is written and the type it takes."""

    name: str
    flag: str | None  # "--mmsi"; None for an argument
    kind: Any  # int, float, str, Path, an Enum class, bool … (None when unknown)
    takes_value: bool
    required: bool


@dataclass(frozen=True)
class CommandSpec:
    """A command or group of the app, as a user types it (``("coop", "agreements", "list")``)."""

    path: tuple[str, ...]
    group: bool
    no_args_is_help: bool
    params: tuple[ParamSpec, ...]

    @property
    def label(self) -> str:
        return " ".join(self.path) or "setu"

    @property
    def options(self) -> tuple[ParamSpec, ...]:
        return tuple(p for p in self.params if p.flag is not None)

    @property
    def arguments(self) -> tuple[ParamSpec, ...]:
        return tuple(p for p in self.params if p.flag is None)

    def has(self, flag: str) -> bool:
        return any(p.flag == flag for p in self.params)


def _kind(annotation: Any) -> Any:
    """The value type of an annotation: ``list[int] | None`` gives int."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (list, tuple):
        return _kind(args[0]) if args else None
    if args and typing.get_origin(annotation) is not None:
        return _kind(args[0])
    return annotation


def _spec(path: tuple[str, ...], command: Any) -> CommandSpec:
    callback = command.callback
    hints = typing.get_type_hints(inspect.unwrap(callback)) if callback is not None else {}
    params = []
    for param in command.params:
        is_option = param.param_type_name == "option"
        params.append(
            ParamSpec(
                name=param.name,
                flag=param.opts[0] if is_option else None,
                kind=_kind(hints.get(param.name)),
                takes_value=not (is_option and param.is_flag),
                required=bool(param.required),
            )
        )
    subcommands = getattr(command, "commands", None)
    return CommandSpec(
        path=path,
        group=subcommands is not None,
        no_args_is_help=bool(getattr(command, "no_args_is_help", False)),
        params=tuple(params),
    )


def walk_commands() -> list[CommandSpec]:
    """Every group and command of ``setu``, root first, from the registered Typer app."""
    import typer.main

    from setu.cli import app

    def walk(command: Any, path: tuple[str, ...]) -> Iterator[CommandSpec]:
        yield _spec(path, command)
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, (*path, name))

    return list(walk(typer.main.get_command(app), ()))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "setu_command" in metafunc.fixturenames:
        specs = walk_commands()
        metafunc.parametrize("setu_command", specs, ids=[s.label for s in specs])


@pytest.fixture(scope="session")
def setu_commands() -> list[CommandSpec]:
    """Every group and command of the ``setu`` app."""
    return walk_commands()
