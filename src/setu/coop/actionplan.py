"""Parser of the 2009 Action Plan text into structured items.

The text (``seed/action_plan_2009.txt``, as published by the Ministry of Foreign Affairs of Japan,
https://www.mofa.go.jp/region/asia-paci/india/pmv0912/action.html) has this exact shape::

    Action Plan to advance Security Cooperation based on the Joint Declaration …
    December 29, 2009
    1. Strengthening Cooperation on Issues of Common Strategic Interest      <- section
      • Consolidate the Global and Strategic Partnership                      <- bullet
    3. Defence Cooperation
      • Developing of Annual Calendar of Defence Cooperation and Exchanges
        (1) Exercises                                                         <- sub-heading
        1. Annual bilateral naval exercises, alternately off India and Japan… <- sub-item
    9. Cooperation on disarmament and non-proliferation
      • Annual Dialogue on disarmament …
    New Delhi                                                                 <- end of the plan
    December 29, 2009

Everything before the first section heading and after the closing place line (an unindented
line followed by the date) is page furniture
and is ignored; any other unexpected line inside sections 1–9 is an error, so a changed text is
noticed rather than silently half-read. Cadence and level are read from the wording of each item
(:func:`cadence_of`, :func:`level_of`); the rest of an item's meaning (kind, owners, title,
alternation) comes from the reviewed file ``seed/action_plan_2009.json``.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime

from setu.errors import InputError

BULLET = "\u2022"
_SECTION = re.compile(r"^(\d+)\. (\S.*)$")
_BULLET = re.compile(r"^ {2}" + BULLET + r" (\S.*)$")
_SUBHEADING = re.compile(r"^ {4}\((\d+)\) (\S.*)$")
_SUBITEM = re.compile(r"^ {4}(\d+)\. (\S.*)$")
_DATE = re.compile(r"^([A-Z][a-z]+ \d{1,2}, \d{4})$")


class Cadence(enum.StrEnum):
    """How often a mechanism is meant to meet, in the Action Plan's own words."""

    ANNUAL = "annual"  # "Annual …"
    TWICE_A_YEAR = "twice_a_year"  # "(Basically twice a year)"
    ONCE_A_YEAR = "once_a_year"  # "(Basically once a year)"
    REGULAR = "regular"  # "Regular …": no number given
    WHEN_POSSIBLE = "when_possible"  # "…, when possible"
    ON_OCCASION = "on_occasion"  # "… during ship visits"
    UNSPECIFIED = "unspecified"


#: Engagements a cadence asks for per calendar year. "Regular" gives no number; the plan
#: assumes one a year (a desk officer can change it per mechanism). Occasional and
#: unspecified items are not scheduled by the calendar generator.
DEFAULT_SLOTS_PER_YEAR: dict[Cadence, int] = {
    Cadence.ANNUAL: 1,
    Cadence.TWICE_A_YEAR: 2,
    Cadence.ONCE_A_YEAR: 1,
    Cadence.REGULAR: 1,
    Cadence.WHEN_POSSIBLE: 0,
    Cadence.ON_OCCASION: 0,
    Cadence.UNSPECIFIED: 0,
}

_CADENCE_RULES: tuple[tuple[re.Pattern[str], Cadence], ...] = (
    (re.compile(r"twice a year", re.I), Cadence.TWICE_A_YEAR),
    (re.compile(r"once a year", re.I), Cadence.ONCE_A_YEAR),
    (re.compile(r"\bannual\b(?! calendar)", re.I), Cadence.ANNUAL),
    (re.compile(r"\bregular\b", re.I), Cadence.REGULAR),
    (re.compile(r"when possible", re.I), Cadence.WHEN_POSSIBLE),
    (re.compile(r"during ship visits", re.I), Cadence.ON_OCCASION),
)

_LEVEL_RULES: tuple[re.Pattern[str], ...] = (
    re.compile(r"at the level of (?P<level>[^.]+?)\.?$"),
    re.compile(r"at (?P<level>[A-Z][\w ]*?)-level"),
    re.compile(r"^(?P<level>[A-Z][\w /]*?) level Dialogue"),
)


@dataclass(frozen=True)
class ActionPlanItem:
    """One bullet (or numbered sub-item) of the Action Plan, in document order."""

    key: str  # "2.4" for a bullet; "3.7.1.1" for sub-item 1 under "(1)" of bullet 3.7
    position: int  # 1-based order in the document
    section: int
    section_title: str
    subsection: str | None  # e.g. "(1) Exercises"
    text: str
    cadence: Cadence
    level: str | None


@dataclass(frozen=True)
class ActionPlan:
    """The parsed plan: title, date and place of adoption, and its items."""

    title: str
    adopted_on: date
    place: str
    sections: dict[int, str]
    items: tuple[ActionPlanItem, ...]


def cadence_of(text: str) -> Cadence:
    """The cadence an item's wording states (first matching rule wins)."""
    for pattern, cadence in _CADENCE_RULES:
        if pattern.search(text):
            return cadence
    return Cadence.UNSPECIFIED


def level_of(text: str) -> str | None:
    """The level of representation an item's wording states, if it states one."""
    for pattern in _LEVEL_RULES:
        match = pattern.search(text)
        if match:
            return " ".join(match.group("level").split())
    return None


def _parse_date(text: str, line_no: int) -> date:
    try:
        return datetime.strptime(text, "%B %d, %Y").date()  # noqa: DTZ007 (a calendar date)
    except ValueError as exc:
        raise InputError(
            f"line {line_no}: {text!r} is not a date like 'December 29, 2009'"
        ) from exc


@dataclass
class _State:
    section: int = 0
    bullet: int = 0
    sub: int | None = None
    subtitle: str | None = None


def _header(lines: list[str]) -> tuple[str, date, int]:
    title_idx = next((i for i, line in enumerate(lines) if line.startswith("Action Plan")), None)
    if title_idx is None:
        raise InputError("no 'Action Plan …' title line found; is this the 2009 Action Plan text?")
    for i in range(title_idx + 1, len(lines)):
        match = _DATE.match(lines[i].strip())
        if match:
            return lines[title_idx].strip(), _parse_date(match.group(1), i + 1), i + 1
    raise InputError("no adoption date after the Action Plan title")


def parse_action_plan(text: str) -> ActionPlan:
    """Parse the Action Plan text; raises InputError on any line it does not understand."""
    lines = text.splitlines()
    title, adopted_on, start = _header(lines)
    sections: dict[int, str] = {}
    items: list[ActionPlanItem] = []
    state = _State()
    place = ""
    for idx in range(start, len(lines)):
        line = lines[idx].rstrip()
        if not line.strip():
            continue
        if match := _SECTION.match(line):
            number = int(match.group(1))
            if number != state.section + 1:
                raise InputError(f"line {idx + 1}: section {number} follows {state.section}")
            state = _State(section=number)
            sections[number] = match.group(2).strip()
            continue
        if state.section == 0:
            continue
        item = _item_from_line(line, idx + 1, state, sections, len(items) + 1)
        if item is not None:
            items.append(item)
            continue
        if _SUBHEADING.match(line) or _BULLET.match(line):
            continue
        if not line.startswith(" ") and _followed_by_date(lines, idx):
            place = line.strip()
            break
        raise InputError(f"line {idx + 1}: unexpected text in section {state.section}: {line!r}")
    if not place:
        raise InputError("the Action Plan text ends without its place of adoption")
    return ActionPlan(title, adopted_on, place, sections, tuple(items))


def _followed_by_date(lines: list[str], idx: int) -> bool:
    """True when the next non-empty line after ``idx`` is a date (the place-and-date close)."""
    for line in lines[idx + 1 :]:
        if line.strip():
            return bool(_DATE.match(line.strip()))
    return False


def _item_from_line(
    line: str, line_no: int, state: _State, sections: dict[int, str], position: int
) -> ActionPlanItem | None:
    """Turn one line into an item, updating ``state``; None for a sub-heading or no match."""
    if match := _BULLET.match(line):
        state.bullet += 1
        state.sub = None
        state.subtitle = None
        key = f"{state.section}.{state.bullet}"
        subsection = None
    elif match := _SUBHEADING.match(line):
        if state.bullet == 0:
            raise InputError(f"line {line_no}: sub-heading before any bullet")
        state.sub = int(match.group(1))
        state.subtitle = f"({state.sub}) {match.group(2).strip()}"
        return None
    elif match := _SUBITEM.match(line):
        if state.sub is None:
            raise InputError(f"line {line_no}: numbered item outside a sub-heading")
        key = f"{state.section}.{state.bullet}.{state.sub}.{match.group(1)}"
        subsection = state.subtitle
    else:
        return None
    text = " ".join(match.group(len(match.groups())).split())
    return ActionPlanItem(
        key=key,
        position=position,
        section=state.section,
        section_title=sections[state.section],
        subsection=subsection,
        text=text,
        cadence=cadence_of(text),
        level=level_of(text),
    )


def seed_bullets(text: str) -> list[str]:
    """Every bullet and numbered sub-item line of sections 1–9, whitespace-normalised.

    A deliberately independent, line-based reading used to check the parser: it does not know
    about sections, only about where the plan starts (section 1) and ends (the place line).
    """
    out: list[str] = []
    inside = False
    for line in text.splitlines():
        if line.startswith("1. "):
            inside = True
        if inside and line and not line[0].isspace() and not re.match(r"^\d+\. ", line):
            break
        if inside and (line.startswith("  " + BULLET + " ") or re.match(r"^ {4}\d+\. ", line)):
            out.append(" ".join(re.sub(r"^\s*(?:" + BULLET + r"|\d+\.)\s", "", line).split()))
    return out
