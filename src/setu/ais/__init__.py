"""AIS wire formats: NMEA 0183 framing, tag blocks, reassembly and bit-level decoding.

Owns everything about the bytes on the wire and nothing about storage. May import NumPy, Numba,
PyArrow and :mod:`setu.errors`; must not import ``setu.store``, ``setu.ingest`` or any web code.

Modules:

- ``reasons``     reject reason codes (declared once)
- ``batch``       :class:`PayloadBatch`, the columnar hand-over from framing to decoding
- ``sentences``   Numba framing of raw lines: tag blocks, $PGHP, timestamps, checksums
- ``reassembly``  multi-part reassembly with size and age limits
- ``layout``      the ITU-R M.1371 bit layouts of message types 1–27, declared once
- ``decode``      vectorised payload decoding into Arrow tables per message family
- ``schema``      Arrow schemas of the decoded tables (derived from ``layout``)
- ``mid``         Maritime Identification Digits → flag state
- ``encode``      encoding of messages into NMEA (for the simulator and tests)
"""
