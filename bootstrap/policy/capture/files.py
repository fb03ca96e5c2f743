"""Reading recorded calls from files: the sandbox's journal and ``policy record``'s output (JSON lines), and real
CloudTrail log files (one JSON object with ``Records``, usually ``.json.gz``, in the ``AWSLogs/ACCOUNT/CloudTrail/
REGION/YYYY/MM/DD/`` tree a trail writes to S3).

All three are CloudTrail-shaped, so one function reads them; a directory is read recursively (digest files
skipped). ``Selection`` keeps the calls of one principal, within a time window, and optionally only the refused
ones (the "denied calls" a learning loop grows a policy from).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bootstrap.errors import InputError
from bootstrap.policy.capture import services
from bootstrap.policy.capture.calls import RecordedCall, is_denied, operation_name, sdk_parameters
from bootstrap.policy.mapping import Authorization

SANDBOX_CANNOT_AUTHORIZE = "SandboxCannotAuthorize"
_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz")


@dataclass(frozen=True)
class Selection:
    """Which calls to keep: ``principal`` (a user, a role and its sessions, or one session), a time window
    (inclusive), and ``denied_only``: just those refused for want of permission."""

    principal: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    denied_only: bool = False

    def keeps(self, call: RecordedCall) -> bool:
        if self.principal and not call.made_by(self.principal):
            return False
        if self.denied_only and not call.denied:
            return False
        if self.since is not None or self.until is not None:
            when = parse_time(call.time)
            if when is None or (self.since and when < self.since) or (self.until and when > self.until):
                return False
        return True


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time (``2026-01-01T00:00:00Z``) as an aware datetime; None when it is not one."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_calls(paths: Iterable[Path], selection: Selection | None = None) -> list[RecordedCall]:
    """Every call recorded in ``paths`` (files or directories), in file order, that ``selection`` keeps."""
    chosen = selection or Selection()
    out: list[RecordedCall] = []
    for path in paths:
        for file in _files(path):
            out.extend(call for call in _read_file(file) if chosen.keeps(call))
    return out


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        found = [
            p
            for p in sorted(path.rglob("*"))
            if p.is_file() and p.name.endswith(_SUFFIXES) and "CloudTrail-Digest" not in p.parts
        ]
        if not found:
            raise InputError(f"{path}: no .json, .json.gz or .jsonl files in it")
        return found
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    return [path]


def _text(path: Path) -> str:
    try:
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":  # gzip's magic number, whatever the name says
            data = gzip.decompress(data)
        return data.decode("utf-8")
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot read it: {getattr(exc, 'strerror', None) or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None


def _read_file(path: Path) -> Iterator[RecordedCall]:
    text = _text(path)
    trail = _trail(text)
    if trail is not None:
        for index, record in enumerate(trail, 1):
            if isinstance(record, Mapping):
                call = from_record(record, f"{path.name}#{index}")
                if call is not None:
                    yield call
        return
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise InputError(f"{path}:{number}: not a JSON record (a journal, a record or a CloudTrail file)") from None
        if not isinstance(record, Mapping):
            raise InputError(f"{path}:{number}: not a JSON object")
        call = from_record(record, f"{path.name}:{number}")
        if call is not None:
            yield call


def _trail(text: str) -> list[Any] | None:
    """The ``Records`` of a CloudTrail log file; None for JSON lines."""
    if '"Records"' not in text.lstrip()[:200]:  # a trail's file opens with it; a journal line never has it
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if isinstance(document, Mapping) and isinstance(document.get("Records"), list):
        return list(document["Records"])
    return None


def from_record(record: Mapping[str, Any], origin: str = "") -> RecordedCall | None:
    """One CloudTrail-shaped record as a call; None for what is no API call of a known caller (a sign-in, a
    request refused before its caller or operation was known)."""
    name = record.get("eventName")
    if not isinstance(name, str) or not name or record.get("eventType", "AwsApiCall") != "AwsApiCall":
        return None
    identity = record.get("userIdentity") or {}
    principal = str(identity.get("arn") or "")
    if not principal:
        return None
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
    role = str(issuer["arn"]) if issuer.get("type") == "Role" and issuer.get("arn") else None
    capture = record.get("capture")
    sandbox = record.get("sandbox")
    source = str(record.get("eventSource") or "")
    if isinstance(capture, Mapping):
        via, service = str(capture.get("via", "sdk")), str(capture.get("service") or "")
    else:
        via, service = ("sandbox" if isinstance(sandbox, Mapping) else "cloudtrail"), ""
    service = service or services.from_event_source(source) or source.split(".", 1)[0]
    operation = operation_name(service, name) if via == "cloudtrail" else name
    raw = record.get("requestParameters") or {}
    params = sdk_parameters(service, operation, raw) if via == "cloudtrail" else dict(raw)
    error = record.get("errorCode")
    checked: tuple[Authorization, ...] | None = None
    denied = is_denied(error)
    if isinstance(sandbox, Mapping):
        judged = [a for a in sandbox.get("authorizations") or [] if isinstance(a, Mapping)]
        if error == SANDBOX_CANNOT_AUTHORIZE:
            checked = None  # mapped again by whoever reads it: reported as unmapped, never guessed
        elif not judged:
            return None  # refused before authorisation: nothing the workload's policy decides
        else:
            checked = tuple(Authorization(str(a["action"]), str(a["resource"])) for a in judged)
            denied = sandbox.get("decision") == "refused" and any(a.get("decision") != "allow" for a in judged)
    account = str(record.get("recipientAccountId") or identity.get("accountId") or "")
    return RecordedCall(
        time=str(record.get("eventTime") or ""),
        via=via,
        service=service,
        operation=operation,
        region=str(record.get("awsRegion") or ""),
        account=account,
        principal=principal,
        role=role,
        params=params,
        error_code=str(error) if error else None,
        denied=denied,
        checked=checked,
        origin=origin,
    )
