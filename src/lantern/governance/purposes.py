"""Purpose limitation: refuse any run the agreement does not cover, with a clear message."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from lantern.errors import GovernanceError
from lantern.governance.agreement import Agreement, AgreementField


def require_active(agreement: Agreement, today: date | None = None) -> None:
    """Refuse when the agreement has not started or its retention date has passed."""
    today = today or date.today()
    if today > agreement.retention_end:
        raise GovernanceError(
            f"agreement {agreement.id} expired on {agreement.retention_end.isoformat()}: "
            "no processing is allowed after the retention end date; run `lantern retention`"
        )
    if today < agreement.start_date:
        raise GovernanceError(
            f"agreement {agreement.id} starts on {agreement.start_date.isoformat()}: not yet in force"
        )


def require_purpose(agreement: Agreement, purpose: str) -> None:
    """Refuse a purpose the agreement does not name."""
    if purpose not in agreement.purpose_codes:
        raise GovernanceError(
            f"purpose {purpose!r} is not permitted by agreement {agreement.id}; "
            f"permitted purposes: {', '.join(sorted(agreement.purpose_codes))}"
        )


def require_party(agreement: Agreement, party: str) -> None:
    if agreement.party(party) is None:
        raise GovernanceError(
            f"{party!r} is not a party to agreement {agreement.id}; parties: "
            f"{', '.join(p.id for p in agreement.parties)}"
        )


def require_fields(
    agreement: Agreement, party: str, columns: Iterable[str], *, file: str = ""
) -> list[AgreementField]:
    """Refuse columns the agreement does not name for this party; return the named fields in use."""
    require_party(agreement, party)
    allowed = {f.name: f for f in agreement.fields_for(party)}
    columns = list(columns)
    extra = [c for c in columns if c not in allowed]
    if extra:
        where = f"{file}: " if file else ""
        raise GovernanceError(
            f"{where}column(s) {', '.join(repr(c) for c in extra)} are not named for {party!r} in "
            f"agreement {agreement.id}; remove them from the extract or amend the agreement"
        )
    return [allowed[c] for c in columns]


def require_output_level(agreement: Agreement, level: str) -> None:
    """Refuse an aggregate level the agreement does not permit."""
    if level not in agreement.permitted_outputs:
        raise GovernanceError(
            f"output level {level!r} is not permitted by agreement {agreement.id}; "
            f"permitted: {', '.join(agreement.permitted_outputs)}"
        )


def authorise_run(agreement: Agreement, *, purpose: str, today: date | None = None) -> None:
    """The checks every run makes first: agreement in force and purpose named."""
    require_active(agreement, today)
    require_purpose(agreement, purpose)
