"""Database tables of the portal (SQLAlchemy 2 declarative models).

Times are stored as naive UTC. Area tables mirror the warehouse's ``areas``, ``area_links``,
``indicators`` and ``indicator_meta`` (2021 chain: LSOA 2021 → MSOA 2021 → ward 2024 → district
2024) so that scope filtering is one SQL join on either backend.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Now as naive UTC (what every portal column stores)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Role(enum.StrEnum):
    ADMINISTRATOR = "administrator"
    ANALYST = "analyst"
    DISTRICT_OFFICER = "district_officer"
    HUB_WORKER = "hub_worker"


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    scopes: Mapped[list[UserScope]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )


class UserScope(Base):
    """One area a user may see: a district (officers) or a ward / LSOA (hub workers)."""

    __tablename__ = "user_scopes"
    __table_args__ = (UniqueConstraint("user_id", "area_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    area_code: Mapped[str] = mapped_column(String(9))
    user: Mapped[User] = relationship(back_populates="scopes")


class WebSession(Base):
    """A server-side session; the cookie holds a random token whose SHA-256 is ``id``."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    #: state, nonce and PKCE verifier of an OpenID Connect sign-in in progress
    oidc_state: Mapped[str | None] = mapped_column(String(64), nullable=True)
    oidc_nonce: Mapped[str | None] = mapped_column(String(64), nullable=True)
    oidc_verifier: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LoginAttempt(Base):
    """Sign-in attempts per client address, for rate limiting."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_client_time", "client", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AgreementRecord(Base):
    """A data-sharing agreement loaded by an administrator from its file."""

    __tablename__ = "agreements"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_sha256: Mapped[str] = mapped_column(String(64))
    retention_end: Mapped[date] = mapped_column(Date)
    loaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(80))


class Household(Base):
    """A household the linkage flagged; contact details are AES-GCM ciphertext."""

    __tablename__ = "households"
    __table_args__ = (Index("ix_households_agreement_lsoa", "agreement_id", "lsoa_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"))
    #: the agreement party that supplied the contact details
    owner_party: Mapped[str] = mapped_column(String(100))
    lsoa_code: Mapped[str] = mapped_column(String(9), index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    contact_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ContactOutcome(Base):
    __tablename__ = "contact_outcomes"
    __table_args__ = (
        # a list shows each household's latest outcome: found by index, not by reading them all
        Index("ix_contact_outcomes_household_latest", "household_id", "recorded_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Objection(Base):
    """A resident's objection: the normalised identifiers, encrypted under the objection
    register's own key (``sealed``; ``lantern.portal.objectors``), re-tokenised for every key
    that needs them. Rows recorded before identifiers were kept have only their tokens."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    #: objection tokens of the linkage batches held when the objection was made
    tokens: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: household match tokens under the data key of the time (re-made from ``sealed`` on import)
    match_tokens: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    #: keyed digest of the normalised identifiers: the same person objecting twice is stored once
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    #: nonce || AES-256-GCM ciphertext of the normalised identifiers (register key)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class AuditEntry(Base):
    """One line of the tamper-evident log, chained exactly like ``lantern.audit.AuditLog``."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    time: Mapped[str] = mapped_column(String(40))
    event: Mapped[str] = mapped_column(String(60), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Area(Base):
    __tablename__ = "areas"

    area_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    area_name: Mapped[str] = mapped_column(String(200))
    area_type: Mapped[str] = mapped_column(String(16), index=True)
    vintage: Mapped[str] = mapped_column(String(8))
    boundary_year: Mapped[int] = mapped_column(Integer)


class AreaLink(Base):
    """Every ancestor of every area (transitive), as in the warehouse."""

    __tablename__ = "area_links"
    __table_args__ = (Index("ix_area_links_parent", "parent_code", "child_code"),)

    child_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    parent_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    child_type: Mapped[str] = mapped_column(String(16))
    parent_type: Mapped[str] = mapped_column(String(16))


class IndicatorMeta(Base):
    __tablename__ = "indicator_meta"

    indicator_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(60), default="")
    kind: Mapped[str] = mapped_column(String(16), default="score")
    polarity: Mapped[str] = mapped_column(String(16), default="neutral")
    source: Mapped[str] = mapped_column(String(300), default="")


class IndicatorValue(Base):
    __tablename__ = "indicators"
    __table_args__ = (Index("ix_indicators_indicator", "indicator_id", "area_code"),)

    area_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    indicator_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    period: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    numerator: Mapped[float | None] = mapped_column(Float, nullable=True)
    denominator: Mapped[float | None] = mapped_column(Float, nullable=True)


class ReleaseRecord(Base):
    """An output released through the output gate, for the transparency register."""

    __tablename__ = "releases"

    release_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    agreement_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    released_at: Mapped[str] = mapped_column(String(40), default="")
    outputs: Mapped[list[Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")


class RateEvent(Base):
    """One anonymous or write request per client address and bucket, for rate limiting."""

    __tablename__ = "rate_events"
    __table_args__ = (Index("ix_rate_events_bucket_client_at", "bucket", "client", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bucket: Mapped[str] = mapped_column(String(40))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class HouseholdMatch(Base):
    """Keyed match tokens of a household's identifiers, so objections reach household lists.

    Tokens are HMAC-SHA256 under a key derived from the portal's data key; identifiers are not kept.
    """

    __tablename__ = "household_match"

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class IndicatorBenchmark(Base):
    """A reference value of an indicator for a wider geography (England, the county)."""

    __tablename__ = "indicator_benchmarks"

    indicator_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    period: Mapped[str] = mapped_column(String(20), primary_key=True)
    geography: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    areas: Mapped[int] = mapped_column(Integer, default=0)


class AreaSummary(Base):
    """An area's value of one indicator (its own, or the mean of its LSOAs) and its decile among
    areas of its type, computed when data is loaded (``lantern.portal.summaries``)."""

    __tablename__ = "area_summaries"

    area_code: Mapped[str] = mapped_column(String(9), primary_key=True)
    indicator_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    period: Mapped[str] = mapped_column(String(20))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: LSOAs the mean covers; None when the value is the area's own
    lsoas: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decile: Mapped[int | None] = mapped_column(Integer, nullable=True)
