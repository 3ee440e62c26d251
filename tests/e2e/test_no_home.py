"""setu works without a usable home directory (a service account, ``HOME=/nonexistent`` in a
container): Numba's compiled-code cache then goes to a private directory in the temp dir.

As root here, ``__pycache__`` beside the sources is always writable, so the read-only
installation the failure needs is emulated by leaving Numba's in-tree cache locator out
(``NUMBA_CACHE_LOCATOR_CLASSES``); a control run shows that this reproduces the failure.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from setu.cli._runtime import prepare_numba_cache, private_temp_cache
from setu.ingest.feeder import position_sentence

#: Numba's locators minus the in-tree one: what a read-only installation leaves.
_READ_ONLY_INSTALL = "UserProvidedCacheLocator,UserWideCacheLocator"
_SETU = Path(sys.executable).with_name("setu")


def _unusable_home(tmp_path: Path) -> str:
    """A HOME below a regular file: nothing can be created there, not even by root."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    return str(blocker / "home")


def _env(home: str, tmp_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "XDG_"))}
    env.update(
        HOME=home, TMPDIR=str(tmp_dir), NUMBA_CACHE_LOCATOR_CLASSES=_READ_ONLY_INSTALL, NO_COLOR="1"
    )
    return env


@pytest.fixture(scope="module")
def shared_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One temp dir for the module, so Numba compiles into it once."""
    return tmp_path_factory.mktemp("tmpdir")


@pytest.mark.unit
def test_numba_cache_is_left_alone_while_home_is_usable(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}
    assert prepare_numba_cache(env, tmp_dir=tmp_path / "t") is None
    assert "NUMBA_CACHE_DIR" not in env
    mine = {"HOME": _unusable_home(tmp_path), "NUMBA_CACHE_DIR": "/somewhere/else"}
    assert prepare_numba_cache(mine, tmp_dir=tmp_path) is None
    assert mine["NUMBA_CACHE_DIR"] == "/somewhere/else"


@pytest.mark.unit
@pytest.mark.parametrize("home", ["unusable", "/proc"])
def test_without_a_usable_home_numba_caches_in_a_private_temp_dir(
    home: str, tmp_path: Path
) -> None:
    env = {"HOME": _unusable_home(tmp_path) if home == "unusable" else home}
    cache = prepare_numba_cache(env, tmp_dir=tmp_path)
    assert cache == tmp_path / f"setu-{os.getuid()}" / "numba"
    assert env["NUMBA_CACHE_DIR"] == str(cache)
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700


@pytest.mark.unit
def test_a_temp_cache_someone_else_planted_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / f"setu-{os.getuid()}").symlink_to(tmp_path / "elsewhere")
    assert private_temp_cache(tmp_path) is None


def _run(args: list[str], home: str, tmp_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, capture_output=True, text=True, env=_env(home, tmp_dir), timeout=1800, check=False
    )


@pytest.mark.e2e
def test_commands_start_without_a_usable_home(tmp_path: Path, shared_tmp: Path) -> None:
    """Regression: with no writable HOME every command failed ("no locator available")."""
    home = _unusable_home(tmp_path)
    control = _run([sys.executable, "-c", "import setu.ais.decode"], home, shared_tmp)
    assert control.returncode != 0 and "no locator available" in control.stderr
    empty = tmp_path / "empty.nmea"
    empty.write_text("")
    for home_dir in (home, "/proc"):  # missing, and read-only
        run = _run([str(_SETU), "decode", str(empty)], home_dir, shared_tmp)
        assert run.returncode == 0, run.stderr
    assert (shared_tmp / f"setu-{os.getuid()}" / "numba").is_dir()


@pytest.mark.e2e
@pytest.mark.slow
def test_decoding_works_with_a_read_only_home(tmp_path: Path, shared_tmp: Path) -> None:
    """The kernels compile into the temp cache and decode (slow: a full compilation)."""
    feed = tmp_path / "three.nmea"
    feed.write_text("".join(f"{position_sentence(i)}\n" for i in range(3)))
    run = _run([str(_SETU), "decode", str(feed)], "/proc", shared_tmp)
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert [row["mmsi"] for row in rows] == [200_000_000, 200_000_001, 200_000_002]
