"""Reject reasons, declared once.

Every line that does not become a decoded message ends up in the rejects table with one of these
codes (or is counted as ignored/metadata in the ingest summary). The code is stable (stored in
Parquet, shown by ``setu rejects``); the text explains it to a user.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why a line, sentence or message was rejected."""

    NOT_NMEA = "not_nmea"
    NOT_AIS = "not_ais"
    LINE_TOO_LONG = "line_too_long"
    MALFORMED_SENTENCE = "malformed_sentence"
    BAD_CHECKSUM = "bad_checksum"
    BAD_TAG_BLOCK = "bad_tag_block"
    BAD_PGHP = "bad_pghp"
    BAD_PAYLOAD_CHAR = "bad_payload_char"
    BAD_FILL_BITS = "bad_fill_bits"
    EMPTY_PAYLOAD = "empty_payload"
    ORPHAN_FRAGMENT = "orphan_fragment"
    DUPLICATE_FRAGMENT = "duplicate_fragment"
    INCOMPLETE_GROUP = "incomplete_group"
    GROUP_EXPIRED = "group_expired"
    GROUP_OVERFLOW = "group_overflow"
    UNKNOWN_MSG_TYPE = "unknown_msg_type"
    BAD_BIT_COUNT = "bad_bit_count"
    NO_RECEIVE_TIME = "no_receive_time"
    IMPLAUSIBLE_TIME = "implausible_time"
    BAD_CSV_ROW = "bad_csv_row"


REASON_TEXT: dict[Reason, str] = {
    Reason.NOT_NMEA: "not an NMEA 0183 sentence, tag block or known timestamp wrapper",
    Reason.NOT_AIS: "a valid NMEA sentence that is not AIS (e.g. $GPGGA)",
    Reason.LINE_TOO_LONG: "line longer than the configured maximum",
    Reason.MALFORMED_SENTENCE: "AIS sentence with wrong field count or non-numeric fields",
    Reason.BAD_CHECKSUM: "NMEA checksum mismatch (rejected only in strict mode)",
    Reason.BAD_TAG_BLOCK: "IEC 61162-450 tag block with bad syntax or checksum",
    Reason.BAD_PGHP: "Gatehouse $PGHP timestamp sentence with bad fields",
    Reason.BAD_PAYLOAD_CHAR: "payload character outside the AIS 6-bit armour alphabet",
    Reason.BAD_FILL_BITS: "fill-bits field not in 0..5",
    Reason.EMPTY_PAYLOAD: "sentence with an empty payload",
    Reason.ORPHAN_FRAGMENT: "fragment whose group never started (part 1 missing)",
    Reason.DUPLICATE_FRAGMENT: "fragment number already received for this group",
    Reason.INCOMPLETE_GROUP: "multi-part group still incomplete at the end of the input",
    Reason.GROUP_EXPIRED: "multi-part group not completed within the age limit",
    Reason.GROUP_OVERFLOW: "too many multi-part groups pending; oldest dropped",
    Reason.UNKNOWN_MSG_TYPE: "message type 0 or above 27",
    Reason.BAD_BIT_COUNT: "payload too short for its message type",
    Reason.NO_RECEIVE_TIME: "no receive time in the line and none assumed (use --assume-time)",
    Reason.IMPLAUSIBLE_TIME: (
        "receive time outside the plausible window (SETU_TIME_MIN, SETU_TIME_MAX_AHEAD_S)"
    ),
    Reason.BAD_CSV_ROW: "CSV row with missing or invalid required fields",
}
