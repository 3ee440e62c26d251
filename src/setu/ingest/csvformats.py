"""CSV layouts of decoded AIS (NOAA MarineCadastre, DMA ``aisdk``) mapped to the family tables.

A layout is recognised from the header line (:func:`detect_layout`). Each chunk of whole data
lines is parsed with Polars (all columns as text, then vectorised lenient casts) and mapped to
the ``positions`` and ``statics`` tables of :mod:`setu.ais.schema` (and ``base_stations`` /
``other`` for DMA base-station, AtoN and SAR rows):

- ``msg_type``: 1 for class A rows (and rows without a class), 18 for class B; the static row of
  the same line is type 5 (class A) or 24 (class B, ``part_num`` null: a CSV row merges both
  parts). A static row is emitted only when the line carries some static field.
- ``talker`` "CSV", ``repeat`` 0, ``checksum_ok`` true, ``msg_hash`` FNV-1a 64 of the raw line.
- Length and width are split evenly into bow/stern and port/starboard (the CSVs only give the
  totals, which the split preserves).
- "Not available" conventions become null as in the data contract: heading 511 (or any value
  outside 0..359), SOG 102.3 and above, COG 360 and above, latitude outside ±90, longitude outside
  ±180. Negative COG (seen in MarineCadastre exports) is wrapped into 0..360.

A row is rejected as ``bad_csv_row`` (raw line kept) when its MMSI is not an integer in
1..999999999, its time does not parse, a numeric field holds text, or its field count is wrong;
as ``implausible_time`` when its time lies outside the receive-time window; lines longer than
the limit are ``line_too_long``; empty lines are ignored. Lines end at ``\\n``, ``\\r\\n`` or a
lone ``\\r`` (:func:`setu.ais.sentences.count_lines`). A header is at most
:data:`MAX_HEADER_BYTES` long; a longer first line is not a CSV header.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa
from numba import njit

from setu.ais.batch import REJECT_SCHEMA
from setu.ais.reasons import Reason
from setu.ais.schema import FAMILY_SCHEMAS

__all__ = [
    "LAYOUTS",
    "MAX_HEADER_BYTES",
    "CsvChunk",
    "CsvLayout",
    "detect_layout",
    "looks_like_csv",
    "parse_csv",
]

_TIME = pa.timestamp("us", tz="UTC")
#: The longest line taken for a CSV header (the known layouts' headers are under 400 bytes).
MAX_HEADER_BYTES = 4096


@dataclass(frozen=True)
class CsvLayout:
    """A known CSV layout: canonical field -> normalised header name, and the time format."""

    name: str
    title: str
    fields: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]
    time_format: str
    eta_format: str | None = None


def _norm(name: str) -> str:
    return name.strip().strip('"').lstrip("#").strip().lower()


NOAA = CsvLayout(
    name="noaa",
    title="NOAA MarineCadastre AIS CSV",
    fields={
        "mmsi": ("mmsi",),
        "time": ("basedatetime",),
        "lat": ("lat",),
        "lon": ("lon",),
        "sog": ("sog",),
        "cog": ("cog",),
        "heading": ("heading",),
        "ship_name": ("vesselname",),
        "imo": ("imo",),
        "call_sign": ("callsign",),
        "ship_type": ("vesseltype",),
        "nav_status": ("status",),
        "length": ("length",),
        "width": ("width",),
        "draught": ("draft",),
        "cls": ("transceiverclass", "transcieverclass"),
        "eta": ("eta",),
    },
    required=("mmsi", "time", "lat", "lon"),
    time_format="%Y-%m-%dT%H:%M:%S",
    eta_format="%Y-%m-%dT%H:%M:%S",
)

DMA = CsvLayout(
    name="dma_aisdk",
    title="Danish Maritime Authority aisdk CSV",
    fields={
        "time": ("timestamp",),
        "cls": ("type of mobile",),
        "mmsi": ("mmsi",),
        "lat": ("latitude",),
        "lon": ("longitude",),
        "nav_status_text": ("navigational status",),
        "rot": ("rot",),
        "sog": ("sog",),
        "cog": ("cog",),
        "heading": ("heading",),
        "imo": ("imo",),
        "call_sign": ("callsign",),
        "ship_name": ("name",),
        "ship_type_text": ("ship type",),
        "width": ("width",),
        "length": ("length",),
        "epfd_text": ("type of position fixing device",),
        "draught": ("draught",),
        "destination": ("destination",),
        "eta": ("eta",),
    },
    required=("time", "cls", "mmsi", "lat", "lon"),
    time_format="%d/%m/%Y %H:%M:%S",
    eta_format="%d/%m/%Y %H:%M:%S",
)

LAYOUTS: tuple[CsvLayout, ...] = (NOAA, DMA)

_NUMERIC = ("lat", "lon", "sog", "cog", "heading", "rot", "length", "width", "draught")
_NUMERIC_CODES = ("nav_status", "ship_type")
_STATIC_FIELDS = ("ship_name", "imo", "call_sign", "ship_type", "length", "width", "draught")

# ITU-R M.1371-5 Table 45 (navigational status) in the wording of the DMA aisdk export.
_NAV_STATUS = {
    "under way using engine": 0,
    "at anchor": 1,
    "not under command": 2,
    "restricted manoeuverability": 3,
    "restricted maneuverability": 3,
    "restricted manoeuvrability": 3,
    "constrained by her draught": 4,
    "moored": 5,
    "aground": 6,
    "engaged in fishing": 7,
    "under way sailing": 8,
    "reserved for future amendment [hsc]": 9,
    "reserved for future amendment [wig]": 10,
    "power-driven vessel towing astern": 11,
    "power-driven vessel pushing ahead or towing alongside": 12,
    "reserved for future use": 13,
    "ais-sart": 14,
    "unknown value": 15,
}
# DMA ship type categories -> the first code of the ITU-R M.1371-5 Table 53 category.
_SHIP_TYPE = {
    "wig": 20,
    "fishing": 30,
    "towing": 31,
    "towing long/wide": 32,
    "dredging": 33,
    "diving": 34,
    "military": 35,
    "sailing": 36,
    "pleasure": 37,
    "hsc": 40,
    "pilot": 50,
    "sar": 51,
    "tug": 52,
    "port tender": 53,
    "anti-pollution": 54,
    "law enforcement": 55,
    "medical": 58,
    "not party to conflict": 59,
    "passenger": 60,
    "cargo": 70,
    "tanker": 80,
    "other": 90,
}
# ITU-R M.1371-5 Table 46 (type of electronic position fixing device).
_EPFD = {
    "gps": 1,
    "glonass": 2,
    "combined gps/glonass": 3,
    "loran-c": 4,
    "chayka": 5,
    "integrated navigation system": 6,
    "surveyed": 7,
    "galileo": 8,
}
# Row kinds: class text (lower case) -> (kind, position msg_type, static msg_type).
_CLASSES: dict[str, tuple[str, int, int]] = {
    "": ("vessel", 1, 5),
    "a": ("vessel", 1, 5),
    "class a": ("vessel", 1, 5),
    "b": ("vessel", 18, 24),
    "class b": ("vessel", 18, 24),
    "base station": ("base", 4, 0),
    "aton": ("other", 21, 0),
    "sar airborne": ("other", 9, 0),
}


def detect_layout(header_line: bytes) -> tuple[CsvLayout, tuple[str, ...]] | None:
    """The layout and column names of a CSV header line, or None when it is not a known one."""
    if len(header_line) > MAX_HEADER_BYTES:
        return None
    text = header_line.decode("utf-8", "replace").lstrip("\ufeff").strip("\r\n")
    try:
        names = tuple(next(csv.reader([text]), []))
    except csv.Error:  # a break or NUL inside the line: not a header
        return None
    normalised = {_norm(n) for n in names}
    for layout in LAYOUTS:
        if all(any(a in normalised for a in layout.fields[f]) for f in layout.required):
            return layout, names
    return None


def looks_like_csv(header_line: bytes) -> bool:
    """A header-like line: several comma-separated names, not an NMEA sentence."""
    text = header_line.decode("utf-8", "replace").strip()
    if not text or text[0] in "!$\\" or text.count(",") < 3:
        return False
    names = [_norm(n) for n in text.split(",")]
    return sum(bool(n) and n.replace("_", " ").replace(" ", "").isalpha() for n in names) >= 3


@dataclass(frozen=True)
class CsvChunk:
    """One parsed chunk: family tables, rejects and line counters."""

    tables: dict[str, pa.Table]
    rejects: pa.Table
    lines: int
    blank: int
    accepted_rows: int
    rejected_rows: int


@njit(cache=True, nogil=True)
def _fnv1a(
    data: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:  # pragma: no cover
    """FNV-1a 64 of ``data[starts[i]:ends[i]]`` for every i."""
    out = np.empty(len(starts), np.uint64)
    for i in range(len(starts)):
        h = np.uint64(0xCBF29CE484222325)
        for j in range(starts[i], ends[i]):
            h = (h ^ np.uint64(data[j])) * np.uint64(0x100000001B3)
        out[i] = h
    return out


@dataclass(frozen=True)
class _Lines:
    data: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    def text(self, i: int) -> str:
        return bytes(self.data[self.starts[i] : self.ends[i]]).decode("utf-8", "replace")


def _split_lines(buf: bytes) -> _Lines:
    if b"\r" in buf:
        buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if buf and not buf.endswith(b"\n"):
        buf += b"\n"
    data = np.frombuffer(buf, np.uint8)
    ends = np.flatnonzero(data == 0x0A)
    starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64) if len(ends) else ends
    return _Lines(data, starts, ends.astype(np.int64))


def _field_counts(lines: _Lines) -> np.ndarray:
    commas = np.concatenate([[0], np.cumsum(lines.data == 0x2C)])
    counts = commas[lines.ends] - commas[lines.starts] + 1
    quotes = np.concatenate([[0], np.cumsum(lines.data == 0x22)])
    quoted = np.flatnonzero(quotes[lines.ends] > quotes[lines.starts])
    for i in quoted.tolist():
        try:
            counts[i] = len(next(csv.reader([lines.text(i)]), []))
        except csv.Error:  # a field over the csv module's limit: the row is refused
            counts[i] = -1
    return counts


def parse_csv(
    layout: CsvLayout,
    columns: tuple[str, ...],
    buf: bytes,
    *,
    first_line_no: int,
    max_line_bytes: int = 4096,
    time_window: tuple[int, int] | None = None,
) -> CsvChunk:
    """Parse the whole data lines in ``buf`` (no header) into family tables and rejects.

    ``time_window`` is (earliest, latest) in µs; rows timed outside it are IMPLAUSIBLE_TIME.
    """
    lines = _split_lines(buf)
    n = len(lines.starts)
    line_nos = np.arange(first_line_no, first_line_no + n, dtype=np.int64)
    lengths = lines.ends - lines.starts
    blank = lengths == 0
    too_long = lengths > max_line_bytes
    wrong_count = ~blank & ~too_long & (_field_counts(lines) != len(columns))
    good = ~blank & ~too_long & ~wrong_count
    frame, unreadable = _read_rows(lines, np.flatnonzero(good), columns)
    wrong_count[unreadable] = True
    idx = np.flatnonzero(good & ~wrong_count)
    values = _canonical(layout, columns, frame)
    hashes = _fnv1a(lines.data, lines.starts[idx], lines.ends[idx])
    values = values.with_columns(
        pl.Series("line_no", line_nos[idx]), pl.Series("msg_hash", hashes, pl.UInt64)
    )
    bad = values.get_column("bad").to_numpy()
    outside = _outside(values, time_window)
    odd = outside & ~bad
    ok_rows = values.filter(pl.Series(~bad & ~odd))
    bad_idx = np.sort(np.concatenate([idx[bad], np.flatnonzero(wrong_count)]))
    bad_times = values.filter(pl.Series(bad & ~outside)).select("line_no", "time")
    rejects = _rejects(
        lines,
        line_nos,
        [
            (bad_idx, Reason.BAD_CSV_ROW),
            (np.flatnonzero(too_long), Reason.LINE_TOO_LONG),
            (idx[odd], Reason.IMPLAUSIBLE_TIME),
        ],
        bad_times,
    )
    return CsvChunk(
        tables=_family_tables(ok_rows),
        rejects=rejects,
        lines=n,
        blank=int(blank.sum()),
        accepted_rows=ok_rows.height,
        rejected_rows=rejects.num_rows,
    )


def _outside(values: pl.DataFrame, time_window: tuple[int, int] | None) -> np.ndarray:
    """Rows whose time lies outside ``time_window`` (µs)."""
    if time_window is None or not values.height:
        return np.zeros(values.height, np.bool_)
    t_us = values.get_column("time").dt.epoch("us")
    lo, hi = time_window
    return ((t_us < lo) | (t_us > hi)).fill_null(False).to_numpy()


def _read_rows(
    lines: _Lines, idx: np.ndarray, columns: tuple[str, ...]
) -> tuple[pl.DataFrame, np.ndarray]:
    """The rows of the lines ``idx``, and those of ``idx`` that are not one CSV record each
    (a stray quote, say): found by halving the lines until the culprits are alone."""
    try:
        frame = _read_lines(lines, idx, columns)
        if frame.height == len(idx):
            return frame, np.zeros(0, np.int64)
    except pl.exceptions.PolarsError:
        pass
    if len(idx) <= 1:
        return _read_lines(lines, idx[:0], columns), idx
    mid = len(idx) // 2
    head, bad_head = _read_rows(lines, idx[:mid], columns)
    tail, bad_tail = _read_rows(lines, idx[mid:], columns)
    return pl.concat([head, tail]), np.concatenate([bad_head, bad_tail])


def _read_lines(lines: _Lines, idx: np.ndarray, columns: tuple[str, ...]) -> pl.DataFrame:
    names = [f"c{i}" for i in range(len(columns))]
    if not len(idx):
        return pl.DataFrame({c: pl.Series([], dtype=pl.String) for c in names})
    if len(idx) == len(lines.starts):
        body = lines.data
    else:
        lengths = lines.ends[idx] - lines.starts[idx] + 1
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        gather = np.repeat(lines.starts[idx] - offsets, lengths) + np.arange(lengths.sum())
        body = lines.data[gather]
    return pl.read_csv(
        io.BytesIO(body.tobytes()),
        has_header=False,
        new_columns=names,
        infer_schema=False,
        quote_char='"',
    )


def _column(layout: CsvLayout, columns: tuple[str, ...], name: str) -> str | None:
    normalised = [_norm(c) for c in columns]
    for alias in layout.fields.get(name, ()):
        if alias in normalised:
            return f"c{normalised.index(alias)}"
    return None


def _text(layout: CsvLayout, columns: tuple[str, ...], name: str) -> pl.Expr:
    col = _column(layout, columns, name)
    if col is None:
        return pl.lit(None, pl.String)
    stripped = pl.col(col).str.strip_chars()
    return pl.when(stripped == "").then(None).otherwise(stripped)


def _lookup(expr: pl.Expr, table: Mapping[str, int]) -> pl.Expr:
    return expr.str.to_lowercase().replace_strict(table, default=None, return_dtype=pl.Int64)


def _canonical(layout: CsvLayout, columns: tuple[str, ...], frame: pl.DataFrame) -> pl.DataFrame:
    """Canonical typed columns plus ``bad`` (row must be rejected) for every row."""
    text = {f: _text(layout, columns, f) for f in layout.fields}
    exprs: dict[str, pl.Expr] = {}
    bad = pl.lit(False)
    for f in (*_NUMERIC, *_NUMERIC_CODES):
        if f in text:
            exprs[f] = text[f].cast(pl.Float64, strict=False)
            bad = bad | (text[f].is_not_null() & exprs[f].is_null())
    exprs["mmsi"] = text["mmsi"].cast(pl.Float64, strict=False)
    exprs["time"] = text["time"].str.to_datetime(
        layout.time_format, time_unit="us", time_zone="UTC", strict=False
    )
    imo = text["imo"].str.to_uppercase().str.strip_prefix("IMO").str.strip_chars()
    exprs["imo"] = imo.cast(pl.Int64, strict=False)
    if layout.eta_format and "eta" in text:
        exprs["eta"] = text["eta"].str.to_datetime(
            layout.eta_format, time_unit="us", time_zone="UTC", strict=False
        )
    if "nav_status_text" in text:
        exprs["nav_status"] = _lookup(text["nav_status_text"], _NAV_STATUS).cast(pl.Float64)
    if "ship_type_text" in text:
        exprs["ship_type"] = _lookup(text["ship_type_text"], _SHIP_TYPE).cast(pl.Float64)
    if "epfd_text" in text:
        exprs["epfd"] = _lookup(text["epfd_text"], _EPFD)
    cls = pl.coalesce(text["cls"].str.to_lowercase(), pl.lit("")) if "cls" in text else pl.lit("")
    exprs["cls"] = cls
    for f in ("ship_name", "call_sign", "destination"):
        exprs[f] = text.get(f, pl.lit(None, pl.String))
    mmsi = exprs["mmsi"]
    mmsi_ok = mmsi.is_not_null() & (mmsi == mmsi.floor()) & (mmsi >= 1) & (mmsi <= 999_999_999)
    bad = bad | ~mmsi_ok | exprs["time"].is_null() | ~cls.is_in(list(_CLASSES))
    out = frame.select(**exprs, bad=bad)
    return out.with_columns(pl.col("bad").fill_null(True))


def _range(expr: pl.Expr, lo: float, hi: float, *, hi_open: bool = False) -> pl.Expr:
    inside = (expr >= lo) & ((expr < hi) if hi_open else (expr <= hi))
    return pl.when(inside).then(expr).otherwise(None)


def _common(rows: pl.DataFrame, msg_type: pl.Expr) -> dict[str, pl.Expr]:
    return {
        "received_at": pl.col("time"),
        "mmsi": pl.col("mmsi").cast(pl.UInt32),
        "msg_type": msg_type.cast(pl.UInt8),
        "repeat": pl.lit(0, pl.UInt8),
        "station": pl.lit(None, pl.String),
        "channel": pl.lit(None, pl.String),
        "talker": pl.lit("CSV"),
        "line_no": pl.col("line_no"),
        "checksum_ok": pl.lit(True),
        "msg_hash": pl.col("msg_hash"),
    }


def _class_col(which: int) -> pl.Expr:
    table = {k: v[which] for k, v in _CLASSES.items()}
    return pl.col("cls").replace_strict(table, default=0, return_dtype=pl.Int64)


def _kind() -> pl.Expr:
    table = {k: v[0] for k, v in _CLASSES.items()}
    return pl.col("cls").replace_strict(table, default="other", return_dtype=pl.String)


def _positions(rows: pl.DataFrame) -> pl.DataFrame:
    cog = pl.when(pl.col("cog") < 0).then(pl.col("cog") + 360).otherwise(pl.col("cog"))
    rot = pl.col("rot") if "rot" in rows.columns else pl.lit(None, pl.Float64)
    return rows.select(
        **_common(rows, _class_col(1)),
        nav_status=_range(pl.col("nav_status"), 0, 15),
        rot_deg_per_min=rot,
        sog_knots=_range(pl.col("sog"), 0, 102.3, hi_open=True),
        lon=_range(pl.col("lon"), -180, 180),
        lat=_range(pl.col("lat"), -90, 90),
        cog_deg=_range(cog, 0, 360, hi_open=True),
        heading_deg=_range(pl.col("heading"), 0, 360, hi_open=True),
    )


def _statics(rows: pl.DataFrame) -> pl.DataFrame:
    present = pl.any_horizontal(
        [pl.col(f).is_not_null() for f in _STATIC_FIELDS if f in rows.columns]
    )
    length = _range(pl.col("length"), 0, 1022)
    width = _range(pl.col("width"), 0, 126)
    eta = pl.col("eta") if "eta" in rows.columns else pl.lit(None, pl.Datetime("us", "UTC"))
    epfd = pl.col("epfd") if "epfd" in rows.columns else pl.lit(None, pl.Int64)
    dest = pl.col("destination") if "destination" in rows.columns else pl.lit(None, pl.String)
    return rows.filter(present).select(
        **_common(rows, _class_col(2)),
        imo=_range(pl.col("imo"), 0, 2**30 - 1),
        call_sign=pl.col("call_sign"),
        ship_name=pl.col("ship_name"),
        ship_type=_range(pl.col("ship_type"), 0, 255),
        to_bow_m=(length / 2).floor(),
        to_stern_m=length - (length / 2).floor(),
        to_port_m=(width / 2).floor(),
        to_starboard_m=width - (width / 2).floor(),
        epfd=epfd,
        eta_month=eta.dt.month(),
        eta_day=eta.dt.day(),
        eta_hour=eta.dt.hour(),
        eta_minute=eta.dt.minute(),
        draught_m=_range(pl.col("draught"), 0, 25.5),
        destination=dest,
    )


def _base_stations(rows: pl.DataFrame) -> pl.DataFrame:
    epfd = pl.col("epfd") if "epfd" in rows.columns else pl.lit(None, pl.Int64)
    return rows.select(
        **_common(rows, _class_col(1)),
        lon=_range(pl.col("lon"), -180, 180),
        lat=_range(pl.col("lat"), -90, 90),
        epfd=epfd,
    )


def _other(rows: pl.DataFrame) -> pl.DataFrame:
    keep = [c for c in rows.columns if c not in ("bad", "line_no", "msg_hash", "time", "mmsi")]
    texts = [
        json.dumps({k: v for k, v in r.items() if v is not None}, default=str, sort_keys=True)
        for r in rows.select(keep).to_dicts()
    ]
    return rows.select(**_common(rows, _class_col(1))).with_columns(
        fields_json=pl.Series(texts, dtype=pl.String)
    )


def _to_schema(frame: pl.DataFrame, family: str) -> pa.Table:
    schema = FAMILY_SCHEMAS[family]
    table = frame.to_arrow()
    n = table.num_rows
    arrays = []
    for f in schema:
        if f.name in table.column_names:
            arrays.append(table[f.name].combine_chunks().cast(f.type))
        else:
            arrays.append(pa.nulls(n, f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _family_tables(rows: pl.DataFrame) -> dict[str, pa.Table]:
    if "rot" not in rows.columns:
        rows = rows.with_columns(rot=pl.lit(None, pl.Float64))
    kind = rows.select(_kind()).to_series()
    vessels = rows.filter(kind == "vessel")
    tables = {
        "positions": _to_schema(_positions(vessels), "positions"),
        "statics": _to_schema(_statics(vessels), "statics"),
    }
    base = rows.filter(kind == "base")
    other = rows.filter(kind == "other")
    tables["base_stations"] = _to_schema(_base_stations(base), "base_stations")
    tables["other"] = _to_schema(_other(other), "other")
    return tables


def _rejects(
    lines: _Lines,
    line_nos: np.ndarray,
    groups: list[tuple[np.ndarray, Reason]],
    bad_times: pl.DataFrame,
) -> pa.Table:
    """Reject rows of the lines ``idx`` of each (idx, reason) group, in line order; the time of
    a bad row is kept when it parsed (an implausible time is not)."""
    times = dict(zip(bad_times["line_no"].to_list(), bad_times["time"].to_list(), strict=True))
    rows = [(int(i), reason) for idx, reason in groups for i in idx]
    rows.sort()
    return pa.table(
        {
            "line_no": pa.array([int(line_nos[i]) for i, _ in rows], pa.int64()),
            "reason": pa.array([r.value for _, r in rows], pa.string()),
            "raw": pa.array([lines.text(i) for i, _ in rows], pa.string()),
            "received_at": pa.array([times.get(int(line_nos[i])) for i, _ in rows], _TIME),
        },
        schema=REJECT_SCHEMA,
    )
