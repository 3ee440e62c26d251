"""Scale: the batch pipeline (store → tracks → events) on a Dask cluster, with the same events.

Owns partitioning the work (:mod:`setu.scale.plan`), running it on ``dask.distributed``
(:mod:`setu.scale.run`) and running the same plan step by step in one process with memory
bounded by a day and a batch of vessels (:mod:`setu.scale.partitioned`). May import
:mod:`setu.events`, :mod:`setu.tracks`, :mod:`setu.store`,
:mod:`setu.errors`, Polars, PyArrow, NumPy and ``distributed``; the CLI and benchmarks import it,
never the other way round.

How the work is cut, and why the union of the pieces is exactly the single-process result:

1. **Read by day.** One task per stored day reads that day's positions (the store is
   day-partitioned Parquet) and cuts them into vessel buckets (MMSI hash).
2. **Vessels by bucket, whole date range.** A bucket's task concatenates its pieces of every day
   and builds tracks for its vessels over the whole range. Segmentation carries state per MMSI
   for up to 24 h of silence and segment ids name a segment's first fix; port visits, loitering
   and identity changes last days. Cutting a vessel's history by time would need a halo as long
   as the longest of those (a port stay can last weeks) and de-duplication of straddling events;
   keeping the history whole needs neither, and a vessel's history is small. The per-vessel
   detectors (:data:`setu.scale.run.PER_VESSEL`: loitering, port visits, zones, identity, drift,
   speed drop) see only their own vessel's rows (and statics), so their events per bucket are the
   single-process events of those vessels.
3. **Gaps and coverage holes.** A gap is a silence between two consecutive fixes of one vessel;
   whether a coverage hole explains it depends on every vessel heard in the surrounding H3 cells
   and windows, and holes are chained over time across the whole data set. So the gap detector
   runs once, on the output of every bucket reduced to the fixes that decide it
   (:func:`setu.scale.plan.reduce_for_gaps`: first and last fix per vessel, hour window and
   0.02° point — about a tenth of the fixes of a moving vessel, two per hour at anchor).
4. **Encounters by space and time.** Each bucket resamples its tracks to the encounter grid (the
   same call the detector makes). Grid points are cut by UTC day and 1° tile, each point copied
   into every tile within the encounter distance (the halo); two vessels within that distance at
   the same instant therefore meet in one tile partition, whose :func:`close_pairs` lists them as
   candidates. Encounters are runs of one vessel pair, so each pair bucket runs the detector on
   the grids of its pairs' vessels (resampling a grid again returns it unchanged) and keeps only
   its own pairs' events.
5. **Other detectors** (not known to be per-vessel) run in one task over all positions.

The one-process run (:func:`detect_partitioned`, the default of ``setu events detect``) reads by
day and builds tracks by batches of vessel buckets as in steps 1-3; for step 4 it needs no tiles:
the encounter detector pairs the grid of every vessel one slice of time at a time.

Events have deterministic ids (:func:`setu.events.event_id_for`); the result is de-duplicated and
sorted exactly as :func:`setu.events.run.run_detectors` does.
"""

from setu.scale.partitioned import PartitionedRun, detect_partitioned
from setu.scale.plan import day_windows, halo_tiles, reduce_for_gaps, split_by_bucket
from setu.scale.run import PER_VESSEL, Roles, detect_distributed, open_client

__all__ = [
    "PER_VESSEL",
    "PartitionedRun",
    "Roles",
    "day_windows",
    "detect_distributed",
    "detect_partitioned",
    "halo_tiles",
    "open_client",
    "reduce_for_gaps",
    "split_by_bucket",
]
