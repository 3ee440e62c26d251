"""CSV layouts: detection, mapping to the family tables, bad rows; real MarineCadastre/DMA files."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from setu.ais.schema import FAMILY_SCHEMAS
from setu.errors import SourceError
from setu.ingest import MemorySink, StdinSource, ingest, sources_for
from setu.ingest.csvformats import detect_layout, parse_csv

NOAA_HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass"
)
DMA_HEADER = (
    ",# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,"
    "Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,"
    "Type of position fixing device,Draught,Destination,ETA,Data source type"
)


def _parse(header: str, rows: list[str], first_line_no: int = 2):
    found = detect_layout(header.encode())
    assert found is not None
    layout, columns = found
    body = ("\n".join(rows) + "\n").encode()
    return parse_csv(layout, columns, body, first_line_no=first_line_no)


@pytest.mark.unit
def test_noaa_rows_map_to_positions_and_statics() -> None:
    rows = [
        "636021061,2023-01-11T00:00:00,26.09241,-80.04806,8.8,272.7,270.0,MSC NAISHA III,"
        "IMO9307839,5LCB4,70,8.0,208.0,30.0,8.0,70.0,A",
        "367000140,2023-01-11T00:00:05,40.64409,-74.07157,0.0,-60.6,511,,,,,,,,,,B",
    ]
    out = _parse(NOAA_HEADER, rows)
    pos = out.tables["positions"].to_pylist()
    assert out.tables["positions"].schema == FAMILY_SCHEMAS["positions"]
    assert [r["msg_type"] for r in pos] == [1, 18]
    assert pos[0]["received_at"] == datetime(2023, 1, 11, tzinfo=UTC)
    assert pos[0]["talker"] == "CSV" and pos[0]["line_no"] == 2 and pos[0]["checksum_ok"]
    assert pos[0]["lat"] == pytest.approx(26.09241) and pos[0]["lon"] == pytest.approx(-80.04806)
    assert pos[0]["sog_knots"] == pytest.approx(8.8) and pos[0]["heading_deg"] == 270
    assert pos[0]["nav_status"] == 8
    assert pos[1]["cog_deg"] == pytest.approx(299.4)  # negative COG wrapped
    assert pos[1]["heading_deg"] is None  # 511 = not available
    assert pos[0]["msg_hash"] != pos[1]["msg_hash"]
    statics = out.tables["statics"].to_pylist()
    assert len(statics) == 1  # the second row has no static field
    s = statics[0]
    assert (s["msg_type"], s["imo"], s["call_sign"], s["ship_name"]) == (
        5,
        9307839,
        "5LCB4",
        "MSC NAISHA III",
    )
    assert s["to_bow_m"] + s["to_stern_m"] == 208 and s["to_port_m"] + s["to_starboard_m"] == 30
    assert s["ship_type"] == 70 and s["draught_m"] == pytest.approx(8.0)


@pytest.mark.unit
def test_bad_rows_are_rejected_with_their_raw_line() -> None:
    good = "367752440,2023-01-11T00:00:00,43.07917,-70.75733,0.0,360.0,95.0,,,,,,,,,,A"
    rows = [
        good,
        "notanmmsi,2023-01-11T00:00:00,43.0,-70.7,0,0,0,,,,,,,,,,A",
        "367752440,yesterday,43.0,-70.7,0,0,0,,,,,,,,,,A",
        "367752440,2023-01-11T00:00:00,north,-70.7,0,0,0,,,,,,,,,,A",
        "367752440,2023-01-11T00:00:00,43.0",
        "",
        "1000000000,2023-01-11T00:00:00,43.0,-70.7,0,0,0,,,,,,,,,,A",
    ]
    out = _parse(NOAA_HEADER, rows, first_line_no=10)
    assert out.lines == 7 and out.blank == 1
    assert out.accepted_rows == 1 and out.rejected_rows == 5
    rejects = out.rejects.to_pylist()
    assert [r["line_no"] for r in rejects] == [11, 12, 13, 14, 16]
    assert {r["reason"] for r in rejects} == {"bad_csv_row"}
    assert rejects[0]["raw"] == rows[1]
    assert rejects[2]["received_at"] == datetime(2023, 1, 11, tzinfo=UTC)
    assert out.tables["positions"]["cog_deg"].to_pylist() == [None]  # 360 = not available


@pytest.mark.unit
def test_dma_rows_with_day_first_times_and_text_codes() -> None:
    rows = [
        "60,08/02/2018 00:00:00,Class A,265177000,57.602225,11.644943,Under way using engine,"
        "0.0,15.7,61.4,63.0,9234567,SJKL,NORDIC STAR,Cargo,,20,120,GPS,6.5,GOTEBORG,"
        "09/02/2018 13:30:00,AIS",
        "61,13/02/2018 10:20:30,Class B,219000001,55.1,12.1,Unknown value,,5.0,10.0,,Unknown,,,"
        "Undefined,,,,Undefined,,,,AIS",
        "62,13/02/2018 10:20:31,Base Station,2190068,55.5,12.5,Unknown value,,,,,Unknown,,,"
        "Undefined,,,,Surveyed,,,,AIS",
        "63,13/02/2018 10:20:32,AtoN,992191000,55.6,12.6,Unknown value,,,,,Unknown,,,"
        "Undefined,,,,GPS,,,,AIS",
        "64,13/02/2018 10:20:33,Spaceship,219000002,55.6,12.6,,,,,,,,,,,,,,,,,AIS",
    ]
    out = _parse(DMA_HEADER, rows)
    pos = out.tables["positions"].to_pylist()
    assert [(r["msg_type"], r["nav_status"]) for r in pos] == [(1, 0), (18, 15)]
    assert pos[1]["received_at"] == datetime(2018, 2, 13, 10, 20, 30, tzinfo=UTC)
    assert pos[0]["rot_deg_per_min"] == 0.0
    s = out.tables["statics"].to_pylist()[0]
    assert (s["imo"], s["ship_type"], s["epfd"], s["destination"]) == (9234567, 70, 1, "GOTEBORG")
    assert (s["eta_month"], s["eta_day"], s["eta_hour"], s["eta_minute"]) == (2, 9, 13, 30)
    base = out.tables["base_stations"].to_pylist()
    assert [(b["msg_type"], b["mmsi"], b["epfd"]) for b in base] == [(4, 2190068, 7)]
    other = out.tables["other"].to_pylist()
    assert [o["msg_type"] for o in other] == [21]
    assert '"lat": 55.6' in other[0]["fields_json"]
    assert [r["line_no"] for r in out.rejects.to_pylist()] == [6]


@pytest.mark.unit
def test_quoted_fields_and_crlf() -> None:
    found = detect_layout(NOAA_HEADER.encode())
    assert found is not None
    quoted = '"367752440","2023-01-11T00:00:00","43.1","-70.7","1.0","10","20","A, B"'
    body = (quoted + ',"","","","","","","","","A"\r\n').encode() * 2
    out = parse_csv(*found, body, first_line_no=2)
    assert out.tables["statics"]["ship_name"].to_pylist() == ["A, B", "A, B"]
    assert out.tables["positions"]["line_no"].to_pylist() == [2, 3]


@pytest.mark.unit
def test_csv_on_stdin_counts_header_as_metadata() -> None:
    data = (NOAA_HEADER + "\n" + "367752440,2023-01-11T00:00:00,43.0,-70.7,,,,,,,,,,,,,\n").encode()
    sink = MemorySink()
    summary = ingest([StdinSource(io.BytesIO(data))], sink)
    assert (summary.lines, summary.metadata_lines, summary.messages) == (2, 1, 1)
    assert summary.balanced


@pytest.mark.unit
def test_unknown_layout_is_one_clear_error() -> None:
    data = b"sourcemmsi,navigationalstatus,rateofturn,lon,lat,t\n1,2,3,4,5,6\n"
    with pytest.raises(SourceError, match="unknown CSV layout"):
        ingest([StdinSource(io.BytesIO(data))], MemorySink())


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("name", "rows", "statics"),
    [
        ("aisdb/test_data_noaa_20230101.csv", 1000, 1000),
        ("tracktable/NYHarbor_2020_06_30_first_hour.csv", 8689, 7885),
        ("tracktable/NYHarbor_2020_12_08.csv", 9091, 0),
        ("mobiml/test_aisdk_20180208_sample.csv", 10, 0),
    ],
)
def test_real_csv_files(ais_data: Path, name: str, rows: int, statics: int) -> None:
    sink = MemorySink()
    summary = ingest(sources_for(paths=[str(ais_data / name)]), sink, chunk_bytes=64 * 1024)
    assert summary.accepted["positions"] == rows
    assert summary.accepted.get("statics", 0) == statics
    assert summary.rejected == {}
    assert summary.balanced and summary.lines == rows + 1
    positions = sink.table("positions")
    assert positions["received_at"].null_count == 0
    assert positions["lat"].null_count == 0
    assert positions["line_no"].to_pylist() == list(range(2, rows + 2))


@pytest.mark.realdata
def test_virginia_beach_track_span(ais_data: Path) -> None:
    path = ais_data / "tracktable" / "VirginiaBeach_2020_06_04_to_06_filtered.csv"
    summary = ingest(sources_for(paths=[str(path)]), MemorySink())
    assert summary.messages == 39_822 and summary.vessels == 84  # as the data manifest says
    assert summary.first_received_at == datetime(2020, 6, 4, 3, 7, 16, tzinfo=UTC)


@pytest.mark.realdata
def test_aisdb_decoded_csv_is_refused_clearly(ais_data: Path) -> None:
    with pytest.raises(SourceError, match="unknown CSV layout"):
        sources_for(paths=[str(ais_data / "aisdb" / "test_data_20210701.csv")])


ROW = "366000001,2024-03-01T12:00:00,10.0,20.0,1,2,3,,,,,,,,,,A"


@pytest.mark.unit
@pytest.mark.parametrize("chunk_bytes", [len(NOAA_HEADER) + 1, len(NOAA_HEADER) + 2, 10])
def test_csv_header_ending_where_the_first_block_ends_still_reads_the_rows(
    chunk_bytes: int,
) -> None:
    """Regression (found by the fuzz test): when the header line filled the first block exactly,
    the rest of the file was never read; with blocks shorter than the header, the CSV was not
    recognised and every row became a reject."""
    data = f"{NOAA_HEADER}\r\n{ROW}\n{ROW.replace('366000001', '366000002')}\n".encode()
    summary = ingest([StdinSource(io.BytesIO(data))], MemorySink(), chunk_bytes=chunk_bytes)
    assert summary.accepted["positions"] == 2 and summary.lines == 3 and summary.balanced


@pytest.mark.unit
@pytest.mark.parametrize(
    "stray", ['366000009,"open,10.0', '366000009,a"b,10.0', '366000009,"b"c,10.0']
)
def test_row_with_a_stray_quote_is_a_bad_row_not_a_crash(stray: str) -> None:
    """Regression (found by the fuzz test): a stray quote made Polars raise and the ingest crash."""
    row = stray + ",20.0,1,2,3,,,,,,,,,,A"
    chunk = _parse(NOAA_HEADER, [ROW, row, ROW.replace("366000001", "366000002")])
    assert chunk.accepted_rows == 2 and chunk.rejected_rows == 1
    assert chunk.rejects.to_pylist()[0]["raw"] == row
    assert chunk.rejects.to_pylist()[0]["reason"] == "bad_csv_row"


@pytest.mark.unit
def test_header_candidate_longer_than_the_limit_is_not_a_header() -> None:
    assert detect_layout(("MMSI,BaseDateTime,LAT,LON," + "x" * 200_000).encode()) is None
    assert detect_layout(b"MMSI,BaseDateTime,LAT,LON\r,x") is None  # a break inside: not a line
