"""The maritime commands end to end in-process: ingest, vessels, positions, rejects, sql, decode."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from setu.cli import main
from setu.ingest.feeder import armour, nmea_checksum, position_sentence

pytestmark = pytest.mark.unit


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _tagged(line: str, unix_s: int, station: str = "rx1") -> str:
    body = f"s:{station},c:{unix_s}"
    return f"\\{body}*{nmea_checksum(body)}\\{line}"


def _static_sentences(mmsi: int, name: str) -> list[str]:
    """A two-part type 5 for ``mmsi`` (IMO 9074729, cargo, 100 m) as NMEA lines."""

    def u(v: int, w: int) -> str:
        return format(v, f"0{w}b")

    def text(s: str, chars: int) -> str:
        s = s.ljust(chars, "@")[:chars]
        return "".join(u((ord(c) - 64) if ord(c) >= 64 else ord(c), 6) for c in s)

    bits = (
        u(5, 6) + u(0, 2) + u(mmsi, 30) + u(0, 2) + u(9074729, 30) + text("JA1234", 7)
        + text(name, 20) + u(70, 8) + u(80, 9) + u(20, 9) + u(8, 6) + u(8, 6) + u(1, 4)
        + u(3, 4) + u(14, 5) + u(12, 5) + u(30, 6) + u(85, 8) + text("MUMBAI", 20)
        + u(0, 1) + u(0, 1)
    )  # fmt: skip
    payload, fill = armour(bits)
    half = len(payload) // 2
    parts = [(payload[:half], 0), (payload[half:], fill)]
    out = []
    for i, (chunk, f) in enumerate(parts, start=1):
        body = f"AIVDM,2,{i},7,A,{chunk},{f}"
        out.append(f"!{body}*{nmea_checksum(body)}")
    return out


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    """200 tagged position reports, one vessel's static report, and three bad lines."""
    t0 = 1_767_225_600  # 2026-01-01T00:00:00Z
    lines = [_tagged(position_sentence(i), t0 + i) for i in range(200)]
    lines += [_tagged(s, t0 + 300) for s in _static_sentences(419_000_001, "SETU TEST")]
    lines += ["garbage line", "!AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,0*00", "$GPGGA,1*00"]
    path = tmp_path / "feed.nmea"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_ingest_prints_a_balanced_summary_and_is_idempotent(
    capsys: pytest.CaptureFixture[str], data_dir: Path, feed: Path
) -> None:
    code, out, _ = run(capsys, "--data-dir", str(data_dir), "ingest", str(feed), "--json")
    assert code == 0
    first = json.loads(out)
    assert first["accepted"] == {"positions": 200, "statics": 1}
    assert first["stored"]["positions"] == 200
    assert (
        first["records"]
        == (first["accepted_sentences"] + first["rejected_records"] + first["ignored"])
        + first["metadata_lines"]
    )
    assert sum(first["rejected"].values()) >= 2  # garbage and $GPGGA; the bad checksum is kept
    assert first["first_received_at"] == "2026-01-01T00:00:00+00:00"

    code, out, _ = run(capsys, "--data-dir", str(data_dir), "ingest", str(feed), "--json")
    again = json.loads(out)
    assert code == 0
    assert again["stored"].get("positions", 0) == 0
    assert again["duplicates"]["positions"] == 200


def test_ingest_table_summary_names_reasons(
    capsys: pytest.CaptureFixture[str], data_dir: Path, feed: Path
) -> None:
    code, out, _ = run(capsys, "--data-dir", str(data_dir), "ingest", str(feed))
    assert code == 0
    assert "Ingest summary" in out
    assert "not_nmea" in out
    assert "setu vessels" in out


def test_ingest_reads_gzip_and_assumes_time_for_untimed_files(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    plain = "\n".join(position_sentence(i) for i in range(50)) + "\n"
    gz = tmp_path / "untimed.nmea.gz"
    gz.write_bytes(gzip.compress(plain.encode()))
    code, out, _ = run(capsys, "--data-dir", str(data_dir), "ingest", str(gz), "--json")
    assert code == 0
    assert json.loads(out)["rejected"] == {"no_receive_time": 50}
    code, out, _ = run(
        capsys,
        *("--data-dir", str(data_dir), "ingest", str(gz), "--json"),
        *("--assume-time", "2026-02-01T00:00:00Z"),
    )
    assert json.loads(out)["accepted"] == {"positions": 50}


def test_vessels_positions_rejects_and_sql(
    capsys: pytest.CaptureFixture[str], data_dir: Path, feed: Path, tmp_path: Path
) -> None:
    d = ("--data-dir", str(data_dir))
    assert run(capsys, *d, "ingest", str(feed), "--json")[0] == 0

    code, out, _ = run(capsys, *d, "vessels", "--mmsi", "419000001", "--json")
    (vessel,) = [json.loads(x) for x in out.splitlines()]
    assert code == 0
    assert vessel["ship_name"] == "SETU TEST"
    assert vessel["flag_iso2"] == "IN"
    assert vessel["imo_valid"] is True
    assert vessel["ship_type_text"].lower().startswith("cargo")

    code, out, _ = run(capsys, *d, "vessels", "--flag", "in", "--sort", "positions", "--desc")
    assert code == 0
    assert "Vessels (1)" in out

    code, out, _ = run(capsys, *d, "positions", "--mmsi", "200000003", "--json")
    rows = [json.loads(x) for x in out.splitlines()]
    assert [r["mmsi"] for r in rows] == [200000003]
    assert rows[0]["sog_knots"] == 0.3  # float32 shown in its decoded decimal form

    geo = tmp_path / "p.geojson"
    code, _, _ = run(capsys, *d, "positions", "--format", "geojson", "--out", str(geo))
    features = json.loads(geo.read_text())["features"]
    assert code == 0
    assert len(features) == 200
    parquet = tmp_path / "p.parquet"
    assert run(capsys, *d, "positions", "--format", "parquet", "--out", str(parquet))[0] == 0
    assert pq.read_table(parquet).num_rows == 200
    code, out, _ = run(capsys, *d, "positions", "--bbox", "-170,-80,-169,-79", "--format", "csv")
    assert code == 0
    assert out.splitlines()[0].startswith('"received_at"')

    code, out, _ = run(capsys, *d, "rejects", "--summary", "--json")
    reasons = {json.loads(x)["reason"] for x in out.splitlines()}
    assert code == 0
    assert {"not_nmea", "not_ais"} <= reasons

    code, out, _ = run(capsys, *d, "sql", "SELECT count(*) AS n FROM positions", "--json")
    assert json.loads(out) == {"n": 200}


def test_decode_streams_json_lines_without_storing(
    capsys: pytest.CaptureFixture[str], data_dir: Path, feed: Path
) -> None:
    code, out, _ = run(capsys, "--data-dir", str(data_dir), "decode", str(feed), "--rejects")
    rows = [json.loads(x) for x in out.splitlines()]
    assert code == 0
    families = [r.get("family") for r in rows if "family" in r]
    assert families.count("positions") == 201  # decode needs no receive time
    assert sum(1 for r in rows if r.get("checksum_ok") is False) == 1  # kept, flagged
    assert families.count("statics") == 1
    assert sum(1 for r in rows if r.get("reject")) >= 2
    assert not (data_dir / "ais").exists()


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (("ingest",), 2, "give input"),
        (("ingest", "--tcp", "nohostport"), 2, "HOST:PORT"),
        (("ingest", "/no/such/file.nmea"), 2, "/no/such/file.nmea"),
        (("positions", "--bbox", "1,2,3"), 2, "--bbox"),
        (("positions", "--since", "yesterday"), 2, "ISO-8601"),
        (("vessels", "--sort", "colour"), 2, "--sort"),
        (("sql", "SELEKT 1"), 5, "SQL failed"),
    ],
)
def test_bad_usage_gets_a_clear_error_and_exit_code(
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
    argv: tuple[str, ...],
    code: int,
    message: str,
) -> None:
    got, _, err = run(capsys, "--data-dir", str(data_dir), *argv)
    assert got == code
    assert message in " ".join(err.split())


@pytest.mark.realdata
def test_every_real_recording_ingests_without_a_crash(
    capsys: pytest.CaptureFixture[str], data_dir: Path, ais_data: Path
) -> None:
    code, out, _ = run(
        capsys,
        *("--data-dir", str(data_dir), "ingest", str(ais_data), "--json"),
        *("--assume-time", "2020-01-01T00:00:00Z"),
    )
    summary = json.loads(out)
    assert code == 0
    assert summary["files_read"] >= 20
    assert summary["messages"] > 50_000
    parts = summary["accepted_sentences"] + summary["rejected_records"] + summary["ignored"]
    assert summary["records"] == parts + summary["metadata_lines"]


def test_csv_output_writes_nested_values_as_json(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    query = "SELECT [1, 2] AS mmsis, {'a': 1} AS detail, 'x' AS name"
    code, out, _ = run(capsys, "--data-dir", str(data_dir), "sql", query, "--format", "csv")
    assert code == 0
    assert out.splitlines()[1] == '"[1, 2]","{""a"": 1}","x"'
