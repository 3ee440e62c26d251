"""The columnar hand-over between AIS framing/reassembly and payload decoding.

One :class:`PayloadBatch` holds the complete (reassembled) AIS messages found in one chunk of
input, one row per message, as NumPy/Arrow arrays. Framing (:mod:`setu.ais.sentences`) and
reassembly (:mod:`setu.ais.reassembly`) produce it; :mod:`setu.ais.decode` consumes it.

Times are microseconds since the Unix epoch, UTC; :data:`NO_TIME` marks "unknown".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NO_TIME = np.iinfo(np.int64).min

#: Schema of reject rows produced by every AIS stage (the pipeline adds ``origin``).
REJECT_SCHEMA = pa.schema(
    [
        pa.field("line_no", pa.int64(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("raw", pa.string(), nullable=False),
        pa.field("received_at", pa.timestamp("us", tz="UTC")),
    ]
)


@dataclass(frozen=True)
class PayloadBatch:
    """Complete AIS messages from one chunk of input (n rows).

    - ``payload``: uint8, the armoured payload characters of all messages, concatenated
    - ``offsets``: int64, length n+1; message i is ``payload[offsets[i]:offsets[i+1]]``
    - ``fill_bits``: uint8, fill bits of the last fragment (0..5)
    - ``received_at_us``: int64 µs since epoch UTC, :data:`NO_TIME` when unknown
    - ``line_no``: int64, 1-based line number of the message's first fragment
    - ``checksum_ok``: bool, every fragment's NMEA checksum matched
    - ``sentence_count``: uint8, fragments the message was assembled from
    - ``channel``: Arrow string, VHF channel "A"/"B"/… or null
    - ``talker``: Arrow string, sentence formatter with talker, e.g. "AIVDM", "BSVDM"
    - ``station``: Arrow string, receiving station (tag block ``s:``, or null)
    """

    payload: np.ndarray
    offsets: np.ndarray
    fill_bits: np.ndarray
    received_at_us: np.ndarray
    line_no: np.ndarray
    checksum_ok: np.ndarray
    sentence_count: np.ndarray
    channel: pa.Array
    talker: pa.Array
    station: pa.Array

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def payload_text(self, i: int) -> str:
        """The armoured payload of message ``i`` as text (for rejects and debugging)."""
        return bytes(self.payload[self.offsets[i] : self.offsets[i + 1]]).decode("ascii", "replace")


def empty_rejects() -> pa.Table:
    return REJECT_SCHEMA.empty_table()


def with_default_time(rejects: pa.Table, default_us: int) -> pa.Table:
    """``rejects`` with ``default_us`` as the receive time of rows that have none."""
    if default_us == NO_TIME or not rejects.num_rows or not rejects["received_at"].null_count:
        return rejects
    default = pa.scalar(default_us, pa.timestamp("us", tz="UTC"))
    filled = pc.fill_null(rejects["received_at"], default)
    return rejects.set_column(rejects.schema.get_field_index("received_at"), "received_at", filled)
