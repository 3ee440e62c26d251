"""Data is shown literally on the terminal and exactly in machine output.

Regression: a type-5 ship name ``[/A]`` made ``setu vessels`` raise MarkupError, a rejected line
``foo [/x] bar`` broke ``setu rejects``, a coop title ``[/bold] x`` broke ``coop agreements
list``; ``[red]…`` vanished and ``:x:`` became an emoji. The fix is structural: one table
builder that shows every cell literally, consoles that read no markup and write no raw control
character, and :func:`message` for setu's own styled text. The last tests here check the source
of ``setu.cli`` so that a new command cannot bypass them.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from rich.table import Table
from rich.text import Text

from setu.cli import _common
from setu.cli._common import SafeConsole, dumps, message, visible
from setu.cli._render import MAX_CELL_CHARS, OutputFormat, data_table, emit, rich_table

pytestmark = pytest.mark.unit

MARKUP = "[/A] [red]gone[/red] [link=file:///etc/passwd]pw[/link] :x: [bold]"
CONTROLS = "esc\x1b[2J bel\x07 nul\x00 del\x7f csi\x9b31m osc\x1b]0;pwned\x07"
BIDI = "abc\u202edcba \u2066iso\u2069 \u200frlm \u061calm \u2028sep"
#: Characters that must never reach the terminal raw.
RAW = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
CLI = Path(_common.__file__).parent


def render(renderable: object) -> str:
    console = SafeConsole()
    console.width = 400
    with console.capture() as captured:
        console.print(renderable)
    return captured.get()


def test_visible_escapes_every_control_and_bidi_character() -> None:
    shown = visible(CONTROLS + BIDI + "\ud800")
    assert not RAW.search(shown) and "\ud800" not in shown
    for escape in ("\\x1b[2J", "\\x07", "\\x00", "\\x7f", "\\x9b", "\\u202e", "\\u2066"):
        assert escape in shown
    assert visible("a\nb\tc") == "a\\nb\\tc"
    assert visible("a\nb\tc", keep_lines=True) == "a\nb\tc"


def test_visible_keeps_ordinary_text_of_every_script() -> None:
    text = "INS विक्रांत かが ＪＳ 出雲 Ünïcödé [ok] \\s:rx1*5C\\ \u200d"
    assert visible(text) == text


def test_visible_elides_long_text_and_says_how_long_it_was() -> None:
    shown = visible("x" * 10_000, max_chars=MAX_CELL_CHARS)
    assert len(shown) <= MAX_CELL_CHARS and shown.endswith("… (10,000 characters)")


def test_message_styles_only_its_template() -> None:
    text = message("[bold]ship:[/] {} and {}", MARKUP, "C:\\data\\")
    assert text.plain == f"ship: {MARKUP} and C:\\data\\"
    assert [span.style for span in text.spans] == ["bold"]


def test_a_str_prints_literally_without_markup_or_emoji() -> None:
    out = render(f"{MARKUP} {CONTROLS}")
    assert MARKUP in out and ":x:" in out and "❌" not in out
    assert not RAW.search(out)


def test_data_table_shows_markup_controls_and_bidi_literally_and_elides_long_cells() -> None:
    long = "L" * 10_000
    table = data_table(["name [/x]", "value"], [(MARKUP, CONTROLS), (BIDI, long)], title="[/t]")
    out = render(table)
    assert MARKUP in out and "[/x]" in out and "[/t]" in out
    assert "esc\\x1b[2J" in out and "abc\\u202edcba" in out
    assert "(10,000 characters)" in out and long not in out
    assert not RAW.search(out)


def test_a_table_built_from_raw_text_still_writes_no_control_character() -> None:
    table = Table("a")
    table.add_row(Text(CONTROLS + BIDI))
    out = render(table)
    assert not RAW.search(out)


def test_status_of_a_str_does_not_read_markup() -> None:
    console = SafeConsole()
    with console.capture(), console.status(MARKUP) as status:
        assert status.renderable is not None  # constructing it raised MarkupError before


def test_rich_table_of_arrow_data_renders_hostile_strings() -> None:
    table = pa.table({"ship_name": [MARKUP, CONTROLS, None], "lat": [1.5, None, 2.0]})
    out = render(rich_table(table, title="Vessels"))
    assert MARKUP in out and "esc\\x1b[2J" in out and not RAW.search(out)


def test_json_keeps_every_value_exactly_and_escapes_terminal_controls() -> None:
    record = {"name": MARKUP + CONTROLS + BIDI, "at": datetime(2026, 1, 1, tzinfo=UTC)}
    text = dumps(record)
    assert json.loads(text)["name"] == record["name"]
    assert not RAW.search(text)
    assert json.loads(dumps({"s": "\udcff"}))["s"] == "\udcff"  # a lone surrogate survives


def test_csv_keeps_every_value_exactly(tmp_path: Path) -> None:
    values = [MARKUP, CONTROLS.replace("\x00", ""), BIDI, "L" * 10_000, 'quote " and, comma']
    out = tmp_path / "t.csv"
    emit(pa.table({"v": values}), OutputFormat.CSV, out=out)
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert [r[0] for r in rows[1:]] == values


# -- the source of setu.cli ---------------------------------------------------------------------
def _calls(module: Path) -> list[tuple[str, ast.Call]]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            out.append((name, node))
    return out


def _modules() -> list[Path]:
    modules = sorted(CLI.glob("*.py"))
    assert len(modules) > 8
    return modules


#: The one module allowed to make each kind of call.
_ONLY_IN = {
    "Table": "_render.py",  # every table through data_table: cells literal, long ones elided
    "Console": "_common.py",  # every console a SafeConsole
    "from_markup": "_common.py",  # markup only from message()'s literal template
    "render_markup": "_common.py",
    "from_ansi": "_common.py",
    "get_console": "_common.py",
}
_MARKUP_TAG = re.compile(r"\[/?[a-z#@][^\[\]]*\]")


@pytest.mark.parametrize("module", _modules(), ids=lambda p: p.name)
def test_cli_modules_render_data_only_through_the_safe_helpers(module: Path) -> None:
    problems = []
    for name, call in _calls(module):
        allowed = _ONLY_IN.get(name)
        if allowed is not None and module.name != allowed:
            problems.append(f"line {call.lineno}: {name}(…) belongs in setu.cli.{allowed[:-3]}")
        if name in ("print", "status", "rule", "log") and isinstance(call.func, ast.Attribute):
            for arg in call.args:  # the consoles read no markup: styled text needs message()
                literal = arg.value if isinstance(arg, ast.Constant) else None
                if isinstance(literal, str) and _MARKUP_TAG.search(literal):
                    problems.append(f"line {call.lineno}: markup in a plain str; use message()")
        if name == "TextColumn" and "task.description" in ast.unparse(call):
            problems.append(f"line {call.lineno}: a TextColumn reads the description as markup")
    source = module.read_text(encoding="utf-8")
    if re.search(r"^from rich import .*\bprint\b", source, re.MULTILINE):
        problems.append("rich's print reads markup; print through setu.cli._common's consoles")
    assert not problems, problems
