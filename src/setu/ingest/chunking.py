"""Cutting a byte stream into chunks of whole lines, with bounded memory.

:class:`LineChunker` is fed raw bytes as they arrive (file blocks, socket reads) and hands back
the longest prefix that ends on a line break, numbering lines as it goes; the partial last line
is carried into the next feed. A line break is ``\\n``, ``\\r\\n`` or a lone ``\\r``: the one rule
of :func:`setu.ais.sentences.count_lines`, by which the framing kernel and the CSV reader count
lines too, so line numbers agree across any chunk size and any line ending.

What is binary is decided here too (:func:`looks_binary`), once for a directory walk and for a
file named on the command line.

Memory is bounded: a line that grows past ``max_line_bytes`` is cut — its first
``max_line_bytes + 1`` bytes are emitted as one line (which the framing rejects as
``line_too_long`` with its line number) and the rest of it is dropped up to the next line break.
"""

from __future__ import annotations

from setu.ais.sentences import count_lines, first_line
from setu.errors import ConfigError

__all__ = ["BINARY_CONTROL_SHARE", "LineChunker", "count_lines", "first_line", "looks_binary"]

_LF = 0x0A
_CR = 0x0D
#: Control bytes that do not occur in text: everything below 0x20 but tab, LF, FF and CR, and DEL.
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"
#: A sample with more control bytes than this share is binary. Text files damaged by a crash
#: (a few NUL bytes, a zero-filled block) stay far below it; images, archives, UTF-16 text and
#: executables are far above it (setu's own choice).
BINARY_CONTROL_SHARE = 0.10


def looks_binary(sample: bytes) -> bool:
    """Whether ``sample`` (the start of a file) is binary rather than text with some damage."""
    if not sample:
        return False
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    return controls > BINARY_CONTROL_SHARE * len(sample)


class LineChunker:
    """Incremental splitter of a byte stream into runs of whole lines.

    ``feed(data)`` returns ``(lines, first_line_no)`` — the whole lines now complete (possibly
    empty bytes) and the number of their first line; ``finish()`` returns what is left (a last
    line without a line break gets one appended). ``max_line_bytes`` bounds the carried partial
    line (see the module docstring).
    """

    def __init__(self, max_line_bytes: int = 4096, *, first_line_no: int = 1) -> None:
        if max_line_bytes < 1:
            raise ConfigError(f"max_line_bytes must be at least 1 (got {max_line_bytes})")
        self.max_line_bytes = max_line_bytes
        self.next_line_no = first_line_no
        self.lines_cut = 0
        self._carry = b""
        self._skipping = False  # dropping the rest of a cut line
        self._skip_lf = False  # a cut line ended on "\r": drop a "\n" that follows

    @property
    def pending_bytes(self) -> int:
        """Bytes of the partial line carried over (at most ``max_line_bytes`` and a ``\\r``)."""
        return len(self._carry)

    def feed(self, data: bytes) -> tuple[bytes, int]:
        """Add ``data``; return the whole lines now complete and the number of the first one."""
        first = self.next_line_no
        data = self._drop_cut_rest(data)
        if not data:
            return b"", first
        buf = self._carry + data if self._carry else data
        cut = _last_break(buf)
        if cut < 0:
            self._carry = buf
            return self._cut_long(first)
        out, self._carry = buf[:cut], buf[cut:]
        self.next_line_no += count_lines(out)
        if len(self._carry) > self.max_line_bytes:
            long_part = self._cut_long(self.next_line_no)[0]
            return out + long_part, first
        return out, first

    def finish(self) -> tuple[bytes, int]:
        """The partial last line (with a line break appended), or empty bytes."""
        first = self.next_line_no
        carry, self._carry = self._carry, b""
        self._skipping = self._skip_lf = False
        if not carry:
            return b"", first
        # A carried "\r" is a complete line break (nothing follows it any more).
        out = carry if carry.endswith(b"\r") else carry + b"\n"
        self.next_line_no += count_lines(out)
        return out, first

    def _cut_long(self, first: int) -> tuple[bytes, int]:
        carry = self._carry
        ends_cr = carry.endswith(b"\r")  # a break whose "\n" may still follow
        if len(carry) - ends_cr <= self.max_line_bytes:
            return b"", first
        head = carry[: self.max_line_bytes + 1]
        self._carry = b""
        if ends_cr:  # the line is complete: only a "\n" right after it still belongs to it
            self._skip_lf = True
        else:
            self._skipping = True
        self.lines_cut += 1
        self.next_line_no += 1
        return head + b"\n", first

    def _drop_cut_rest(self, data: bytes) -> bytes:
        if self._skip_lf and data:
            self._skip_lf = False
            if data[0] == _LF:
                data = data[1:]
        if not self._skipping or not data:
            return data
        lf, cr = data.find(b"\n"), data.find(b"\r")
        ends = [i for i in (lf, cr) if i >= 0]
        if not ends:
            return b""
        end = min(ends)
        self._skipping = False
        if data[end] == _CR:
            if end + 1 < len(data):
                if data[end + 1] == _LF:
                    end += 1
            else:
                self._skip_lf = True
        return data[end + 1 :]


def _last_break(buf: bytes) -> int:
    """Index just past the last complete line break in ``buf``, or -1.

    A ``\\r`` in the very last byte is not complete yet: a ``\\n`` may follow in the next feed.
    """
    lf = buf.rfind(b"\n")
    cr = buf.rfind(b"\r", 0, len(buf) - 1) if len(buf) > 1 else -1
    end = max(lf, cr)
    return end + 1 if end >= 0 else -1
