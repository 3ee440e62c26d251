"""The cooperation framework: agreements, mechanisms, the Annual Calendar, meetings, exercises.

Owns the 2009 Action Plan parser (:mod:`setu.coop.actionplan`), the packaged seed data
(``setu/coop/seed``: the Action Plan text, its reviewed reading, the agreements with their
sources, the exercise series), the tables (:mod:`setu.coop.models`), calendar generation and
iCalendar export (:mod:`setu.coop.calendar`), compliance (:mod:`setu.coop.compliance`),
meetings and action items (:mod:`setu.coop.meetings`), the exercise register
(:mod:`setu.coop.exercises`) and the Python API, :class:`Cooperation`.

May import :mod:`setu.db`, :mod:`setu.errors`, :mod:`setu.clock`, SQLAlchemy, icalendar and
shapely. It does not import the CLI, the AIS store or any web code.
"""

from __future__ import annotations

from setu.coop.actionplan import ActionPlan, ActionPlanItem, Cadence, parse_action_plan
from setu.coop.meetings import DelegationIn, OutcomeIn
from setu.coop.service import Cooperation

__all__ = [
    "ActionPlan",
    "ActionPlanItem",
    "Cadence",
    "Cooperation",
    "DelegationIn",
    "OutcomeIn",
    "parse_action_plan",
]
