"""Settings are declared once: every environment variable the package reads is in SETTINGS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from setu.errors import ConfigError
from setu.settings import SETTINGS, default_data_dir, load_settings

pytestmark = pytest.mark.unit

SRC = Path(__file__).resolve().parents[2] / "src" / "setu"
#: Variables read only by the test tier (not user settings).
TEST_ONLY = {"SETU_TEST_POSTGRES_URL"}


def test_every_environment_variable_in_the_package_is_declared() -> None:
    used: set[str] = set()
    for path in SRC.rglob("*.py"):
        used |= set(re.findall(r"\bSETU_[A-Z0-9_]+\b", path.read_text(encoding="utf-8")))
    declared = {spec.env for spec in SETTINGS}
    assert used - TEST_ONLY <= declared, sorted(used - TEST_ONLY - declared)
    assert all(spec.help.strip() for spec in SETTINGS)


def test_explicit_beats_environment_beats_default(tmp_path: Path) -> None:
    env = {"SETU_DATA_DIR": str(tmp_path / "env"), "HOME": str(tmp_path)}
    assert load_settings(environ=env).data_dir == tmp_path / "env"
    assert load_settings(data_dir=tmp_path / "arg", environ=env).data_dir == tmp_path / "arg"
    assert load_settings(environ={"HOME": str(tmp_path)}).data_dir == default_data_dir(
        {"HOME": str(tmp_path)}
    )
    assert default_data_dir({"XDG_DATA_HOME": str(tmp_path / "x")}) == tmp_path / "x" / "setu"


def test_sqlite_is_the_default_database(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, environ={})
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'setu.db'}"
    assert settings.ais_dir == tmp_path / "ais"


def test_bad_values_are_refused_with_a_hint(tmp_path: Path) -> None:
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        load_settings(data_dir=afile, environ={})
    with pytest.raises(ConfigError, match="postgresql"):
        load_settings(data_dir=tmp_path, database_url="setu.db", environ={})
