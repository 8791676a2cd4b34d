"""The release workflow: manifests, the folder checker, disclosure records, two-person review.

``check_folder(folder) -> CheckResult`` and ``write_disclosure_record(folder, result)`` are the
contract used by ``lantern publish``; ``gate(folder)`` does both and raises ``DisclosureError``.
"""

from lantern.release.checker import RECORD_NAME, CheckResult, TableReport, check_folder
from lantern.release.manifest import (
    MANIFEST_NAME,
    Manifest,
    TableSpec,
    load_manifest,
    write_manifest,
)
from lantern.release.record import failure_message, gate, verify_record, write_disclosure_record
from lantern.release.review import list_requests, release, request_release, view, vote

__all__ = [
    "MANIFEST_NAME",
    "RECORD_NAME",
    "CheckResult",
    "Manifest",
    "TableReport",
    "TableSpec",
    "check_folder",
    "failure_message",
    "gate",
    "list_requests",
    "load_manifest",
    "release",
    "request_release",
    "verify_record",
    "view",
    "vote",
    "write_disclosure_record",
    "write_manifest",
]
