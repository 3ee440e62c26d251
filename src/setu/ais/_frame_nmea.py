"""Numba record parsers: IEC 61162-450 tag blocks, Gatehouse ``$PGHP`` and AIS VDM/VDO sentences.

Each parser reads one record at ``a[p]`` inside the line ``a[:e]`` and returns scalars; the
framing loop (:mod:`setu.ais._frame_scan`) decides what to keep. References: IEC 61162-450 for
tag blocks (``c`` UNIX time, ``s`` source, ``g`` group, ``t`` text), NMEA 0183 for the sentence
checksum (XOR of the bytes between the start character and ``*``), ITU-R M.1371 Annex 8 for the
VDM/VDO fields.
"""

from __future__ import annotations

import numpy as np

from setu.ais._frame_fields import (
    OK,
    PAYLOAD_CLASS,
    R_BAD_FILL_BITS,
    R_BAD_PAYLOAD_CHAR,
    R_EMPTY_PAYLOAD,
    R_MALFORMED,
    R_NOT_AIS,
    epoch_us,
    field_uint,
    find_byte,
    hex_byte,
    inline_kernel,
    parse_group,
    parse_iso,
    parse_old_group,
    parse_unix,
    tag_checksum,
)
from setu.ais.batch import NO_TIME


@inline_kernel
def parse_tag(a, p, e):
    """Tag block at ``a[p] == '\\'``.

    Returns (close, ok, c_us, T_us, station_start, station_end, g_num, g_total, g_id); ``close``
    is -1 when the block never closes, ``ok`` is False on a bad or missing checksum or bad syntax.
    """
    close, body_end, ok = tag_checksum(a, p, e)
    c_us = NO_TIME
    t_us = NO_TIME
    ss = -1
    se = -1
    gn = -1
    gt = -1
    gid = -1
    if close < 0:
        return close, False, c_us, t_us, ss, se, gn, gt, gid
    q = p + 1
    while q < body_end:
        fe = find_byte(a, q, body_end, 44)
        colon = find_byte(a, q, fe, 58)
        if colon == q or colon == fe:  # noqa: SIM109 (plain comparisons in Numba kernels)
            ok = False
        elif colon == q + 1:
            key = a[q]
            v = colon + 1
            if key == 99:  # c: UNIX time
                t, r = parse_unix(a, v, fe, True)
                if t == NO_TIME or r != fe:
                    ok = False
                else:
                    c_us = t
            elif key == 115:  # s: source
                if fe > v:
                    ss = v
                    se = fe
            elif key == 103:  # g: group n-m-id
                gn, gt, gid = parse_group(a, v, fe)
                if gn < 0:
                    ok = False
            elif key == 84:  # T: human-readable time (ORBCOMM and others)
                t, r = parse_iso(a, v, fe)
                if t != NO_TIME:
                    t_us = t
        else:
            n, m, g = parse_old_group(a, q, colon, colon + 1, fe)
            if n > 0:
                gn, gt, gid = n, m, g
        q = fe + 1
    return close, ok, c_us, t_us, ss, se, gn, gt, gid


@inline_kernel
def _pghp_scan(a, p, e):
    """One pass over ``$PGHP,...`` at ``a[p]`` up to ``*`` (or a backslash, or ``e``).

    Returns (xor, star, c2, ..., c9): the checksum of the bytes read, where they stopped, and the
    positions of the 2nd..9th commas (``star`` for those that are missing).
    """
    x = 0
    nc = 0
    c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = -1
    q = p + 1
    while q < e:
        b = a[q]
        if b == 42 or b == 92:
            break
        x ^= b
        if b == 44:
            nc += 1
            if nc == 2:
                c2 = q
            elif nc == 3:
                c3 = q
            elif nc == 4:
                c4 = q
            elif nc == 5:
                c5 = q
            elif nc == 6:
                c6 = q
            elif nc == 7:
                c7 = q
            elif nc == 8:
                c8 = q
            elif nc == 9:
                c9 = q
        q += 1
    if nc < 9:
        c9 = q
        c8 = q if nc < 8 else c8
        c7 = q if nc < 7 else c7
        c6 = q if nc < 6 else c6
        c5 = q if nc < 5 else c5
        c4 = q if nc < 4 else c4
        c3 = q if nc < 3 else c3
        c2 = q if nc < 2 else c2
    return x, q, c2, c3, c4, c5, c6, c7, c8, c9


@inline_kernel
def parse_pghp(a, p, e):
    """Gatehouse ``$PGHP,1,yyyy,mm,dd,hh,mi,ss,ms,...*hh`` at ``a[p]``.

    Returns (status, time_us, checksum_ok, record_end): status 0 is a valid timestamp, 1 a PGHP
    sentence of another type (no time), -1 a malformed one. The type and the seven time fields
    must each be 1 to 9 digits.
    """
    x, star, c2, c3, c4, c5, c6, c7, c8, c9 = _pghp_scan(a, p, e)
    ok = star < e and a[star] == 42 and hex_byte(a, star + 1, e) == x
    rec_end = find_byte(a, star, e, 92)
    if star - p < 6 or a[p + 5] != 44:
        return -1, NO_TIME, ok, rec_end
    kind = small_uint(a, p + 6, c2)
    if kind > 1:
        return 1, NO_TIME, ok, rec_end
    y = small_uint(a, c2 + 1, c3)
    mo = small_uint(a, c3 + 1, c4)
    d = small_uint(a, c4 + 1, c5)
    h = small_uint(a, c5 + 1, c6)
    mi = small_uint(a, c6 + 1, c7)
    s = small_uint(a, c7 + 1, c8)
    ms = small_uint(a, c8 + 1, c9)
    if kind < 1 or min(y, mo, d, h, mi, s, ms) < 0 or ms > 999:
        return -1, NO_TIME, ok, rec_end
    t = epoch_us(y, mo, d, h, mi, s, ms * 1000)
    if t == NO_TIME:
        return -1, NO_TIME, ok, rec_end
    return 0, t, ok, rec_end


@inline_kernel
def is_vdm(a, p, e):
    """``!ccVDM`` or ``!ccVDO`` (any two-character talker) at ``a[p]``."""
    if e - p < 7 or a[p + 3] != 86 or a[p + 4] != 68 or a[p + 6] != 44:
        return False
    return a[p + 5] == 77 or a[p + 5] == 79


@inline_kernel
def talker_code(a, p):
    """Code of the formatter ``ccVDM``/``ccVDO`` at ``a[p+1:p+6]`` (see ``TALKER_CODES``), or -1."""
    t1 = a[p + 1]
    t2 = a[p + 2]
    if t1 < 33 or t1 > 126 or t2 < 33 or t2 > 126:
        return -1
    return ((t1 - 32) * 95 + (t2 - 32)) * 2 + (1 if a[p + 5] == 79 else 0)


@inline_kernel
def trailing_time(a, q, e):
    """Last 10-digit field (Unix seconds) among ``,f1,f2,...`` at ``a[q:e]``, or NO_TIME."""
    t = NO_TIME
    while q < e and a[q] == 44:
        fe = find_byte(a, q + 1, e, 44)
        if fe - q - 1 == 10:
            v = field_uint(a, q + 1, fe)
            if v >= 0:
                t = v * 1_000_000
        q = fe
    return t


@inline_kernel
def _sentence_scan(a, p, e):
    """One pass over the sentence at ``a[p]`` up to ``*`` (or a backslash, or ``e``).

    Returns (xor, star, c2, c3, c4, c5, c6, commas, payload_ok): the checksum of the bytes read,
    where they stopped, the positions of the 2nd..6th commas, how many commas there were, and
    whether every byte between the 5th and 6th comma is in the 6-bit armour. The payload, most
    of the sentence, is read by a loop of its own with one table look-up per byte.
    """
    x = 0
    nc = 0
    c2 = c3 = c4 = c5 = c6 = e
    q = p + 1
    while q < e and nc < 5:
        b = a[q]
        if b == 42 or b == 92:
            return x, q, c2, c3, c4, c5, c6, nc, True
        x ^= b
        if b == 44:
            nc += 1
            if nc == 2:
                c2 = q
            elif nc == 3:
                c3 = q
            elif nc == 4:
                c4 = q
            elif nc == 5:
                c5 = q
        q += 1
    bad = 0
    while q < e:
        b = a[q]
        k = PAYLOAD_CLASS[b]
        if k == 2:
            break
        x ^= b
        bad |= k
        q += 1
    while q < e:
        b = a[q]
        if b == 42 or b == 92:
            break
        x ^= b
        if b == 44:
            nc += 1
            if nc == 6:
                c6 = q
        q += 1
    return x, q, c2, c3, c4, c5, c6, nc, bad == 0


@inline_kernel
def small_uint(a, p, e):
    """The field ``a[p:e]`` as an integer of at most 9 digits, else -1."""
    if e <= p or e - p > 9:
        return -1
    v = 0
    for q in range(p, e):
        b = a[q]
        if b < 48 or b > 57:
            return -1
        v = v * 10 + (b - 48)
    return v


@inline_kernel
def parse_ais(a, p, e):
    """AIS sentence at ``a[p] == '!'``.

    Returns (reason, talker, count, num, seq, channel, payload_start, payload_end, fill,
    checksum_ok, trailing_time_us, record_end). ``reason`` is OK or a reject code; ``seq`` is -1
    when empty and ``channel`` the channel character (0 when empty).
    """
    x, star, c2, c3, c4, c5, c6, nc, payload_ok = _sentence_scan(a, p, e)
    ok = star < e and a[star] == 42 and hex_byte(a, star + 1, e) == x
    rec_end = find_byte(a, star, e, 92)
    bad = (R_NOT_AIS, -1, 0, 0, -1, 0, 0, 0, 0, ok, NO_TIME, rec_end)
    if not is_vdm(a, p, star):
        return bad
    talker = talker_code(a, p)
    count = small_uint(a, p + 7, c2)
    num = small_uint(a, c2 + 1, c3)
    seq = -1 if c4 == c3 + 1 else small_uint(a, c3 + 1, c4)
    chan = 0 if c5 == c4 + 1 else np.int64(a[c4 + 1])
    if nc != 6 or talker < 0 or count < 1 or num < 1 or num > count or count > 99:
        return (R_MALFORMED,) + bad[1:]  # noqa: RUF005 (Numba has no tuple unpacking)
    if (seq < 0 and c4 != c3 + 1) or c5 > c4 + 2 or (chan != 0 and (chan < 33 or chan > 126)):
        return (R_MALFORMED,) + bad[1:]  # noqa: RUF005 (Numba has no tuple unpacking)
    fill = small_uint(a, c6 + 1, star)
    trail = NO_TIME
    if star + 3 < rec_end and a[star] == 42:
        trail = trailing_time(a, star + 3, rec_end)
    reason = OK
    if fill < 0:
        reason = R_MALFORMED
    elif c6 == c5 + 1:
        reason = R_EMPTY_PAYLOAD
    elif fill > 5:
        reason = R_BAD_FILL_BITS
    elif not payload_ok:
        reason = R_BAD_PAYLOAD_CHAR
    return reason, talker, count, num, seq, chan, c5 + 1, c6, fill, ok, trail, rec_end
