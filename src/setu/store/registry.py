"""The vessel registry: the latest identity of every MMSI and the history of its changes.

Built on demand from the store with DuckDB (fast on a month of traffic: one pass over the
statics and a grouped pass over positions). Type 24 part A (name) and part B (type, call sign,
dimensions) merge naturally because each field takes its latest non-null value on its own.

Columns of :func:`build_registry` (one row per MMSI):

======================  =====================================================================
mmsi                    Maritime Mobile Service Identity
mmsi_kind               ship, coast_station, aid_to_navigation, … (ITU-R M.585)
flag_iso2, flag         flag state from the MID (ITU MID table)
ship_name, call_sign    latest non-empty values
imo, imo_valid          IMO number and whether its check digit holds
ship_type, ship_type_text  ITU-R M.1371 Table 53 code and text
length_m, beam_m        from the reference-point dimensions (bow+stern, port+starboard)
destination, eta        latest destination and ETA (next occurrence after the report)
draught_m               latest static draught
first_seen, last_seen   first and last receive time over every message
positions, messages     position reports and all messages received
identity_changes        how many times name, call sign, IMO or ship type changed
======================  =====================================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from setu.store.dataset import MaritimeStore

IDENTITY_FIELDS = ("ship_name", "call_sign", "imo", "ship_type")

_LATEST = """
latest AS (
  SELECT mmsi,
    arg_max(ship_name, received_at) FILTER (WHERE ship_name IS NOT NULL) AS ship_name,
    arg_max(call_sign, received_at) FILTER (WHERE call_sign IS NOT NULL) AS call_sign,
    arg_max(imo, received_at) FILTER (WHERE imo IS NOT NULL AND imo > 0) AS imo,
    arg_max(ship_type, received_at) FILTER (WHERE ship_type IS NOT NULL AND ship_type > 0)
      AS ship_type,
    arg_max(to_bow_m::INTEGER + to_stern_m::INTEGER, received_at)
      FILTER (WHERE to_bow_m IS NOT NULL AND to_bow_m + to_stern_m > 0) AS length_m,
    arg_max(to_port_m::INTEGER + to_starboard_m::INTEGER, received_at)
      FILTER (WHERE to_port_m IS NOT NULL AND to_port_m + to_starboard_m > 0) AS beam_m,
    arg_max(destination, received_at) FILTER (WHERE destination IS NOT NULL) AS destination,
    arg_max(draught_m, received_at) FILTER (WHERE draught_m IS NOT NULL AND draught_m > 0)
      AS draught_m,
    arg_max({'month': eta_month, 'day': eta_day, 'hour': eta_hour, 'minute': eta_minute,
             'at': received_at}, received_at)
      FILTER (WHERE eta_month BETWEEN 1 AND 12 AND eta_day BETWEEN 1 AND 31) AS eta_parts,
    count(*) AS static_messages,
    min(received_at) AS s_first, max(received_at) AS s_last
  FROM statics GROUP BY mmsi
)"""

_CHANGES = """
changes AS (
  SELECT mmsi, count(*) AS identity_changes FROM ({history}) GROUP BY mmsi
)"""


def _history_sql() -> str:
    parts = []
    for name in IDENTITY_FIELDS:
        cond = f"{name} IS NOT NULL" + (
            " AND " + name + " > 0" if name in ("imo", "ship_type") else ""
        )
        parts.append(
            f"""SELECT mmsi, '{name}' AS field, prev::VARCHAR AS old_value,
                       val::VARCHAR AS new_value, received_at AS changed_at
                FROM (SELECT mmsi, received_at, {name} AS val,
                             lag({name}) OVER (PARTITION BY mmsi ORDER BY received_at) AS prev
                      FROM statics WHERE {cond})
                WHERE prev IS NOT NULL AND prev <> val"""
        )
    return " UNION ALL ".join(parts)


def identity_history(store: MaritimeStore, mmsi: int | None = None) -> pa.Table:
    """Every change of name, call sign, IMO or ship type: mmsi, field, old_value, new_value,
    changed_at — ordered by vessel and time."""
    from setu.store.query import arrow_of, connect

    con = connect(store)
    try:
        sql = f"SELECT * FROM ({_history_sql()})"
        params: list[int] = []
        if mmsi is not None:
            sql += " WHERE mmsi = ?"
            params.append(int(mmsi))
        return arrow_of(con, sql + " ORDER BY mmsi, changed_at, field", params)
    finally:
        con.close()


def build_registry(store: MaritimeStore) -> pa.Table:
    """One row per MMSI seen in any message, with its latest identity (columns: module doc)."""
    from setu.store.query import arrow_of, connect

    con = connect(store)
    sql = f"""
    WITH {_LATEST},
    {_CHANGES.format(history=_history_sql())},
    seen AS (
      SELECT mmsi, min(received_at) AS first_seen, max(received_at) AS last_seen,
             count(*) AS positions
      FROM positions GROUP BY mmsi
    ),
    base AS (
      SELECT mmsi, min(received_at) AS first_seen, max(received_at) AS last_seen,
             count(*) AS n FROM base_stations GROUP BY mmsi
      UNION ALL
      SELECT mmsi, min(received_at), max(received_at), count(*) FROM other GROUP BY mmsi
    ),
    ids AS (
      SELECT mmsi FROM seen UNION SELECT mmsi FROM latest UNION SELECT mmsi FROM base
    ),
    extra AS (
      SELECT mmsi, min(first_seen) AS first_seen, max(last_seen) AS last_seen, sum(n) AS n
      FROM base GROUP BY mmsi
    )
    SELECT ids.mmsi::UINTEGER AS mmsi,
           l.ship_name, l.call_sign, l.imo::UINTEGER AS imo, l.ship_type::UTINYINT AS ship_type,
           l.length_m::USMALLINT AS length_m, l.beam_m::USMALLINT AS beam_m,
           l.destination, l.draught_m, l.eta_parts,
           least(s.first_seen, l.s_first, e.first_seen) AS first_seen,
           greatest(s.last_seen, l.s_last, e.last_seen) AS last_seen,
           coalesce(s.positions, 0)::BIGINT AS positions,
           (coalesce(s.positions, 0) + coalesce(l.static_messages, 0) + coalesce(e.n, 0))::BIGINT
             AS messages,
           coalesce(c.identity_changes, 0)::BIGINT AS identity_changes
    FROM ids
    LEFT JOIN latest l USING (mmsi)
    LEFT JOIN seen s USING (mmsi)
    LEFT JOIN extra e USING (mmsi)
    LEFT JOIN changes c USING (mmsi)
    ORDER BY mmsi
    """
    try:
        table = arrow_of(con, sql)
    finally:
        con.close()
    return _enrich(table)


def _enrich(table: pa.Table) -> pa.Table:
    """Add flag, MMSI kind, IMO validity, ship type text and ETA timestamp (vectorised)."""
    from setu.ais.identity import imo_valid_array, mmsi_kinds
    from setu.ais.mid import flags_of
    from setu.ais.shiptypes import ship_type_texts

    mmsi = table["mmsi"].combine_chunks()
    flags = flags_of(mmsi)
    out = table.drop_columns(["eta_parts"])
    out = out.add_column(1, "mmsi_kind", mmsi_kinds(mmsi))
    out = out.add_column(2, "flag_iso2", flags["flag_iso2"])
    out = out.add_column(3, "flag", flags["flag"])
    imo = out["imo"].combine_chunks()
    at = out.schema.get_field_index("imo") + 1
    out = out.add_column(at, "imo_valid", pc.if_else(pc.is_null(imo), None, imo_valid_array(imo)))
    at = out.schema.get_field_index("ship_type") + 1
    out = out.add_column(at, "ship_type_text", ship_type_texts(out["ship_type"].combine_chunks()))
    at = out.schema.get_field_index("destination") + 1
    return out.add_column(at, "eta", _eta(table["eta_parts"].combine_chunks()))


def _eta(parts: pa.Array) -> pa.Array:
    """The ETA as a UTC timestamp: the first occurrence of month/day/hour/minute that is not more
    than 30 days before the report (AIS ETA has no year)."""
    from datetime import UTC, datetime, timedelta

    out: list[datetime | None] = []
    for item in parts.to_pylist():
        if item is None:
            out.append(None)
            continue
        at: datetime = item["at"]
        hour = item["hour"] if item["hour"] is not None and item["hour"] < 24 else 0
        minute = item["minute"] if item["minute"] is not None and item["minute"] < 60 else 0
        value = None
        for year in (at.year, at.year + 1):
            try:
                candidate = datetime(year, item["month"], item["day"], hour, minute, tzinfo=UTC)
            except ValueError:
                continue
            if candidate >= at - timedelta(days=30):
                value = candidate
                break
        out.append(value)
    return pa.array(out, pa.timestamp("us", tz="UTC"))
