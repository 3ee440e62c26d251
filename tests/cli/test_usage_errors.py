"""Usage errors exit 2 with a one-line message and a help hint, on every command of the app.

Regression: ``setu positions --format xml``, ``--mmsi abc``, an unknown command and an unknown
option printed a traceback and exited 1 (the installed typer raises its own click classes, which
``setu.cli.main`` did not catch). The cases are generated from the registered commands (see
``conftest.py``), so a new command is covered without editing this file.
"""

from __future__ import annotations

import enum
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from setu.cli import main

pytestmark = pytest.mark.unit


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def assert_usage_error(
    capsys: pytest.CaptureFixture[str], argv: list[str], command: str, mention: str
) -> None:
    """``argv`` exits 2; stderr is exactly 'error: …' naming ``mention`` and the help hint."""
    code, _, err = run(capsys, argv)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (argv, code, err)
    assert "Traceback" not in err, (argv, err)
    assert len(lines) == 2, (argv, err)
    assert lines[0].startswith("error: ") and mention in lines[0], (argv, lines[0])
    assert lines[1] == f"try '{command} --help'", (argv, lines[1])


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing here should reach a command body; if one did, it would touch only tmp_path."""
    monkeypatch.setenv("SETU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SETU_DATABASE_URL", raising=False)


def _bad_value(param: Any) -> str | None:
    if param.kind in (int, float):
        return "abc"
    if isinstance(param.kind, type) and issubclass(param.kind, enum.Enum):
        return "no-such-choice"
    return None


def _positionals_before(spec: Any, param: Any) -> int:
    """How many positional arguments of ``spec`` come before ``param``."""
    positionals = [p for p in spec.params if not p.flag]
    return positionals.index(param)


def usage_cases(spec: Any) -> list[tuple[list[str], str]]:
    """Every kind of usage error that applies to the command ``spec``: (argv, what the message
    must name)."""
    path = list(spec.path)
    cases = [([*path, "--no-such-option"], "--no-such-option")]
    for option in spec.options:
        if option.takes_value:  # the option given last, without its value
            cases.append(([*path, option.flag], option.flag))
    for param in spec.params:
        bad = _bad_value(param)
        if bad is not None:  # not an integer, not a number, not one of the choices
            # a positional argument is reached only after the ones before it
            before = [] if param.flag else ["x"] * _positionals_before(spec, param)
            given = [param.flag, bad] if param.flag else [*before, bad]
            cases.append(([*path, *given], param.flag or "Invalid value"))
    if spec.group:
        cases.append(([*path, "no-such-command"], "No such command 'no-such-command'"))
    elif any(p.required for p in spec.params):
        cases.append((path, "Missing"))
    elif not spec.arguments:
        cases.append(([*path, "unexpected-extra"], "unexpected extra argument"))
    return cases


def test_every_usage_error_exits_2_with_one_line_and_a_hint(
    capsys: pytest.CaptureFixture[str], setu_command: Any
) -> None:
    command = " ".join(("setu", *setu_command.path))
    for argv, mention in usage_cases(setu_command):
        assert_usage_error(capsys, argv, command, mention)
    if setu_command.no_args_is_help:  # a group without its command: the help, and exit 2
        code, out, err = run(capsys, list(setu_command.path))
        assert code == 2 and "Usage" in out and "Traceback" not in err
    code, out, err = run(capsys, [*setu_command.path, "--help"])
    assert code == 0 and "Usage" in out and err == ""


def test_the_walk_finds_every_kind_of_command(setu_commands: list[Any]) -> None:
    """The generated cases above rest on this walk: it must see groups, nested commands and the
    parameter types the cases use."""
    labels = {spec.label for spec in setu_commands}
    assert {"setu", "positions", "events", "events detect", "coop agreements list"} <= labels
    assert {"acsa settle", "coop calendar show", "simulate"} <= labels
    positions = next(s for s in setu_commands if s.label == "positions")
    kinds = {p.flag: p.kind for p in positions.params}
    assert kinds["--mmsi"] is int and issubclass(kinds["--format"], enum.Enum)


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("argv", "command", "mention"),
    [
        (["positions", "--format", "xml"], "setu positions", "'xml' is not one of"),
        (["positions", "--mmsi", "abc"], "setu positions", "--mmsi"),
        (["no-such-command"], "setu", "No such command 'no-such-command'"),
        (["vessels", "--no-such-option"], "setu vessels", "No such option: --no-such-option"),
    ],
    ids=["bad-choice", "not-an-integer", "unknown-command", "unknown-option"],
)
def test_usage_errors_of_the_issue_exit_2_in_a_real_process(
    tmp_path: Path, argv: list[str], command: str, mention: str
) -> None:
    env = {**os.environ, "SETU_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-m", "setu", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert len(lines) == 2 and lines[0].startswith("error: ") and mention in lines[0]
    assert lines[1] == f"try '{command} --help'"
