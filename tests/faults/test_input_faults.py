"""Hostile input through real ``setu ingest`` processes, checked by exact counts in the store.

- a gzip file cut at 80% in a directory beside a good file: both kept, the cut file reported in
  ``skipped`` with its reason, exit 0; with ``--strict``, exit 3 after what was read is stored;
- CR-only line ends, a UTF-8 byte order mark, a NUL byte at the start (read alike in a directory
  and directly), a 50 MB first line: every line counted once, every good sentence stored;
- implausible receive times rejected as ``implausible_time`` with the raw line kept; an
  implausible ``--assume-time`` or a bad window setting is a usage error (exit 2).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from functools import reduce
from pathlib import Path
from typing import Any

import pytest

from setu.ingest.feeder import position_sentence
from setu.store import MaritimeStore

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ASSUME = "2024-03-01T12:00:00Z"


def _sentences(first: int, n: int) -> str:
    return "".join(position_sentence(i) + "\n" for i in range(first, first + n))


def _counts(data_dir: Path) -> dict[str, int]:
    return MaritimeStore(data_dir / "ais").counts()


def _ingest(run_setu: Callable[..., Any], data_dir: Path, *args: str | Path, **kw: Any) -> Any:
    result = run_setu("ingest", "--json", *args, data_dir=data_dir, **kw)
    assert result.rc == 0, str(result)
    return result.json()


def _tag(c: str) -> str:
    body = f"c:{c}"
    return f"\\{body}*{reduce(lambda a, ch: a ^ ord(ch), body, 0):02X}\\"


def test_truncated_gzip_beside_a_good_file(
    tmp_path: Path, run_setu: Callable[..., Any], data_dir: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(_sentences(1, 1000))
    whole = gzip.compress(_sentences(10_000, 50_000).encode(), compresslevel=1)
    (folder / "b.gz").write_bytes(whole[: int(len(whole) * 0.8)])
    summary = _ingest(run_setu, data_dir, folder, "--assume-time", ASSUME)
    stored = _counts(data_dir)["positions"]
    read_from_b = summary["lines"] - 1000
    assert 0.7 * 50_000 < read_from_b < 50_000
    # every whole line read from b.gz is stored; its cut-off last line (if any) is a reject
    assert stored == summary["stored"]["positions"] == summary["accepted"]["positions"]
    assert stored + sum(summary["rejected"].values()) == summary["lines"]
    assert stored >= 1000 + read_from_b - 1
    (skipped,) = summary["skipped"]
    assert skipped["path"] == str(folder / "b.gz")
    assert skipped["reason"].startswith("truncated or corrupt gzip")
    assert f"after {read_from_b:,} lines" in skipped["reason"]


def test_truncated_gzip_with_strict_stops_after_storing_what_was_read(
    tmp_path: Path, run_setu: Callable[..., Any], data_dir: Path
) -> None:
    path = tmp_path / "b.gz"
    whole = gzip.compress(_sentences(1, 50_000).encode(), compresslevel=1)
    path.write_bytes(whole[: int(len(whole) * 0.8)])
    result = run_setu("ingest", path, "--strict", "--assume-time", ASSUME, data_dir=data_dir)
    assert result.rc == 3, str(result)
    assert "truncated or corrupt gzip" in result.stderr
    assert 0.7 * 50_000 < _counts(data_dir)["positions"] < 50_000


def test_cr_only_file(tmp_path: Path, run_setu: Callable[..., Any], data_dir: Path) -> None:
    path = tmp_path / "cr.nmea"
    path.write_bytes(_sentences(1, 3000).replace("\n", "\r").encode())
    summary = _ingest(run_setu, data_dir, path, "--assume-time", ASSUME)
    assert summary["lines"] == summary["records"] == 3000
    assert summary["rejected"] == {} and _counts(data_dir)["positions"] == 3000


def test_byte_order_mark(tmp_path: Path, run_setu: Callable[..., Any], data_dir: Path) -> None:
    path = tmp_path / "bom.nmea"
    path.write_bytes(b"\xef\xbb\xbf" + _sentences(1, 100).encode())
    summary = _ingest(run_setu, data_dir, path, "--assume-time", ASSUME)
    assert summary["rejected"] == {} and _counts(data_dir)["positions"] == 100


def test_nul_at_the_start_reads_alike_in_a_directory_and_directly(
    tmp_path: Path, run_setu: Callable[..., Any]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    path = folder / "nul.nmea"
    path.write_bytes(b"\x00" + _sentences(1, 1000).encode())
    runs = {}
    for name, target in (("direct", path), ("walk", folder)):
        data_dir = tmp_path / f"data-{name}"
        runs[name] = _ingest(run_setu, data_dir, target, "--assume-time", ASSUME)
        assert _counts(data_dir)["positions"] == 999
    assert runs["walk"]["skipped"] == []
    assert runs["direct"]["rejected"] == runs["walk"]["rejected"] == {"not_nmea": 1}


def test_fifty_megabyte_first_line(
    tmp_path: Path, run_setu: Callable[..., Any], data_dir: Path
) -> None:
    path = tmp_path / "long.nmea"
    with path.open("wb") as out:
        out.write(b"x" * (50 * 1024 * 1024) + b"\n")
        out.write(_sentences(1, 500).encode())
    summary = _ingest(run_setu, data_dir, path, "--assume-time", ASSUME)
    assert summary["lines"] == 501
    assert summary["rejected"] == {"line_too_long": 1}
    assert _counts(data_dir)["positions"] == 500


def test_implausible_receive_times(
    tmp_path: Path, run_setu: Callable[..., Any], data_dir: Path
) -> None:
    path = tmp_path / "times.nmea"
    bad = ("0", "4102444800", "41024448000", "253402300800")
    good = ("1709294400", "1709294400500")
    lines = [_tag(c) + position_sentence(i) for i, c in enumerate((*bad, *good), 1)]
    path.write_text("\n".join(lines) + "\n")
    summary = _ingest(run_setu, data_dir, path)
    assert summary["rejected"] == {"implausible_time": 4}
    assert summary["first_received_at"] == "2024-03-01T12:00:00+00:00"
    assert summary["last_received_at"] == "2024-03-01T12:00:00.500000+00:00"
    counts = _counts(data_dir)
    assert (counts["positions"], counts["rejects"]) == (2, 4)


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (("--assume-time", "0001-01-01"), {}, "is not a plausible receive time"),
        ((), {"SETU_TIME_MIN": "someday"}, "SETU_TIME_MIN"),
        ((), {"SETU_TIME_MAX_AHEAD_S": "-5"}, "SETU_TIME_MAX_AHEAD_S"),
    ],
)
def test_implausible_assumed_time_or_window_is_a_usage_error(
    tmp_path: Path,
    run_setu: Callable[..., Any],
    data_dir: Path,
    args: tuple[str, ...],
    env: dict[str, str],
    says: str,
) -> None:
    path = tmp_path / "plain.nmea"
    path.write_text(_sentences(1, 10))
    result = run_setu("ingest", path, *args, data_dir=data_dir, env=env)
    assert result.rc == 2, str(result)
    assert says in result.stderr and "Traceback" not in result.stderr
    assert _counts(data_dir).get("positions", 0) == 0
