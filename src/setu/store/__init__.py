"""The embedded maritime store: a Parquet dataset partitioned by day, queried with DuckDB.

Owns the on-disk layout under ``<data_dir>/ais`` and every query over it, including the vessel
registry. May import :mod:`setu.ais` (schemas, flag states, ship types), PyArrow, DuckDB,
:mod:`setu.errors` and the labels of :mod:`setu.security`; it knows nothing of sources, sockets
or the CLI.

Layout::

    <data_dir>/ais/<table>/day=YYYY-MM-DD/part-<n>-<id>.parquet
    <data_dir>/ais/quarantine/<table>/day=…/<file> and <file>.reason.json

where ``<table>`` is one of ``positions``, ``statics``, ``base_stations``, ``other`` and
``rejects`` (rejects without a receive time go under ``day=unknown``). Modules:

- :mod:`~setu.store.dataset`  the store, dedupe keys, reads of whole tables;
- :mod:`~setu.store.writer`   buffered writes, flushed on size, on age and on exit; files are
  written once (hidden temp name, then rename) and never modified; each row's dedupe key
  (message hash + receive time; for rejects: origin, line and raw text) is checked against
  the keys already stored for its day, under the day's lock, so re-ingesting the same input,
  or ingesting it from two processes at once, adds each row once;
- :mod:`~setu.store.layout`   file names, the per-day lock, stale temp files;
- :mod:`~setu.store.query`    sandboxed DuckDB views and SQL (one SELECT, no file access);
- :mod:`~setu.store.health`   ``store check`` and ``store repair`` (quarantine of damaged files);
- :mod:`~setu.store.registry` the vessel registry and identity history;
- :mod:`~setu.store.labels`   the label registry ``<data_dir>/ais/labels/<label_id>.json``
  (content-addressed, immutable); every table's ``label_id`` column names one (null: the
  open-AIS default), declared in :mod:`~setu.store.schemas`.
"""

from setu.store.dataset import MaritimeStore, WriteStats, open_store
from setu.store.writer import StoreWriter

__all__ = ["MaritimeStore", "StoreWriter", "WriteStats", "open_store"]
