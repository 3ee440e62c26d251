"""Release to the partner nation and onward release to a third nation (issue 8 "Release",
"Third parties", "Purpose limitation"; reference notes R5-R7, R15).

Every decision goes through :func:`setu.security.gate.authorize`, and every step is appended to
the disclosure log (:class:`setu.security.audit.AuditLog`) *before* the database says it
happened, so a failed append leaves nothing released:

- :meth:`ReleaseDesk.submit` — a request names items, a recipient node and a purpose. The gate
  decides ``release`` (recipient nation in the label's releasable-to) or ``onward_release``
  (a third nation: only with a stored consent signed by the originating node, verified again at
  every decision). Refused items are recorded as refused with the policies that refused them;
  allowed items matching a standing rule are released at once, recorded with the rule's id;
  everything else waits in the queue.
- :meth:`ReleaseDesk.approve` / :meth:`~ReleaseDesk.refuse` — a releasing officer decides a
  queued request: the gate decides ``approve_release`` for the officer and ``release`` again for
  the recipient (a consent may have expired meanwhile). The record keeps who, what, to whom,
  under which rule (``standing-rule:N`` or ``officer-approval``), and when.
- :meth:`ReleaseDesk.queue` / :meth:`~ReleaseDesk.history` — read paths: a viewer sees only the
  requests whose objects the gate lets them read; a forbidden id answers as an unknown one.
- Consents (R5, R6): ``ReleaseDesk.consents``, a
  :class:`~setu.security.release_consent.ConsentStore` (grant at the originator, import at the
  recipient, checked again at every decision).

A release marks an item as cleared to be sent; sending it is the exchange's job (next issue).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from setu.clock import Clock, utc_now
from setu.db import Database
from setu.security.audit import AuditEntry, AuditLog, EntryKind
from setu.security.consent import (
    VerifiedConsent,
)
from setu.security.errors import (
    AccessDenied,
    InvalidRequestError,
    ReleaseRequestNotFoundError,
    ReleaseRuleNotFoundError,
    ReleaseStateError,
)
from setu.security.gate import Action, Decisions, RequestContext, Resource, authorize
from setu.security.labels import Label
from setu.security.models_principals import PrincipalKind
from setu.security.models_release import (
    ReleaseRequestRow,
    ReleaseRuleRow,
    ReleaseState,
)
from setu.security.node import TrustedKey
from setu.security.principals import Principal, PrincipalStore
from setu.security.release_consent import ConsentStore, covering
from setu.security.release_rules import (
    OFFICER_APPROVAL,
    BBox,
    ObjectKind,
    ReleaseItem,
    ReleaseRequest,
    StandingRule,
    ceiling_rank,
)

_NOT_FOUND = "no release request {} that you may see; list them with `setu release queue`"

TrustedKeys = Mapping[str, TrustedKey]  # node name -> its signing key (partners and our own)


@dataclass(frozen=True)
class Office:
    """What every protective act needs: the database, the disclosure log, this node and the
    clock. Shared by release, re-classification, retention and compromise."""

    db: Database
    audit: AuditLog
    local_nation: str
    local_node: str
    clock: Clock = utc_now

    def context(
        self, *, purpose: str | None = None, consent: VerifiedConsent | None = None
    ) -> RequestContext:
        return RequestContext(
            local_nation=self.local_nation,
            local_node=self.local_node,
            now=self.clock(),
            purpose=purpose,
            consent=consent,
        )

    def decide(
        self,
        principal: Principal,
        action: Action,
        resources: Iterable[Resource],
        *,
        purpose: str | None = None,
        consent: VerifiedConsent | None = None,
    ) -> Decisions:
        """The gate's decision, audited in this node's disclosure log."""
        return authorize(
            principal,
            action,
            resources,
            context=self.context(purpose=purpose, consent=consent),
            audit=self.audit.decision_hook(),
        )

    def readable(self, viewer: Principal, resources: Sequence[Resource]) -> frozenset[str]:
        """Ids of ``resources`` that ``viewer`` may read (nothing to decide: nothing asked)."""
        if not resources:
            return frozenset()
        return self.decide(viewer, Action.READ, resources).allowed_ids


def _release_entry(
    principal: str, request: ReleaseRequest, action: str, rule: str, reason: str
) -> AuditEntry:
    """The disclosure-log entry of one release step: who, what, to whom, under which rule."""
    return AuditEntry(
        kind=EntryKind.RELEASE,
        principal=principal,
        action=action,
        object_ids=(request.object_id,),
        recipient=request.recipient_nation,
        purpose=request.purpose,
        rule=rule,
        reason=reason,
        details={
            "request_id": request.request_id,
            "object_kind": request.object_kind,
            "recipient_node": request.recipient,
            "label": request.label.to_dict(),
            "content_sha256": request.content_sha256,
            "consent_id": request.consent_id,
        },
    )


class ReleaseDesk:
    """Release requests, standing rules and consents of this node (see the module doc)."""

    def __init__(self, office: Office, trusted_keys: TrustedKeys) -> None:
        self.office = office
        self.trusted_keys = trusted_keys
        self.consents = ConsentStore(office, trusted_keys)

    # --- standing rules ---------------------------------------------------------------------

    def add_rule(
        self,
        officer: Principal,
        *,
        object_kind: ObjectKind | str,
        max_level: str,
        nations: Iterable[str],
        purposes: Iterable[str],
        bbox: BBox | None = None,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
    ) -> StandingRule:
        """Declare a standing rule. The gate decides ``approve_release`` for ``officer`` on the
        rule's ceiling (a label at ``max_level`` for these nations and purposes): only a
        releasing officer cleared to that level with need-to-know for the purposes may."""
        office = self.office
        now = office.clock()
        rule = StandingRule(
            object_kind=ObjectKind(object_kind),
            max_level=max_level,
            max_rank=ceiling_rank(office.local_nation, max_level),
            nations=frozenset(nations),
            purposes=frozenset(purposes),
            created_by=officer.name,
            created_at=now,
            bbox=bbox,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        ceiling = [Resource("rule", self._ceiling(rule))]
        office.decide(officer, Action.APPROVE_RELEASE, ceiling).require_all()
        with office.db.session(write=True) as session:
            row = rule.to_row()
            row.active = False  # active once the log holds it: nothing unlogged takes effect
            session.add(row)
            session.flush()
            rule_id = row.id
        office.audit.append(
            AuditEntry(
                kind=EntryKind.RELEASE,
                principal=officer.name,
                action="release_rule_add",
                rule=f"standing-rule:{rule_id}",
                reason="standing release rule declared",
                details=_jsonable({**rule.to_dict(), "rule_id": rule_id}),
            )
        )
        with office.db.session(write=True) as session:
            stored_row = session.get(ReleaseRuleRow, rule_id)
            assert stored_row is not None
            stored_row.active = True
            session.flush()
            return StandingRule.from_row(stored_row)

    def deactivate_rule(self, officer: Principal, rule_id: int) -> StandingRule:
        """Stop a standing rule (only a releasing officer; it stays listed, inactive)."""
        rule = self._rule(rule_id)
        self.office.decide(
            officer, Action.APPROVE_RELEASE, [Resource("rule", self._ceiling(rule))]
        ).require_all()
        self.office.audit.append(
            AuditEntry(
                kind=EntryKind.RELEASE,
                principal=officer.name,
                action="release_rule_deactivate",
                rule=f"standing-rule:{rule_id}",
                reason="standing release rule stopped",
            )
        )
        with self.office.db.session(write=True) as session:
            row = session.get(ReleaseRuleRow, rule_id)
            assert row is not None
            row.active = False
            session.flush()
            return StandingRule.from_row(row)

    def _ceiling(self, rule: StandingRule) -> Label:
        return Label(
            originator_nation=self.office.local_nation,
            originator_node=self.office.local_node,
            classification=rule.max_level,
            releasable_to=rule.nations,
            purposes=rule.purposes,
            caveats=frozenset(),
            created_at=rule.created_at,
        )

    def _rule(self, rule_id: int) -> StandingRule:
        with self.office.db.session(write=False) as session:
            row = session.get(ReleaseRuleRow, rule_id)
            if row is None:
                raise ReleaseRuleNotFoundError(
                    f"no standing release rule {rule_id}; see `setu release rules list`"
                )
            return StandingRule.from_row(row)

    def rules(self, *, active_only: bool = False) -> list[StandingRule]:
        query = select(ReleaseRuleRow).order_by(ReleaseRuleRow.id)
        if active_only:
            query = query.where(ReleaseRuleRow.active.is_(True))
        with self.office.db.session(write=False) as session:
            return [StandingRule.from_row(r) for r in session.scalars(query)]

    # --- requests ---------------------------------------------------------------------------

    def submit(
        self,
        requester: Principal,
        items: Sequence[ReleaseItem],
        *,
        recipient: Principal,
        purpose: str,
    ) -> list[ReleaseRequest]:
        """Propose ``items`` for release to ``recipient`` (a partner node) for ``purpose``."""
        office = self.office
        if recipient.kind is not PrincipalKind.NODE:
            raise InvalidRequestError(
                f"{recipient.name!r} is a user; release goes to a partner node (see "
                "`setu users add-node`)"
            )
        if not items:
            return []
        resources = [Resource(i.object_id, i.label) for i in items]
        if office.readable(requester, resources) != {i.object_id for i in items}:
            raise AccessDenied(
                "you may only propose for release what you may read; check the labels and "
                "your clearance and need-to-know"
            )
        consents = self.consents.for_recipient(recipient.nation)
        outcomes = self._gate_release(items, recipient, purpose, consents)
        rules = self.rules(active_only=True)
        now = office.clock()
        pending: list[tuple[ReleaseRequestRow, StandingRule | None]] = []
        for item in items:
            allowed, reasons, consent_id = outcomes[item.object_id]
            rule = None
            if allowed and consent_id is None:
                rule = next((r for r in rules if r.matches(item, recipient.nation, purpose)), None)
            row = _request_row(item, recipient, purpose, requester.name, now, consent_id)
            if not allowed:
                row.state = ReleaseState.REFUSED
                row.decided_by, row.decided_at = "gate", now
                row.reason = "refused by policy: " + ",".join(reasons)
            pending.append((row, rule))
        with office.db.session(write=True) as session:
            session.add_all(row for row, _ in pending)
            session.flush()
            stored = [(ReleaseRequest.from_row(row), rule) for row, rule in pending]
        receipts = office.audit.append_many(
            _release_entry(requester.name, request, *_submit_step(request, rule))
            for request, rule in stored
        )
        return self._apply_submit(stored, [r.index for r in receipts], requester.name, now)

    def _apply_submit(
        self,
        stored: list[tuple[ReleaseRequest, StandingRule | None]],
        indexes: list[int],
        requester: str,
        now: datetime,
    ) -> list[ReleaseRequest]:
        ids = [request.request_id for request, _ in stored]
        with self.office.db.session(write=True) as session:
            rows = {
                r.id: r
                for r in session.scalars(
                    select(ReleaseRequestRow).where(ReleaseRequestRow.id.in_(ids))
                )
            }
            for (request, rule), index in zip(stored, indexes, strict=True):
                row = rows[request.request_id]
                row.audit_index = index
                if rule is not None:  # released under a standing rule, now that it is logged
                    row.state = ReleaseState.RELEASED
                    row.rule_id = rule.rule_id
                    row.decided_by, row.decided_at = requester, now
                    row.reason = "standing rule"
            session.flush()
            return [ReleaseRequest.from_row(rows[i]) for i in ids]

    def _gate_release(
        self,
        items: Sequence[ReleaseItem],
        recipient: Principal,
        purpose: str,
        consents: Sequence[VerifiedConsent],
    ) -> dict[str, tuple[bool, tuple[str, ...], str | None]]:
        """Per object id: allowed, the policies that decided, the consent used (if any).

        Items going to a nation their label names are decided as ``release``; the others as
        ``onward_release`` with the first stored, verified consent from their originator that
        names them (none: the gate refuses). ORCON items held from another node also need one.
        """
        groups: dict[tuple[Action, str | None], list[ReleaseItem]] = {}
        for item in items:
            consent = covering(consents, item)
            onward = recipient.nation not in item.label.releasable_to
            action = Action.ONWARD_RELEASE if onward else Action.RELEASE
            key = (action, consent.consent_id if consent is not None else None)
            groups.setdefault(key, []).append(item)
        by_id = {c.consent_id: c for c in consents}
        out: dict[str, tuple[bool, tuple[str, ...], str | None]] = {}
        for (action, consent_id), group in groups.items():
            consent = by_id.get(consent_id) if consent_id else None
            decisions = self.office.decide(
                recipient,
                action,
                [Resource(i.object_id, i.label) for i in group],
                purpose=purpose,
                consent=consent,
            )
            for decided in decisions.groups:
                for object_id in decided.object_ids:
                    out[object_id] = (
                        decisions.is_allowed(object_id),
                        decided.reasons,
                        consent_id,
                    )
        return out

    def _visible(self, viewer: Principal, request_id: int) -> ReleaseRequest:
        """The request if ``viewer`` may read its object; an unknown and a forbidden id give
        the same :class:`ReleaseRequestNotFoundError`."""
        with self.office.db.session(write=False) as session:
            row = session.get(ReleaseRequestRow, request_id)
            request = ReleaseRequest.from_row(row) if row is not None else None
        if request is None or not self.office.readable(
            viewer, [Resource(request.object_id, request.label)]
        ):
            raise ReleaseRequestNotFoundError(_NOT_FOUND.format(request_id))
        return request

    def _officer_decides(self, officer: Principal, request: ReleaseRequest) -> None:
        if request.state is not ReleaseState.QUEUED:
            raise ReleaseStateError(
                f"release request {request.request_id} is already {request.state.value}; "
                "see `setu release history`"
            )
        self.office.decide(
            officer,
            Action.APPROVE_RELEASE,
            [Resource(request.object_id, request.label)],
            purpose=request.purpose,
        ).require_all()

    def approve(
        self, officer: Principal, request_id: int, *, principals: PrincipalStore
    ) -> ReleaseRequest:
        """A releasing officer releases a queued request (the gate decides both the officer's
        approval and the release to the recipient, with a fresh check of any consent)."""
        request = self._visible(officer, request_id)
        self._officer_decides(officer, request)
        recipient = principals.get(request.recipient)
        item = ReleaseItem(
            ObjectKind(request.object_kind),
            request.object_id,
            request.label,
            request.content_sha256,
        )
        allowed, _, consent_id = self._gate_release(
            [item], recipient, request.purpose, self.consents.for_recipient(recipient.nation)
        )[request.object_id]
        if not allowed:
            raise AccessDenied(
                f"release request {request_id} may not go to {recipient.nation} now (policy, "
                "or a consent that expired or does not cover it); refuse it or obtain consent"
            )
        return self._conclude(officer, request, ReleaseState.RELEASED, "approved", consent_id)

    def refuse(self, officer: Principal, request_id: int, *, reason: str) -> ReleaseRequest:
        """A releasing officer refuses a queued request, with a reason."""
        if not reason.strip():
            raise InvalidRequestError("a refusal states its reason (--reason)")
        request = self._visible(officer, request_id)
        self._officer_decides(officer, request)
        return self._conclude(officer, request, ReleaseState.REFUSED, reason, request.consent_id)

    def _conclude(
        self,
        officer: Principal,
        request: ReleaseRequest,
        state: ReleaseState,
        reason: str,
        consent_id: str | None,
    ) -> ReleaseRequest:
        """Claim the request for ``officer`` (so two officers never both decide it), log the
        decision, then record it; a failed append gives the claim back."""
        request_id = request.request_id
        self._claim(request_id, officer.name)
        action = "release" if state is ReleaseState.RELEASED else "release_refused"
        try:
            receipt = self.office.audit.append(
                _release_entry(officer.name, request, action, OFFICER_APPROVAL, reason)
            )
        except BaseException:
            self._claim(request_id, None, holder=officer.name)
            raise
        with self.office.db.session(write=True) as session:
            row = session.get(ReleaseRequestRow, request_id)
            assert row is not None and row.decided_by == officer.name
            row.state, row.reason = state, reason
            row.decided_at = self.office.clock()
            row.audit_index, row.consent_id = receipt.index, consent_id
            session.flush()
            return ReleaseRequest.from_row(row)

    def _claim(self, request_id: int, claimant: str | None, *, holder: str | None = None) -> None:
        """Set ``decided_by`` of a queued request from ``holder`` (None: unclaimed) to
        ``claimant`` in one conditional update; :class:`ReleaseStateError` if it moved on."""
        table = ReleaseRequestRow
        with self.office.db.session(write=True) as session:
            claimed = session.execute(
                update(table)
                .where(
                    table.id == request_id,
                    table.state == ReleaseState.QUEUED,
                    table.decided_by.is_(None) if holder is None else table.decided_by == holder,
                )
                .values(decided_by=claimant)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                raise ReleaseStateError(
                    f"release request {request_id} is being decided or was decided by another "
                    "officer; see `setu release history`"
                )

    def queue(self, viewer: Principal) -> list[ReleaseRequest]:
        """Queued requests whose objects ``viewer`` may read, oldest first."""
        return self._listing(viewer, ReleaseState.QUEUED, limit=None, newest_first=False)

    def history(self, viewer: Principal, *, limit: int = 100) -> list[ReleaseRequest]:
        """Decided requests (released and refused) ``viewer`` may read, newest first."""
        return self._listing(viewer, None, limit=limit, newest_first=True)

    def _listing(
        self,
        viewer: Principal,
        state: ReleaseState | None,
        *,
        limit: int | None,
        newest_first: bool,
    ) -> list[ReleaseRequest]:
        table = ReleaseRequestRow
        query = select(table)
        if state is not None:
            query = query.where(table.state == state)
        else:
            query = query.where(table.state != ReleaseState.QUEUED)
        query = query.order_by(table.id.desc() if newest_first else table.id)
        with self.office.db.session(write=False) as session:
            requests = [ReleaseRequest.from_row(r) for r in session.scalars(query)]
        allowed = self.office.readable(viewer, [Resource(r.object_id, r.label) for r in requests])
        visible = [r for r in requests if r.object_id in allowed]
        return visible if limit is None else visible[:limit]


def _request_row(
    item: ReleaseItem,
    recipient: Principal,
    purpose: str,
    requester: str,
    now: datetime,
    consent_id: str | None,
) -> ReleaseRequestRow:
    return ReleaseRequestRow(
        object_kind=item.object_kind.value,
        object_id=item.object_id,
        label=item.label.to_dict(),
        content_sha256=item.content_sha256,
        lon=item.lon,
        lat=item.lat,
        observed_at=item.observed_at,
        recipient=recipient.name,
        recipient_nation=recipient.nation,
        purpose=purpose,
        state=ReleaseState.QUEUED,
        requested_by=requester,
        requested_at=now,
        consent_id=consent_id,
        reason="",
    )


def _submit_step(request: ReleaseRequest, rule: StandingRule | None) -> tuple[str, str, str]:
    """(action, rule, reason) of the log entry for a submitted request."""
    if request.state is ReleaseState.REFUSED:
        return "release_refused", "gate", request.reason
    if rule is not None:
        return "release", f"standing-rule:{rule.rule_id}", "released under a standing rule"
    return "release_queued", "", "waits for a releasing officer"


def _jsonable(value: Any) -> Any:
    """``value`` as the disclosure log's plain JSON: times as RFC 3339, floats as their
    shortest repr text (the log keeps no floats, so its bytes are exact)."""
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return value


__all__ = [
    "OFFICER_APPROVAL",
    "Office",
    "ReleaseDesk",
    "ReleaseRequest",
    "TrustedKeys",
]
