"""Two-person release: an output request reviewed independently by two named checkers.

States: ``pending`` (0 or 1 votes) -> ``reviewed`` (both voted) -> ``approved`` (both approve) or
``rejected`` (either rejects) -> ``released`` (approved, files unchanged since the request, check
passes again). The review state is the project's, kept beside the release history and not in the
release folder (where it could carry data past the gate): ``<history_dir>/reviews/<folder>/``
holds ``review.json`` and the hash-chained ``audit.jsonl``. Until both have voted, a vote is
logged only as a commitment (a salted hash) and views hide it from everyone but its author; when
both have voted, the decisions are revealed and logged. Every relaxation the check relied on (an
``official`` table, an exemption, a weaker policy) is shown to both checkers with its approver.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lantern.audit import AuditLog
from lantern.errors import GovernanceError, IntegrityError
from lantern.release.checker import DEFAULT_OUTPUT, check_folder, folder_files
from lantern.release.record import write_disclosure_record
from lantern.release.settings import ProjectRules, project_rules

REVIEW_FILE = "review.json"
AUDIT_FILE = "audit.jsonl"
DECISIONS = ("approve", "reject")


@dataclass(frozen=True)
class Paths:
    folder: Path
    rules: ProjectRules

    @classmethod
    def of(cls, folder: str | Path, rules: ProjectRules | None = None) -> Paths:
        return cls(Path(folder), rules or project_rules())

    @property
    def home(self) -> Path:
        resolved = self.folder.resolve()
        key = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
        return self.rules.history_dir / "reviews" / f"{resolved.name}-{key}"

    @property
    def state(self) -> Path:
        return self.home / REVIEW_FILE

    @property
    def log(self) -> AuditLog:
        return AuditLog(self.home / AUDIT_FILE)


def audit_log_path(folder: str | Path, rules: ProjectRules | None = None) -> Path:
    """Where the review audit log of a release folder is kept."""
    return Paths.of(folder, rules).log.path


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _load(paths: Paths) -> dict[str, Any]:
    if not paths.state.exists():
        return {"requests": {}}
    return json.loads(paths.state.read_text("utf-8"))


def _save(paths: Paths, data: dict[str, Any]) -> None:
    paths.state.parent.mkdir(parents=True, exist_ok=True)
    tmp = paths.state.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", "utf-8")
    os.replace(tmp, paths.state)


def _get(data: dict[str, Any], request_id: str) -> dict[str, Any]:
    try:
        return data["requests"][request_id]
    except KeyError:
        known = ", ".join(sorted(data["requests"])) or "none"
        raise GovernanceError(f"no output request {request_id!r} (known: {known})") from None


def _name(name: str, what: str) -> str:
    name = (name or "").strip()
    if not name:
        raise GovernanceError(f"{what} must be named")
    return name


def request_release(
    folder: str | Path,
    *,
    requested_by: str,
    checkers: tuple[str, str],
    title: str = "",
    rules: ProjectRules | None = None,
    output: str = DEFAULT_OUTPUT,
) -> dict[str, Any]:
    """Open an output request: runs the check, fixes the files' checksums, names two checkers."""
    paths = Paths.of(folder, rules)
    requested_by = _name(requested_by, "the requester")
    a, b = (_name(c, "each checker") for c in checkers)
    if a == b:
        raise GovernanceError("the two checkers must be different people")
    if requested_by in (a, b):
        raise GovernanceError("a checker cannot review their own request")
    result = check_folder(paths.folder, rules=paths.rules, output=output)
    data = _load(paths)
    request_id = f"r{len(data['requests']) + 1}"
    request = {
        "id": request_id,
        "title": title,
        "requested_by": requested_by,
        "checkers": [a, b],
        "created": _now(),
        "state": "pending",
        "output": output,
        "relaxations": result.relaxations,
        "check": {
            "ok": result.ok,
            "summary": result.summary(),
            "failures": [str(f) for f in result.failures[:50]],
            "failure_count": len(result.failures),
        },
        "files": {p: v["sha256"] for p, v in result.files.items()},
        "votes": {},
    }
    data["requests"][request_id] = request
    _save(paths, data)
    paths.log.append(
        "release.requested",
        request=request_id,
        by=requested_by,
        checkers=[a, b],
        check_ok=result.ok,
        files=len(request["files"]),
    )
    return view(folder, request_id, viewer=requested_by, rules=paths.rules)


def vote(
    folder: str | Path,
    request_id: str,
    *,
    checker: str,
    decision: str,
    comment: str = "",
    rules: ProjectRules | None = None,
) -> dict[str, Any]:
    """Record one checker's independent decision (``approve`` or ``reject``)."""
    paths = Paths.of(folder, rules)
    data = _load(paths)
    req = _get(data, request_id)
    checker = _name(checker, "the checker")
    if decision not in DECISIONS:
        raise GovernanceError(f"decision must be one of {', '.join(DECISIONS)}")
    if checker not in req["checkers"]:
        raise GovernanceError(f"{checker} is not a named checker of {request_id}")
    if req["state"] != "pending":
        raise GovernanceError(f"{request_id} is {req['state']}; votes are closed")
    if checker in req["votes"]:
        raise GovernanceError(f"{checker} has already voted on {request_id}")
    salt = secrets.token_hex(16)
    body = {"decision": decision, "comment": comment, "time": _now(), "salt": salt}
    commitment = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    req["votes"][checker] = {**body, "commitment": commitment}
    paths.log.append(
        "release.vote_committed", request=request_id, checker=checker, commitment=commitment
    )
    if len(req["votes"]) == 2:
        req["state"] = "reviewed"
        paths.log.append("release.reviewed", request=request_id)
        decisions = {name: v["decision"] for name, v in req["votes"].items()}
        for name, v in req["votes"].items():
            paths.log.append(
                "release.vote_revealed",
                request=request_id,
                checker=name,
                decision=v["decision"],
                salt=v["salt"],
                commitment=v["commitment"],
            )
        approved = all(d == "approve" for d in decisions.values()) and req["check"]["ok"]
        req["state"] = "approved" if approved else "rejected"
        paths.log.append(
            f"release.{req['state']}",
            request=request_id,
            decisions=decisions,
            check_ok=req["check"]["ok"],
        )
    _save(paths, data)
    return view(folder, request_id, viewer=checker, rules=paths.rules)


def release(
    folder: str | Path, request_id: str, *, released_by: str, rules: ProjectRules | None = None
) -> dict[str, Any]:
    """Release an approved request: files must be unchanged and the check must still pass.

    Writes the disclosure record and adds the release to the project's history for later audits.
    """
    paths = Paths.of(folder, rules)
    data = _load(paths)
    req = _get(data, request_id)
    released_by = _name(released_by, "the releaser")
    if req["state"] != "approved":
        raise GovernanceError(
            f"{request_id} is {req['state']}; only an approved request can be released"
        )
    now = {p: v["sha256"] for p, v in folder_files(paths.folder).items()}
    if now != req["files"]:
        changed = sorted(set(now.items()) ^ set(req["files"].items()))
        names = sorted({p for p, _ in changed})[:5]
        paths.log.append("release.blocked", request=request_id, by=released_by, changed=names)
        raise IntegrityError(f"files changed since {request_id} was reviewed: {', '.join(names)}")
    result = check_folder(paths.folder, rules=paths.rules, output=req.get("output", DEFAULT_OUTPUT))
    if not result.ok:
        paths.log.append(
            "release.blocked", request=request_id, by=released_by, failures=len(result.failures)
        )
        raise GovernanceError(
            f"{request_id} no longer passes the disclosure check: {result.summary()}"
        )
    record = write_disclosure_record(
        paths.folder, result, release_id=f"{paths.home.name}/{request_id}", rules=paths.rules
    )
    req["state"] = "released"
    req["released_by"] = released_by
    req["released"] = _now()
    _save(paths, data)
    paths.log.append("release.released", request=request_id, by=released_by, record=record.name)
    return view(folder, request_id, viewer=released_by, rules=paths.rules)


def view(
    folder: str | Path,
    request_id: str,
    *,
    viewer: str | None = None,
    rules: ProjectRules | None = None,
) -> dict[str, Any]:
    """A request as ``viewer`` may see it: until both have voted, only the viewer's own vote."""
    data = _load(Paths.of(folder, rules))
    req = json.loads(json.dumps(_get(data, request_id)))
    both = req["state"] != "pending"
    votes = {}
    for name, v in req["votes"].items():
        if both or name == viewer:
            votes[name] = {"decision": v["decision"], "comment": v["comment"], "time": v["time"]}
        else:
            votes[name] = {"decision": "hidden until both checkers have voted"}
    req["votes"] = votes
    req["awaiting"] = [c for c in req["checkers"] if c not in votes]
    req.pop("files", None)
    return req


def list_requests(folder: str | Path, rules: ProjectRules | None = None) -> list[dict[str, Any]]:
    data = _load(Paths.of(folder, rules))
    return [
        {
            "id": r["id"],
            "state": r["state"],
            "title": r["title"],
            "requested_by": r["requested_by"],
            "checkers": r["checkers"],
        }
        for r in data["requests"].values()
    ]
