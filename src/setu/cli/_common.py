"""Shared CLI plumbing: settings from the context, consoles that show data literally, JSON output.

Everything setu prints for a person goes through :data:`console` or :data:`err_console`. On
them a ``str`` is always literal text: no Rich markup, no ``:emoji:`` codes, no highlighting, and
control characters (C0, DEL, C1, ESC sequences), bidirectional controls (U+202E …), line and
paragraph separators and lone surrogates are shown as visible escapes (``\\x1b``, ``\\u202e``)
instead of reaching the terminal. setu's own styled text is built with :func:`message`, which
takes markup only from its literal template and shows every value literally. Tables of data are
built with :func:`setu.cli._render.data_table`. Machine output (JSON, CSV, GeoJSON) is never
rewritten: :func:`dumps` keeps every value exact and writes the same characters as JSON
escapes, so the output parses to the same data and is still safe on a terminal.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.segment import Segment
from rich.text import Span, Text

from setu.settings import Settings, load_settings

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rich.console import ConsoleOptions, RenderableType
    from rich.status import Status

#: Characters that must never reach a terminal raw: C0 controls, DEL and C1 controls (ESC and
#: CSI start terminal escape sequences), the bidirectional marks, embeddings, overrides and
#: isolates (which reorder what a reader sees), line/paragraph separators, lone surrogates.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
#: The same, but keeping line breaks and tabs (for messages that span lines).
_UNSAFE_IN_TEXT = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff]"
)
#: Longest value shown in one message (error texts quote raw lines and file names).
MAX_MESSAGE_CHARS = 1000


_NAMED_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, max_chars: int | None = None, keep_lines: bool = False) -> str:
    """``text`` safe to show on a terminal: unsafe characters as escapes (``\\x1b``, ``\\u202e``;
    ``\\n`` and ``\\t`` too unless ``keep_lines``), elided past ``max_chars`` with the length."""
    shown = (_UNSAFE_IN_TEXT if keep_lines else _UNSAFE).sub(_escape_char, text)
    if max_chars is not None and len(shown) > max_chars:
        return f"{shown[: max(max_chars - 24, 1)]}… ({len(text):,} characters)"
    return shown


def message(template: str, *values: Any, max_chars: int = MAX_MESSAGE_CHARS) -> Text:
    """setu's own ``template`` (Rich markup allowed) with each ``{}`` filled by a value shown
    literally: markup and emoji codes in the value print as typed, control characters as
    escapes, and a value longer than ``max_chars`` is elided. A value takes the style of the
    markup around its ``{}``."""
    marks = [f"\x00{i}\x00" for i in range(len(values))]  # NUL never occurs in a template
    styled = Text.from_markup(template.format(*marks), emoji=False)
    out = Text()
    start = 0
    for mark, value in zip(marks, values, strict=True):
        at = styled.plain.index(mark, start)
        out.append_text(styled[start:at])
        shown = visible(str(value), max_chars=max_chars, keep_lines=True)
        spans = [Span(0, len(shown), span.style) for span in styled[at : at + len(mark)].spans]
        out.append_text(Text(shown, spans=spans))
        start = at + len(mark)
    out.append_text(styled[start:])
    return out


class SafeConsole(Console):
    """A Rich console on which a ``str`` is always literal, visible text (see the module doc),
    and nothing it writes, however it was built, carries a raw control character."""

    def __init__(self, *, stderr: bool = False) -> None:
        super().__init__(stderr=stderr, markup=False, emoji=False, highlight=False)

    def render_str(self, text: str, **options: Any) -> Text:
        options.update(markup=False, emoji=False)
        return super().render_str(visible(text, keep_lines=True), **options)

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterable[Segment]:
        # The last net: text that reached a segment without visible() (a Text built from data)
        # is escaped here. Control segments are Rich's own cursor movements and are kept.
        for segment in super().render(renderable, options):
            if segment.control or not _UNSAFE_IN_TEXT.search(segment.text):
                yield segment
            else:
                yield Segment(visible(segment.text, keep_lines=True), segment.style)

    def status(self, status: RenderableType, **options: Any) -> Status:
        if isinstance(status, str):  # a Status would read a str as markup
            status = Text(visible(status, keep_lines=True))
        return super().status(status, **options)


console = SafeConsole()
err_console = SafeConsole(stderr=True)


@dataclass(frozen=True)
class CliState:
    data_dir: Path | None
    database_url: str | None


def settings_from(ctx: typer.Context) -> Settings:
    """Resolve settings from the root options (falling back to env and defaults)."""
    root = ctx.find_root()
    state = root.obj if isinstance(root.obj, CliState) else CliState(None, None)
    return load_settings(data_dir=state.data_dir, database_url=state.database_url)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


#: Characters JSON may carry raw that a terminal would act on; :func:`dumps` writes them as
#: ``\\uXXXX`` escapes (JSON itself escapes C0 controls).
_JSON_UNSAFE = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def dumps(obj: Any) -> str:
    """JSON with ISO-8601 datetimes, for ``--json`` output. Every value is kept exactly; DEL, C1
    and bidirectional controls, separators and lone surrogates are written as ``\\uXXXX``
    escapes (the same data once parsed), so the text is safe to print on a terminal."""
    return _JSON_UNSAFE.sub(_json_escape, json.dumps(obj, default=_default, ensure_ascii=False))


def print_json(obj: Any) -> None:
    sys.stdout.write(dumps(obj) + "\n")
    sys.stdout.flush()


def export_json(records: Any, out: Path | None) -> None:
    """Write records (database rows made JSON-ready) to ``out``, or print them to stdout."""
    from setu.db.records import jsonable

    text = dumps(jsonable(records))
    if out is None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    else:
        out.write_text(text + "\n", encoding="utf-8")
        console.print(message("wrote {}", out))
