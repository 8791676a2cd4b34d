"""Data-sharing agreements, purpose limitation and retention."""

from lantern.governance.agreement import (
    Agreement,
    AgreementField,
    FieldClass,
    IdentifierKind,
    check_agreement,
    load_agreement,
)
from lantern.governance.purposes import (
    authorise_run,
    require_active,
    require_fields,
    require_output_level,
    require_purpose,
)

__all__ = [
    "Agreement",
    "AgreementField",
    "FieldClass",
    "IdentifierKind",
    "authorise_run",
    "check_agreement",
    "load_agreement",
    "require_active",
    "require_fields",
    "require_output_level",
    "require_purpose",
]
