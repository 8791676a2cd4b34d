"""The release gate: the project's rules, every file of a folder inspected, every table audited
with every other table and every earlier release of the same cohort; disclosure records, the
project's release history, and two-person review.

``check_folder(folder, rules=, output=) -> CheckResult`` and ``gate(folder)`` (check, record,
raise ``DisclosureError``) are the contract used by every writer; ``build_and_gate`` builds an
output in a temporary folder and swaps it in only when the gate passes.
"""

from lantern.release.checker import CheckResult, TableReport, check_folder
from lantern.release.manifest import (
    MANIFEST_NAME,
    Manifest,
    TableSpec,
    load_manifest,
    write_manifest,
)
from lantern.release.metadata import RECORD_NAME
from lantern.release.record import failure_message, gate, verify_record, write_disclosure_record
from lantern.release.review import list_requests, release, request_release, view, vote
from lantern.release.settings import ProjectRules, project_rules

__all__ = [
    "MANIFEST_NAME",
    "RECORD_NAME",
    "CheckResult",
    "Manifest",
    "ProjectRules",
    "TableReport",
    "TableSpec",
    "check_folder",
    "failure_message",
    "gate",
    "list_requests",
    "load_manifest",
    "project_rules",
    "release",
    "request_release",
    "verify_record",
    "view",
    "vote",
    "write_disclosure_record",
    "write_manifest",
]
