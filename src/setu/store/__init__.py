"""The embedded maritime store: a Parquet dataset partitioned by day, queried with DuckDB.

Owns the on-disk layout under ``<data_dir>/ais`` and every query over it, including the vessel
registry. May import :mod:`setu.ais` (schemas, flag states, ship types), PyArrow, DuckDB and
:mod:`setu.errors`; it knows nothing of sources, sockets or the CLI.

Layout::

    <data_dir>/ais/<table>/day=YYYY-MM-DD/part-<n>-<id>.parquet

where ``<table>`` is one of ``positions``, ``statics``, ``base_stations``, ``other`` and
``rejects`` (rejects without a receive time go under ``day=unknown``). Files are written once
(temp name, then rename) and never modified; re-ingesting the same input adds nothing because
each row's dedupe key (message hash + receive time; for rejects: origin, line and raw text) is
checked against the keys already stored for that day.
"""

from setu.store.dataset import MaritimeStore, WriteStats, open_store
from setu.store.writer import StoreWriter

__all__ = ["MaritimeStore", "StoreWriter", "WriteStats", "open_store"]
