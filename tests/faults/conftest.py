"""Helpers for the fault-injection suite: run real ``setu`` processes against a data directory.

Fixtures:

- ``setu_exe``: path of the installed ``setu`` console script (the one in the virtualenv).
- ``run_setu(*args, data_dir=..., input=..., env=..., timeout_s=...)``: run setu to completion
  and return a :class:`SetuRun` (``rc``, ``stdout``, ``stderr``; ``.json()`` parses stdout).
- ``start_setu(*args, data_dir=..., env=..., stdin=...)``: start setu in the background and
  return the :class:`subprocess.Popen`; every process still running at teardown is killed.

Every process gets ``--data-dir`` first and ``NO_COLOR=1``/``COLUMNS=200`` so output is plain
text; ``env`` adds or overrides variables.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DEFAULT_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class SetuRun:
    """The outcome of one finished setu process."""

    args: tuple[str, ...]
    rc: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """Stdout parsed as JSON (the last non-empty line when several are printed)."""
        text = self.stdout.strip()
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return json.loads(text.splitlines()[-1])

    def __str__(self) -> str:
        return f"setu {' '.join(self.args)} -> rc {self.rc}\n{self.stdout}\n{self.stderr}"


def _setu_path() -> Path:
    candidate = Path(sys.executable).with_name("setu")
    if not candidate.exists():
        pytest.skip(f"setu console script not found beside {sys.executable} (pip install -e .)")
    return candidate


def _env(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"NO_COLOR": "1", "COLUMNS": "200", "PYTHONUNBUFFERED": "1"})
    if extra:
        env.update(extra)
    return env


def _argv(exe: Path, args: tuple[str, ...], data_dir: Path | None) -> list[str]:
    head = [str(exe)]
    if data_dir is not None:
        head += ["--data-dir", str(data_dir)]
    return head + [str(a) for a in args]


@pytest.fixture(scope="session")
def setu_exe() -> Path:
    """The ``setu`` executable of the virtualenv running the tests."""
    return _setu_path()


@pytest.fixture
def run_setu(setu_exe: Path) -> Callable[..., SetuRun]:
    """Run setu to completion; returns rc, stdout and stderr."""

    def run(
        *args: str | Path,
        data_dir: Path | None = None,
        input: str | bytes | None = None,
        env: Mapping[str, str] | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> SetuRun:
        str_args = tuple(str(a) for a in args)
        data = input.encode() if isinstance(input, str) else input
        proc = subprocess.run(
            _argv(setu_exe, str_args, data_dir),
            input=data,
            capture_output=True,
            env=_env(env),
            timeout=timeout_s,
            check=False,
        )
        return SetuRun(
            args=str_args,
            rc=proc.returncode,
            stdout=proc.stdout.decode("utf-8", "replace"),
            stderr=proc.stderr.decode("utf-8", "replace"),
        )

    return run


@pytest.fixture
def start_setu(setu_exe: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start setu in the background (stdout/stderr piped); killed at teardown if still running."""
    started: list[subprocess.Popen[bytes]] = []

    def start(
        *args: str | Path,
        data_dir: Path | None = None,
        env: Mapping[str, str] | None = None,
        stdin: int | None = subprocess.DEVNULL,
    ) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            _argv(setu_exe, tuple(str(a) for a in args), data_dir),
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_env(env),
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=60)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
