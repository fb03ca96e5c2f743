"""The journal: one JSON line per request the sandbox answers, shaped like a CloudTrail record, so the reader that
learns a policy from it later takes real CloudTrail files too.

A record (CloudTrail's fields, plus the sandbox's own under ``sandbox``)::

    {"eventVersion": "1.09", "eventTime": "2026-01-01T00:00:00Z", "eventSource": "s3.amazonaws.com",
     "eventName": "PutObject", "awsRegion": "us-east-1", "sourceIPAddress": "127.0.0.1",
     "userIdentity": {"type": "AssumedRole", "arn": "...", "accountId": "...", "accessKeyId": "ASIA...",
                      "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "...", ...},
                                         "attributes": {"mfaAuthenticated": "true"}, "sourceIdentity": "..."}},
     "requestParameters": {"Bucket": "b", "Key": "k"}, "resources": [{"ARN": "arn:aws:s3:::b/k", "accountId": ""}],
     "errorCode": "AccessDenied", "errorMessage": "User: ... is not authorized ...",
     "eventType": "AwsApiCall", "recipientAccountId": "...", "eventID": "...",
     "sandbox": {"authorizations": [{"action": "s3:PutObject", "resource": "arn:aws:s3:::b/k",
                                     "decision": "none"}], "decision": "refused", "httpStatus": 403}}

Never a secret: ``requestParameters`` keeps only the parameters that name things
(``bootstrap.policy.capture.parameters``: the one allow-list every recorder shares, which includes a Lambda
function's ``Role`` and a copy's ``CopySource`` so ``policy prove`` can replay a call), never one whose name
mentions a password, secret, token, code, seed or key material; error messages pass through ``redact.mask``.
The file is opened O_APPEND|O_CREAT|O_NOFOLLOW, 0600 (its directory 0700 if created); each line is written
whole under a lock and flushed, so concurrent requests never interleave and a crash loses at most the request
in flight.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bootstrap import redact
from bootstrap.awsfiles.safewrite import FILE_MODE, private_dir
from bootstrap.errors import StateError
from bootstrap.policy.capture.parameters import MAX_VALUE, allowed_parameter, request_parameters


class Journal:
    """An append-only JSON-lines file of CloudTrail-shaped records."""

    def __init__(self, path: Path) -> None:
        self.path = path
        private_dir(path.parent)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(path, flags, FILE_MODE)
        except OSError as exc:
            raise StateError(f"cannot open the journal {path}: {exc.strerror}") from None
        os.fchmod(fd, FILE_MODE)  # an existing file too: the journal names every resource the sandbox saw
        self._file = os.fdopen(fd, "w", encoding="utf-8")
        self._lock = threading.Lock()

    def write(self, record: Mapping[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n"
        with self._lock:
            if self._file.closed:
                return
            self._file.write(line)
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


def error_message(text: str) -> str:
    """An error message as the journal keeps it: known secrets masked, shortened."""
    return redact.mask(text)[:1000]


__all__ = ["MAX_VALUE", "Journal", "allowed_parameter", "error_message", "request_parameters"]
