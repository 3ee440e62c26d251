"""LineChunker: whole lines out, line numbers right, bounded memory, any chunk size."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setu.errors import ConfigError
from setu.ingest.chunking import LineChunker, count_lines

pytestmark = pytest.mark.unit


def _run(data: bytes, size: int, max_line: int = 4096) -> list[tuple[bytes, int]]:
    chunker = LineChunker(max_line)
    out = []
    for i in range(0, len(data), size):
        piece, first = chunker.feed(data[i : i + size])
        if piece:
            out.append((piece, first))
    piece, first = chunker.finish()
    if piece:
        out.append((piece, first))
    return out


def test_line_split_across_feeds_is_carried_whole() -> None:
    chunker = LineChunker()
    assert chunker.feed(b"line one\nline t") == (b"line one\n", 1)
    assert chunker.pending_bytes == len(b"line t")
    assert chunker.feed(b"wo\nthree") == (b"line two\n", 2)
    assert chunker.finish() == (b"three\n", 3)
    assert chunker.next_line_no == 4


def test_crlf_is_one_break_even_when_split_between_feeds() -> None:
    chunker = LineChunker()
    assert chunker.feed(b"a\r") == (b"", 1)  # "\r" may be followed by "\n"
    assert chunker.feed(b"\nb\r\n") == (b"a\r\nb\r\n", 1)
    assert chunker.next_line_no == 3


def test_lone_cr_is_a_line_break() -> None:
    # the last "\r" waits for the next feed (a "\n" may follow), then ends the input
    assert _run(b"a\rb\rc\r", 100) == [(b"a\rb\r", 1), (b"c\r", 3)]
    assert count_lines(b"a\rb\r\nc\n") == 3


def test_no_final_newline_gets_one() -> None:
    assert _run(b"x\ny", 1) == [(b"x\n", 1), (b"y\n", 2)]


def test_empty_input_gives_nothing() -> None:
    assert _run(b"", 10) == []


def test_long_line_is_cut_and_the_rest_dropped() -> None:
    data = b"ok\n" + b"x" * 50 + b"\nafter\n"
    out = _run(data, 7, max_line=10)
    joined = b"".join(p for p, _ in out)
    assert joined == b"ok\n" + b"x" * 11 + b"\nafter\n"
    assert out[0][1] == 1
    assert count_lines(joined) == 3


def test_long_line_ending_in_crlf_leaves_no_phantom_blank_line() -> None:
    chunker = LineChunker(4)
    out = [chunker.feed(b"abcdefgh\r"), chunker.feed(b"\nnext\n"), chunker.finish()]
    joined = b"".join(p for p, _ in out)
    assert joined == b"abcde\nnext\n"
    assert chunker.next_line_no == 3


def test_memory_stays_bounded_on_endless_line() -> None:
    chunker = LineChunker(100)
    for _ in range(1000):
        chunker.feed(b"y" * 1000)
        assert chunker.pending_bytes <= 100
    assert chunker.lines_cut == 1


def test_bad_limit_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        LineChunker(0)


_lines = st.lists(
    st.tuples(
        st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b"")),
        st.sampled_from([b"\n", b"\r\n", b"\r"]),
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(_lines, st.integers(1, 64), st.booleans())
def test_any_feed_size_gives_the_same_lines(lines, size: int, final_break: bool) -> None:
    data = b"".join(text + brk for text, brk in lines)
    if not final_break and data.endswith(b"\n"):
        data = data[:-1]
    whole = _run(data, max(len(data), 1))
    pieces = _run(data, size)
    assert b"".join(p for p, _ in pieces) == b"".join(p for p, _ in whole)
    # every chunk ends on a line break and the numbering follows the breaks
    line_no = 1
    for piece, first in pieces:
        assert first == line_no
        assert piece.endswith((b"\n", b"\r"))
        line_no += count_lines(piece)
