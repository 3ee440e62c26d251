"""setu — maritime domain awareness and security cooperation for the India–Japan framework.

The package is laid out by concern around a small domain core (see docs/ARCHITECTURE.md):

- ``setu.ais``        wire formats: NMEA 0183 framing, tag blocks, reassembly, bit-level decoding
- ``setu.ingest``     sources (files, stdin, TCP, UDP, CSV) and the ingest pipeline with rejects
- ``setu.store``      the embedded maritime store (Parquet + DuckDB) and the vessel registry
- ``setu.tracks``     vessel segments: segmentation, cleaning, resampling
- ``setu.events``     detectors that turn tracks into events
- ``setu.sim``        traffic simulator with ground truth
- ``setu.coop``       the cooperation framework: agreements, mechanisms, calendar, meetings
- ``setu.logistics``  the ACSA ledger
- ``setu.cli``        the thin command-line front end
"""

from setu.errors import SetuError

__version__ = "0.1.0"

__all__ = ["SetuError", "__version__"]
