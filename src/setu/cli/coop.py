"""CLI commands: ``setu coop …`` for desk officers (see setu.cli for the map of modules).

Agreements and their lineage, the Action Plan mechanisms, the Annual Calendar (generate,
schedule, move, hold, cancel, iCalendar export), compliance, meetings with outcomes and action
items, overdue alerts, and the exercise register. Every listing takes ``--json``. The framework
is seeded from the packaged sources on first use.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from setu.cli._common import console, print_json, settings_from
from setu.errors import ValidationError

if TYPE_CHECKING:
    from setu.coop import Cooperation

coop_app = typer.Typer(
    name="coop", help="The cooperation framework (desk officers).", no_args_is_help=True
)
agreements_app = typer.Typer(help="Agreements and their lineage.", no_args_is_help=True)
mechanisms_app = typer.Typer(
    help="Dialogue mechanisms and other Action Plan items.", no_args_is_help=True
)
calendar_app = typer.Typer(
    help="The Annual Calendar of Defence Cooperation and Exchanges.", no_args_is_help=True
)
meetings_app = typer.Typer(
    help="Meeting records: delegations, agenda, outcomes.", no_args_is_help=True
)
actions_app = typer.Typer(help="Action items from meetings.", no_args_is_help=True)
exercises_app = typer.Typer(help="The exercise register.", no_args_is_help=True)

JSON_OPT = typer.Option(False, "--json", help="Print JSON instead of a table.")


def _service(ctx: typer.Context) -> Cooperation:
    from setu.coop import Cooperation
    from setu.db import open_database
    from setu.db.records import actor_name

    db = open_database(settings_from(ctx))
    ctx.call_on_close(db.dispose)
    coop = Cooperation(db, actor=actor_name())
    coop.ensure_seeded()
    return coop


def _out(data: Any, as_json: bool, columns: list[str], title: str) -> None:
    from setu.db.records import jsonable

    if as_json:
        print_json(jsonable(data))
        return
    from setu.cli._render import data_table

    rows = data if isinstance(data, list) else [data]
    shown = ([_cell(row.get(c)) for c in columns] for row in rows)
    console.print(data_table(columns, shown, title=title))


def _cell(value: Any) -> str:
    from setu.db.records import jsonable

    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {jsonable(v)}" for k, v in value.items())
    return str(jsonable(value))


def _show(data: dict[str, Any], as_json: bool, title: str) -> None:
    from setu.db.records import jsonable

    if as_json:
        print_json(jsonable(data))
        return
    from setu.cli._render import Col, data_table, lines_cell

    rows: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            rows.append((key, lines_cell(json.dumps(jsonable(v), default=str) for v in value)))
        elif isinstance(value, str):  # a summary may run over several lines
            rows.append((key, lines_cell(value.split("\n"))))
        else:
            rows.append((key, _cell(value)))
    columns = [Col("field", style="bold"), Col("value")]
    console.print(data_table(columns, rows, title=title, show_header=False))


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(f"{option} {text!r} is not a date YYYY-MM-DD") from exc


def _req_date(text: str, option: str) -> date:
    value = _date(text, option)
    assert value is not None
    return value


# -- seed and compliance ---------------------------------------------------------------------
@coop_app.command("seed")
def seed(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """Add the packaged framework (agreements, Action Plan, exercise series); idempotent."""
    report = _service(ctx).seed().as_dict()
    _out(report, as_json, list(report), "added")


@coop_app.command("compliance")
def compliance(
    ctx: typer.Context,
    year: int = typer.Option(..., "--year", help="Calendar year."),
    as_json: bool = JSON_OPT,
) -> None:
    """Due versus held per mechanism; overdue and missed engagements flagged."""
    coop = _service(ctx)
    rows = coop.compliance(year)
    if as_json:
        print_json({"year": year, "mechanisms": rows, "flags": coop.flags(year)})
        return
    cols = ["mechanism", "title", "cadence", "due", "held", "scheduled", "cancelled"]
    _out(rows, False, [*cols, "overdue", "missed", "status"], f"Compliance {year}")
    flags = coop.flags(year)
    if flags:
        _out(flags, False, ["engagement_id", "mechanism", "title", "end_on", "flag"], "Flags")


@coop_app.command("alerts")
def alerts(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """Overdue action items and overdue or missed engagements, as of today."""
    rows = _service(ctx).alerts()
    _out(
        rows,
        as_json,
        ["kind", "id", "mechanism", "what", "owner", "due_on", "days_overdue"],
        "Alerts",
    )


# -- agreements ------------------------------------------------------------------------------
AGREEMENT_COLS = ["key", "signed_on", "place", "status", "title"]


@agreements_app.command("list")
def agreements_list(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """Every agreement of the framework, oldest first."""
    _out(_service(ctx).list_agreements(), as_json, AGREEMENT_COLS, "Agreements")


@agreements_app.command("show")
def agreements_show(ctx: typer.Context, key: str, as_json: bool = JSON_OPT) -> None:
    """One agreement with its relations, mechanisms and lineage."""
    coop = _service(ctx)
    data = coop.get_agreement(key) | {"lineage": coop.lineage(key)}
    _show(data, as_json, key)


@agreements_app.command("create")
def agreements_create(
    ctx: typer.Context,
    key: str = typer.Option(..., help="Short unique key, e.g. 'jimex-ia-2027'."),
    title: str = typer.Option(..., help="Full title."),
    kind: str = typer.Option("agreement", help="agreement, memorandum, joint_declaration…"),
    signed_on: str | None = typer.Option(None, help="YYYY-MM-DD."),
    place: str | None = typer.Option(None),
    status: str = typer.Option("signed", help="under_negotiation, signed, in_force, …"),
    term_years: int | None = typer.Option(None),
    renewal: str | None = typer.Option(None),
    source: str = typer.Option("", help="Where the facts come from."),
    classification: str = typer.Option("UNCLASSIFIED"),
    as_json: bool = JSON_OPT,
) -> None:
    """Register a new agreement."""
    data = _service(ctx).create_agreement(
        key,
        title,
        kind=kind,
        signed_on=signed_on,
        place=place,
        status=status,
        term_years=term_years,
        renewal=renewal,
        source=source,
        classification=classification,
    )
    _show(data, as_json, key)


@agreements_app.command("update")
def agreements_update(
    ctx: typer.Context,
    key: str,
    status: str | None = typer.Option(None),
    entry_into_force: str | None = typer.Option(None, help="YYYY-MM-DD."),
    place: str | None = typer.Option(None),
    summary: str | None = typer.Option(None),
    source: str | None = typer.Option(None),
    classification: str | None = typer.Option(None),
    as_json: bool = JSON_OPT,
) -> None:
    """Change an agreement's status, entry into force, place, summary, source or marking."""
    fields = {
        k: v
        for k, v in {
            "status": status,
            "entry_into_force": entry_into_force,
            "place": place,
            "summary": summary,
            "source": source,
            "classification": classification,
        }.items()
        if v is not None
    }
    _show(_service(ctx).update_agreement(key, **fields), as_json, key)


@agreements_app.command("relate")
def agreements_relate(
    ctx: typer.Context,
    from_key: str,
    relation: str = typer.Argument(..., help="implements, supersedes, amends or builds_on"),
    to_key: str = typer.Argument(...),
    note: str = typer.Option(""),
    as_json: bool = JSON_OPT,
) -> None:
    """Record lineage: FROM implements/supersedes/amends/builds_on TO."""
    _show(_service(ctx).relate(from_key, relation, to_key, note), as_json, from_key)


@agreements_app.command("export")
def agreements_export(
    ctx: typer.Context, out: Path | None = typer.Option(None, help="File (default stdout).")
) -> None:
    """Every agreement with relations and mechanisms, as JSON."""
    from setu.cli._common import export_json

    export_json(_service(ctx).list_agreements(), out)


# -- mechanisms ------------------------------------------------------------------------------
MECH_COLS = ["key", "kind", "cadence", "slots_per_year", "alternation", "title", "owners"]


@mechanisms_app.command("list")
def mechanisms_list(
    ctx: typer.Context,
    section: int | None = typer.Option(None, help="Action Plan section 1–9."),
    kind: str | None = typer.Option(None, help="dialogue, exercise, exchange, …"),
    scheduled: bool = typer.Option(False, help="Only mechanisms the calendar schedules."),
    as_json: bool = JSON_OPT,
) -> None:
    """Action Plan items as mechanisms, in document order."""
    rows = _service(ctx).list_mechanisms(section=section, kind=kind, scheduled=scheduled)
    _out(rows, as_json, MECH_COLS, "Mechanisms")


@mechanisms_app.command("show")
def mechanisms_show(ctx: typer.Context, key: str, as_json: bool = JSON_OPT) -> None:
    """One mechanism (key like ap2009-2.4 or just 2.4)."""
    _show(_service(ctx).get_mechanism(key), as_json, key)


@mechanisms_app.command("update")
def mechanisms_update(
    ctx: typer.Context,
    key: str,
    slots_per_year: int | None = typer.Option(None),
    preferred_month: int | None = typer.Option(None),
    duration_days: int | None = typer.Option(None),
    alternation: str | None = typer.Option(None, help="none, host or waters."),
    anchor_year: int | None = typer.Option(None),
    anchor_host: str | None = typer.Option(None, help="IN or JP: host in the anchor year."),
    classification: str | None = typer.Option(None),
    as_json: bool = JSON_OPT,
) -> None:
    """Change planning defaults of a mechanism."""
    values = {
        "slots_per_year": slots_per_year,
        "preferred_month": preferred_month,
        "duration_days": duration_days,
        "alternation": alternation,
        "anchor_year": anchor_year,
        "anchor_host": anchor_host,
        "classification": classification,
    }
    fields = {k: v for k, v in values.items() if v is not None}
    _show(_service(ctx).update_mechanism(key, **fields), as_json, key)


# -- calendar --------------------------------------------------------------------------------
ENG_COLS = ["id", "mechanism", "title", "start_on", "end_on", "host", "place", "status"]


@calendar_app.command("generate")
def calendar_generate(
    ctx: typer.Context, year: int = typer.Option(..., "--year"), as_json: bool = JSON_OPT
) -> None:
    """Create the year's proposed engagements from cadences and alternation (idempotent)."""
    rows = _service(ctx).generate_calendar(year)
    _out(rows, as_json, ENG_COLS, f"Generated {len(rows)} engagement(s) for {year}")


@calendar_app.command("list")
def calendar_list(
    ctx: typer.Context,
    year: int | None = typer.Option(None, "--year"),
    mechanism: str | None = typer.Option(None),
    status: str | None = typer.Option(None),
    as_json: bool = JSON_OPT,
) -> None:
    """Engagements of the calendar, by date."""
    rows = _service(ctx).list_engagements(year=year, mechanism=mechanism, status=status)
    _out(rows, as_json, ENG_COLS, f"Calendar {year or ''}".strip())


@calendar_app.command("show")
def calendar_show(ctx: typer.Context, engagement_id: int, as_json: bool = JSON_OPT) -> None:
    """One engagement and its change history."""
    _show(_service(ctx).get_engagement(engagement_id), as_json, f"engagement {engagement_id}")


@calendar_app.command("schedule")
def calendar_schedule(
    ctx: typer.Context,
    engagement_id: int,
    start: str = typer.Option(..., help="YYYY-MM-DD."),
    end: str | None = typer.Option(None, help="YYYY-MM-DD (default: start)."),
    place: str | None = typer.Option(None),
    host: str | None = typer.Option(None, help="IN or JP."),
    as_json: bool = JSON_OPT,
) -> None:
    """Fix the agreed dates of an engagement."""
    row = _service(ctx).schedule(
        engagement_id,
        _req_date(start, "--start"),
        _date(end, "--end"),
        place=place,
        host=host,
    )
    _out(row, as_json, ENG_COLS, "Scheduled")


@calendar_app.command("move")
def calendar_move(
    ctx: typer.Context,
    engagement_id: int,
    start: str = typer.Option(..., help="YYYY-MM-DD."),
    end: str | None = typer.Option(None, help="YYYY-MM-DD (default: keep the length)."),
    as_json: bool = JSON_OPT,
) -> None:
    """Move an engagement to new dates."""
    row = _service(ctx).move(engagement_id, _req_date(start, "--start"), _date(end, "--end"))
    _out(row, as_json, ENG_COLS, "Moved")


@calendar_app.command("hold")
def calendar_hold(
    ctx: typer.Context,
    engagement_id: int,
    reason: str = typer.Option(..., help="Why it is on hold."),
    as_json: bool = JSON_OPT,
) -> None:
    """Put an engagement on hold."""
    _out(_service(ctx).hold(engagement_id, reason), as_json, ENG_COLS, "On hold")


@calendar_app.command("resume")
def calendar_resume(ctx: typer.Context, engagement_id: int, as_json: bool = JSON_OPT) -> None:
    """Take an engagement off hold (it becomes scheduled)."""
    _out(_service(ctx).resume(engagement_id), as_json, ENG_COLS, "Resumed")


@calendar_app.command("cancel")
def calendar_cancel(
    ctx: typer.Context,
    engagement_id: int,
    reason: str = typer.Option(..., help="Why it is cancelled."),
    as_json: bool = JSON_OPT,
) -> None:
    """Cancel an engagement."""
    _out(_service(ctx).cancel(engagement_id, reason), as_json, ENG_COLS, "Cancelled")


@calendar_app.command("export")
def calendar_export(
    ctx: typer.Context,
    year: int | None = typer.Option(None, "--year"),
    mechanism: str | None = typer.Option(None, help="One mechanism's calendar."),
    out: Path | None = typer.Option(None, help="The .ics file (default stdout)."),
) -> None:
    """RFC 5545 iCalendar for Outlook and Google Calendar: per year or per mechanism."""
    data = _service(ctx).export_ical(year=year, mechanism=mechanism)
    if out is None:
        typer.echo(data.decode("utf-8"), nl=False)
    else:
        out.write_bytes(data)
        console.print(f"wrote {out} ({data.count(b'BEGIN:VEVENT')} events)")


# -- meetings and action items ---------------------------------------------------------------
MEETING_COLS = ["id", "mechanism", "start_on", "place", "host", "agenda"]
ACTION_COLS = ["id", "mechanism", "text", "owner", "due_on", "status", "overdue"]


def _split(text: str, parts: int, option: str) -> list[str]:
    fields = [f.strip() for f in text.split("|")]
    if len(fields) != parts:
        raise ValidationError(f"{option} {text!r} needs {parts} fields separated by '|'")
    return fields


@meetings_app.command("create")
def meetings_create(
    ctx: typer.Context,
    mechanism: str = typer.Option(..., help="Mechanism key (ap2009-2.4 or 2.4)."),
    start: str = typer.Option(..., help="YYYY-MM-DD."),
    end: str | None = typer.Option(None, help="YYYY-MM-DD."),
    place: str = typer.Option(...),
    host: str = typer.Option(..., help="IN or JP."),
    agenda: list[str] | None = typer.Option(None, help="Agenda item (repeatable)."),
    delegation: list[str] | None = typer.Option(
        None, help="'PARTY|leader|level' (repeatable), e.g. 'IN|Foreign Secretary|Secretary'."
    ),
    outcome: list[str] | None = typer.Option(
        None, help="'decision|text', 'information|text' or 'action|text' (repeatable)."
    ),
    summary: str = typer.Option(""),
    engagement: int | None = typer.Option(None, help="Calendar engagement this meeting held."),
    classification: str = typer.Option("UNCLASSIFIED"),
    as_json: bool = JSON_OPT,
) -> None:
    """Record a meeting of a mechanism (marks its calendar engagement held)."""
    from setu.coop import DelegationIn, OutcomeIn

    parts = [_split(d, 3, "--delegation") for d in delegation or []]
    delegations = [DelegationIn(party=p[0], leader=p[1], level=p[2]) for p in parts]
    outcomes = [OutcomeIn(*_split(o, 2, "--outcome")) for o in outcome or []]
    data = _service(ctx).record_meeting(
        mechanism,
        start_on=_req_date(start, "--start"),
        end_on=_date(end, "--end"),
        place=place,
        host=host,
        agenda=agenda or [],
        delegations=delegations,
        outcomes=outcomes,
        summary=summary,
        engagement_id=engagement,
        classification=classification,
    )
    _show(data, as_json, f"meeting {data['id']}")


@meetings_app.command("list")
def meetings_list(
    ctx: typer.Context, mechanism: str | None = typer.Option(None), as_json: bool = JSON_OPT
) -> None:
    """Recorded meetings, by date."""
    _out(_service(ctx).list_meetings(mechanism=mechanism), as_json, MEETING_COLS, "Meetings")


@meetings_app.command("show")
def meetings_show(ctx: typer.Context, meeting_id: int, as_json: bool = JSON_OPT) -> None:
    """One meeting with delegations, outcomes and action items."""
    _show(_service(ctx).get_meeting(meeting_id), as_json, f"meeting {meeting_id}")


@actions_app.command("add")
def actions_add(
    ctx: typer.Context,
    meeting_id: int,
    text: str = typer.Option(...),
    owner: str = typer.Option(..., help="Who must act (ministry, division or officer)."),
    due: str = typer.Option(..., help="YYYY-MM-DD."),
    outcome: int | None = typer.Option(None, help="The outcome it follows from."),
    as_json: bool = JSON_OPT,
) -> None:
    """Add an action item to a meeting."""
    row = _service(ctx).add_action_item(
        meeting_id, text=text, owner=owner, due_on=_req_date(due, "--due"), outcome_id=outcome
    )
    _out(row, as_json, ACTION_COLS, "Action item")


@actions_app.command("list")
def actions_list(
    ctx: typer.Context,
    status: str | None = typer.Option(None, help="open, in_progress, done, cancelled."),
    overdue: bool = typer.Option(False, "--overdue", help="Only overdue items."),
    as_json: bool = JSON_OPT,
) -> None:
    """Action items by due date."""
    rows = _service(ctx).list_action_items(status=status, overdue=overdue)
    _out(rows, as_json, ACTION_COLS, "Action items")


@actions_app.command("update")
def actions_update(
    ctx: typer.Context,
    item_id: int,
    status: str | None = typer.Option(None),
    owner: str | None = typer.Option(None),
    due: str | None = typer.Option(None, help="YYYY-MM-DD."),
    as_json: bool = JSON_OPT,
) -> None:
    """Change an action item's status, owner or due date."""
    row = _service(ctx).update_action_item(
        item_id, status=status, owner=owner, due_on=_date(due, "--due")
    )
    _out(row, as_json, ACTION_COLS, "Action item")


# -- exercises -------------------------------------------------------------------------------
EDITION_COLS = ["id", "series", "name", "start_on", "end_on", "host", "area_name"]


@exercises_app.command("series")
def exercises_series(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """Exercise series in the register."""
    cols = ["key", "name", "domain", "scope", "editions"]
    _out(_service(ctx).list_series(), as_json, cols, "Exercise series")


@exercises_app.command("create")
def exercises_create(
    ctx: typer.Context,
    series: str = typer.Option(..., help="Series key (jimex, malabar, dharma-guardian, …)."),
    name: str = typer.Option(..., help="Edition name, e.g. 'JIMEX 26'."),
    start: str = typer.Option(..., help="YYYY-MM-DD."),
    end: str = typer.Option(..., help="YYYY-MM-DD."),
    host: str | None = typer.Option(None, help="ISO country code of the host."),
    area_name: str | None = typer.Option(None),
    area: Path | None = typer.Option(
        None,
        help="GeoJSON file with the exercise area.",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
    unit: list[str] | None = typer.Option(None, help="'CC|service|unit' (repeatable)."),
    engagement: int | None = typer.Option(None, help="Calendar engagement it fulfils."),
    classification: str = typer.Option("UNCLASSIFIED"),
    as_json: bool = JSON_OPT,
) -> None:
    """Record an edition of an exercise series."""
    from setu.coop.exercises import read_area

    geo = read_area(area) if area is not None else None
    units = [_split(u, 3, "--unit") for u in unit or []]
    data = _service(ctx).create_edition(
        series,
        name=name,
        start_on=_req_date(start, "--start"),
        end_on=_req_date(end, "--end"),
        host=host,
        area_name=area_name,
        area=geo,
        units=[(u[0], u[1], u[2]) for u in units],
        engagement_id=engagement,
        classification=classification,
    )
    _show(data, as_json, data["name"])


@exercises_app.command("list")
def exercises_list(
    ctx: typer.Context,
    series: str | None = typer.Option(None),
    year: int | None = typer.Option(None, "--year"),
    as_json: bool = JSON_OPT,
) -> None:
    """Exercise editions by date."""
    rows = _service(ctx).list_editions(series=series, year=year)
    _out(rows, as_json, EDITION_COLS, "Exercises")


@exercises_app.command("show")
def exercises_show(ctx: typer.Context, edition_id: int, as_json: bool = JSON_OPT) -> None:
    """One edition with its units and area."""
    _show(_service(ctx).get_edition(edition_id), as_json, f"edition {edition_id}")


@exercises_app.command("export")
def exercises_export(
    ctx: typer.Context,
    series: str | None = typer.Option(None),
    out: Path | None = typer.Option(None, help="GeoJSON file (default stdout)."),
) -> None:
    """Exercise areas as a GeoJSON FeatureCollection."""
    from setu.cli._common import dumps

    text = dumps(_service(ctx).editions_geojson(series=series))
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        console.print(f"wrote {out}")


def register(app: typer.Typer) -> None:
    """Add ``setu coop`` (and its sub-groups) to the root app."""
    coop_app.add_typer(agreements_app, name="agreements")
    coop_app.add_typer(mechanisms_app, name="mechanisms")
    coop_app.add_typer(calendar_app, name="calendar")
    coop_app.add_typer(meetings_app, name="meetings")
    coop_app.add_typer(actions_app, name="actions")
    coop_app.add_typer(exercises_app, name="exercises")
    app.add_typer(coop_app, name="coop")
