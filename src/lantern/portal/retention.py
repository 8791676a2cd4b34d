"""Scheduled clean-up: household data past its agreement's retention end, stale sessions and
rate-limit records. Runs from ``lantern portal purge``, at start-up and on a timer in the app.

Household rows (with their contact outcomes and match tokens) of every agreement whose
``retention_end`` has passed are deleted, the objection register is applied again to every
loaded list, and each purge is audited with counts per agreement.
Anonymous sessions (a CSRF token for a public form) go after ``anonymous_session_minutes``;
signed-in sessions after their idle or maximum age.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import CursorResult, Delete, delete, func, or_, select
from sqlalchemy.orm import Session

from lantern.portal import audit_db
from lantern.portal.models import (
    AgreementRecord,
    ContactOutcome,
    Household,
    HouseholdMatch,
    LoginAttempt,
    RateEvent,
    WebSession,
    utcnow,
)
from lantern.portal.settings import PortalSettings


@dataclass
class PurgeReport:
    households: dict[str, int] = field(default_factory=dict)
    sessions: int = 0
    rate_records: int = 0
    #: households removed because their resident had objected (the register re-applied)
    objected: dict[str, int] = field(default_factory=dict)

    @property
    def anything(self) -> bool:
        return (
            bool(self.households)
            or bool(self.objected)
            or self.sessions > 0
            or self.rate_records > 0
        )


def expired_agreements(session: Session, today: date) -> list[str]:
    return list(
        session.scalars(
            select(AgreementRecord.id)
            .where(AgreementRecord.retention_end < today)
            .order_by(AgreementRecord.id)
        )
    )


def purge(session: Session, settings: PortalSettings, *, today: date, actor: str) -> PurgeReport:
    """Delete what is past its time, in one transaction, and audit what went."""
    report = PurgeReport()
    from lantern.portal import objectors

    objectors.serialise(session)  # re-apply the objection register to every loaded list
    report.objected = objectors.sweep(session, settings.key_bytes() if settings.data_key else None)
    for agreement_id in expired_agreements(session, today):
        ids = select(Household.id).where(Household.agreement_id == agreement_id)
        n = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
        if not n:
            continue
        session.execute(delete(ContactOutcome).where(ContactOutcome.household_id.in_(ids)))
        session.execute(delete(HouseholdMatch).where(HouseholdMatch.household_id.in_(ids)))
        session.execute(delete(Household).where(Household.agreement_id == agreement_id))
        report.households[agreement_id] = int(n)
    now = utcnow()
    stale = or_(
        WebSession.created_at < now - settings.session_max,
        WebSession.last_seen_at < now - settings.session_idle,
        (WebSession.user_id.is_(None))
        & (WebSession.created_at < now - timedelta(minutes=settings.anonymous_session_minutes)),
    )
    report.sessions = _deleted(session, delete(WebSession).where(stale))
    hour_ago = now - timedelta(hours=1)
    day_ago = now - timedelta(days=1)
    report.rate_records = _deleted(
        session, delete(LoginAttempt).where(LoginAttempt.at < hour_ago)
    ) + _deleted(session, delete(RateEvent).where(RateEvent.at < day_ago))
    if report.anything:
        audit_db.record(
            session,
            "retention.purged",
            actor=actor,
            today=today.isoformat(),
            households=report.households,
            removed_by_objection=report.objected,
            sessions=report.sessions,
            rate_records=report.rate_records,
        )
    else:
        session.commit()
    return report


def _deleted(session: Session, statement: Delete) -> int:
    """Run a DELETE and return how many rows it removed."""
    result = session.execute(statement)
    if not isinstance(result, CursorResult):  # a DML statement always gives a cursor result
        raise TypeError(f"unexpected result {type(result).__name__} for a DELETE")
    return result.rowcount or 0
