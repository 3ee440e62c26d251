"""Settings, declared once.

Each setting has a name, a default, an environment variable and a help text, all in
:data:`SETTINGS`. :func:`load_settings` resolves them (explicit value > environment > default)
and validates them; nothing happens at import time (no directory is created until a store is
opened).

The data directory holds everything setu keeps on the embedded default:

- ``ais/``       the Parquet dataset (partitioned by day) queried with DuckDB
- ``setu.db``    the SQLite operational database (cooperation framework, ACSA ledger)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from setu.errors import ConfigError


@dataclass(frozen=True)
class SettingSpec:
    """Declaration of one setting."""

    name: str
    env: str
    help: str


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "data_dir",
        "SETU_DATA_DIR",
        "Directory holding the embedded store (Parquet + DuckDB) and the SQLite database. "
        "Default: $XDG_DATA_HOME/setu or ~/.local/share/setu.",
    ),
    SettingSpec(
        "database_url",
        "SETU_DATABASE_URL",
        "SQLAlchemy URL of the operational database (cooperation, ACSA). Default: SQLite file "
        "setu.db in the data directory. PostgreSQL: postgresql+psycopg://user:pw@host/db.",
    ),
    SettingSpec(
        "flush_interval_s",
        "SETU_FLUSH_INTERVAL_S",
        "Seconds an ingested row may wait in memory before it is written to the store (also "
        "what a crash can lose). A positive number; default: 2.",
    ),
    SettingSpec(
        "feed_idle_timeout_s",
        "SETU_FEED_IDLE_TIMEOUT_S",
        "Seconds a connected TCP feed may stay silent before it is closed and reconnected (a "
        "stalled feed or a half-open connection). 0 turns it off; default: 60.",
    ),
    SettingSpec(
        "udp_receive_buffer_bytes",
        "SETU_UDP_RECEIVE_BUFFER_BYTES",
        "Receive buffer asked of the kernel for a UDP feed, in bytes (capped by "
        "net.core.rmem_max unless setu may force it); datagrams arriving while it is full are "
        "dropped and counted. Default: 8388608 (8 MiB).",
    ),
    SettingSpec(
        "actor",
        "SETU_ACTOR",
        "Name recorded as 'who' on every change to operational records. Default: login name.",
    ),
    SettingSpec(
        "acsa_cash_days",
        "SETU_ACSA_CASH_DAYS",
        "Days to settle an ACSA order by cash reimbursement after invoicing. Default: 30.",
    ),
    SettingSpec(
        "acsa_replacement_days",
        "SETU_ACSA_REPLACEMENT_DAYS",
        "Days to settle an ACSA order by replacement-in-kind. Default: 365.",
    ),
    SettingSpec(
        "acsa_exchange_days",
        "SETU_ACSA_EXCHANGE_DAYS",
        "Days to settle an ACSA order by equal-value exchange. Default: 365.",
    ),
    SettingSpec(
        "time_min",
        "SETU_TIME_MIN",
        "Earliest plausible AIS receive time (ISO-8601 date or time, UTC); earlier times in the "
        "input are rejected as implausible_time. Default: 1990-01-01.",
    ),
    SettingSpec(
        "time_max_ahead_s",
        "SETU_TIME_MAX_AHEAD_S",
        "Seconds a receive time may lie ahead of the clock; later times are rejected as "
        "implausible_time. Default: 86400 (one day).",
    ),
    SettingSpec(
        "equivalence_table",
        "SETU_EQUIVALENCE_TABLE",
        "TOML file replacing the shipped India–Japan equivalence table of classification "
        "levels (setu/security/equivalence.toml, a proposal from public texts). Default: shipped.",
    ),
)


#: Default of the ``flush_interval_s`` setting (seconds).
DEFAULT_FLUSH_INTERVAL_S = 2.0


def parse_flush_interval_s(raw: str | float) -> float:
    """A valid ``flush_interval_s`` (finite, > 0) from text or a number, or a ConfigError."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = float("nan")
    if not (0.0 < value < float("inf")):
        raise ConfigError(
            f"flush interval {raw!r} is not a positive number of seconds; "
            "set SETU_FLUSH_INTERVAL_S to e.g. 2"
        )
    return value


#: Default of ``feed_idle_timeout_s`` (the reason is in :mod:`setu.ingest.live`).
DEFAULT_FEED_IDLE_TIMEOUT_S = 60.0
#: Default of ``udp_receive_buffer_bytes`` (the reason is in :mod:`setu.ingest.udp`).
DEFAULT_UDP_RECEIVE_BUFFER_BYTES = 8 * 1024 * 1024


def _feed_settings(env: Mapping[str, str]) -> tuple[float, int]:
    """The live-feed settings from the environment, validated: (idle timeout s, UDP buffer)."""
    raw_idle = env.get("SETU_FEED_IDLE_TIMEOUT_S", "")
    raw_buffer = env.get("SETU_UDP_RECEIVE_BUFFER_BYTES", "")
    try:
        idle_s = float(raw_idle) if raw_idle else DEFAULT_FEED_IDLE_TIMEOUT_S
    except ValueError:
        idle_s = float("nan")
    if not 0.0 <= idle_s < float("inf"):
        raise ConfigError(
            f"SETU_FEED_IDLE_TIMEOUT_S={raw_idle!r} is not a number of seconds >= 0; "
            "set it to e.g. 60 (0 turns the idle timeout off)"
        )
    buffer = int(raw_buffer) if raw_buffer.strip().isdigit() else DEFAULT_UDP_RECEIVE_BUFFER_BYTES
    if raw_buffer and (not raw_buffer.strip().isdigit() or buffer < 1):
        raise ConfigError(
            f"SETU_UDP_RECEIVE_BUFFER_BYTES={raw_buffer!r} is not a positive number of bytes; "
            "set it to e.g. 8388608 (8 MiB)"
        )
    return idle_s, buffer


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The per-user default data directory (XDG base directory convention)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".local/share")
    return Path(base) / "setu"


@dataclass(frozen=True)
class Settings:
    """Resolved, validated settings."""

    data_dir: Path
    database_url: str = field(default="")
    flush_interval_s: float = DEFAULT_FLUSH_INTERVAL_S
    feed_idle_timeout_s: float = DEFAULT_FEED_IDLE_TIMEOUT_S
    udp_receive_buffer_bytes: int = DEFAULT_UDP_RECEIVE_BUFFER_BYTES

    @property
    def ais_dir(self) -> Path:
        """Root of the AIS Parquet dataset."""
        return self.data_dir / "ais"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "setu.db"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"


def load_settings(
    *,
    data_dir: str | Path | None = None,
    database_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings: explicit argument, then environment variable, then default."""
    env = os.environ if environ is None else environ
    raw_dir = data_dir if data_dir is not None else env.get("SETU_DATA_DIR")
    path = Path(raw_dir).expanduser() if raw_dir else default_data_dir(env)
    if path.exists() and not path.is_dir():
        raise ConfigError(
            f"data directory {path} exists but is not a directory; "
            "pass --data-dir or set SETU_DATA_DIR to a directory"
        )
    url = database_url if database_url is not None else env.get("SETU_DATABASE_URL", "")
    if url and "://" not in url:
        raise ConfigError(
            f"database URL {url!r} is not a URL; use e.g. sqlite:///path/setu.db or "
            "postgresql+psycopg://user:password@host:5432/setu (SETU_DATABASE_URL)"
        )
    raw_flush = env.get("SETU_FLUSH_INTERVAL_S", "")
    flush_s = parse_flush_interval_s(raw_flush) if raw_flush else DEFAULT_FLUSH_INTERVAL_S
    idle_s, udp_buffer = _feed_settings(env)
    return Settings(
        data_dir=path,
        database_url=url,
        flush_interval_s=flush_s,
        feed_idle_timeout_s=idle_s,
        udp_receive_buffer_bytes=udp_buffer,
    )
