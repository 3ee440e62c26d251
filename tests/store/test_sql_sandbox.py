"""SQL over the store reads the picture and nothing else: each attack from the issue is refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest

from setu.cli import main
from setu.errors import PolicyError, ValidationError
from setu.store import MaritimeStore

pytestmark = pytest.mark.unit


@pytest.fixture
def stored(fresh_store: MaritimeStore, make_positions: Callable[..., pa.Table]) -> MaritimeStore:
    fresh_store.write({"positions": make_positions(0, 10)})
    ledger = fresh_store.root.parent / "setu.db"
    ledger.write_bytes(b"SQLite format 3\x00 the ledger")
    return fresh_store


def _attacks(store: MaritimeStore, tmp_path: Path) -> list[tuple[str, str]]:
    part = store.files("positions")[0]
    ledger = store.root.parent / "setu.db"
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$hash")
    return [
        ("overwrite positions", f"COPY (SELECT 1) TO '{part}' (FORMAT parquet)"),
        ("destroy the ledger", f"COPY (SELECT 1) TO '{ledger}'"),
        ("read any file", f"SELECT * FROM read_text('{secret}')"),
        ("read /etc/shadow", "SELECT * FROM read_text('/etc/shadow')"),
        ("read beside the store", f"SELECT * FROM read_text('{store.root}/../setu.db')"),
        ("list files", "SELECT * FROM glob('/etc/*')"),
        ("attach creates files", f"ATTACH '{tmp_path / 'new.db'}' AS x"),
        ("download code", "INSTALL httpfs"),
        ("load code", "LOAD httpfs"),
        ("lift the sandbox", "SET enable_external_access = true"),
        ("pragma", "PRAGMA enable_profiling"),
        ("two statements", "SELECT 1; COPY (SELECT 1) TO 'x.csv'"),
        ("hidden in a table function", "SELECT * FROM query('COPY (SELECT 1) TO ''y.csv''')"),
    ]


def test_every_attack_is_refused_and_changes_nothing(stored: MaritimeStore, tmp_path: Path) -> None:
    """Regression: `setu sql` could replace positions, destroy the ledger and read any file."""
    part = stored.files("positions")[0]
    ledger = stored.root.parent / "setu.db"
    before = (part.read_bytes(), ledger.read_bytes())
    for label, query in _attacks(stored, tmp_path):
        with pytest.raises(ValidationError) as caught:  # PolicyError is a ValidationError
            stored.sql(query)
        assert caught.value.exit_code == 5, label
        assert "root:" not in str(caught.value), label
    assert (part.read_bytes(), ledger.read_bytes()) == before
    assert not (tmp_path / "new.db").exists()
    assert stored.positions().num_rows == 10


def test_writes_and_file_access_are_policy_errors(stored: MaritimeStore) -> None:
    part = stored.files("positions")[0]
    with pytest.raises(PolicyError, match="COPY statements are refused"):
        stored.sql(f"COPY (SELECT 1) TO '{part}'")
    with pytest.raises(PolicyError, match="file and network access is refused"):
        stored.sql("SELECT * FROM read_text('/etc/shadow')")


def test_reads_over_the_views_still_work(stored: MaritimeStore) -> None:
    assert stored.sql("SELECT count(*) AS n FROM positions")["n"].to_pylist() == [10]
    with_cte = "WITH p AS (SELECT mmsi FROM positions) SELECT count(DISTINCT mmsi) AS n FROM p"
    assert stored.sql(with_cte)["n"].to_pylist() == [1]
    assert stored.sql("SELECT count(*) AS n FROM vessels")["n"].to_pylist() == [1]
    assert stored.sql("SELECT count(*) AS n FROM rejects")["n"].to_pylist() == [0]
    assert stored.sql("DESCRIBE positions").num_rows > 10


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_sql_command_refuses_every_attack_with_exit_5(
    stored: MaritimeStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(stored.root.parent)]
    part = stored.files("positions")[0]
    before = part.read_bytes()
    for label, query in _attacks(stored, tmp_path):
        code, out, err = _run(capsys, *data, "sql", query)
        assert code == 5, (label, out, err)
        assert "root:" not in out + err and "Traceback" not in err, label
    assert part.read_bytes() == before
    code, out, _ = _run(capsys, *data, "sql", "SELECT count(*) AS n FROM positions", "--json")
    assert code == 0 and '"n": 10' in out
