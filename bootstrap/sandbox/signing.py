"""Signature Version 4, checked strictly: the Authorization header parsed whole, its scope checked against the
service the request is routed to and the request's own date, and the signature recomputed with the key's secret.

Anything a real client would not send is refused here, before any other part of the layer looks at the request:
moto derives the service from the same header with a lenient split (and lower-cases it), so a scope the layer did
not understand must never reach moto.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from bootstrap.sandbox.refusals import Refusal

_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[A-Z0-9]{16,128})/(?P<date>[^/,\s]*)/(?P<region>[^/,\s]*)/"
    r"(?P<service>[^/,\s]*)/aws4_request, ?SignedHeaders=(?P<headers>[a-z0-9;-]+), ?"
    r"Signature=(?P<signature>[0-9a-f]{64})"
)
_DATE = re.compile(r"\d{8}")
_AMZ_DATE = re.compile(r"(\d{8})T\d{6}Z")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
SKEW_SECONDS = 15 * 60  # what S3 allows; the other services allow 5 minutes, the sandbox is lenient there


@dataclass(frozen=True)
class Scope:
    """What the Authorization header says: who signs, for which day, region and service, and how."""

    key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def parse(header: str) -> Scope:
    """The header of a SigV4-signed request, or ``IncompleteSignature``: nothing lenient, nothing extra."""
    match = _AUTHORIZATION.fullmatch(header.strip())
    if match is None:
        raise Refusal(
            "incomplete-signature",
            f"Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters in the "
            f"AWS4-HMAC-SHA256 format. Authorization={header[:80]}",
        )
    headers = tuple(match["headers"].split(";"))
    if "host" not in headers:
        raise Refusal("incomplete-signature", "'Host' must be a signed header.")
    return Scope(match["key"], match["date"], match["region"], match["service"], headers, match["signature"])


def check_scope(scope: Scope, amz_date: str, expected_service: str, now: float) -> None:
    """The scope names the service the request goes to, a valid region, and the day of ``x-amz-date``, which is
    within ``SKEW_SECONDS`` of ``now``; else ``SignatureDoesNotMatch``/``IncompleteSignature`` as AWS words it."""
    stamp = _AMZ_DATE.fullmatch(amz_date)
    if stamp is None:
        raise Refusal(
            "incomplete-signature",
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header (in the "
            f"ISO 8601 basic format YYYYMMDD'T'HHMMSS'Z'). Got: '{amz_date[:40]}'",
        )
    if not _DATE.fullmatch(scope.date) or scope.date != stamp.group(1):
        raise Refusal(
            "bad-signature",
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{scope.date[:20]}' != '{stamp.group(1)}', from '{amz_date}'.",
        )
    if scope.service != expected_service:
        raise Refusal("bad-signature", f"Credential should be scoped to correct service: '{expected_service}'. ")
    if not _REGION.fullmatch(scope.region):
        raise Refusal("bad-signature", f"Credential should be scoped to a valid region, not '{scope.region[:40]}'. ")
    signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    if abs(now - signed_at) > SKEW_SECONDS:
        raise Refusal(
            "bad-signature",
            f"Signature expired: {amz_date} is now earlier or later than {SKEW_SECONDS // 60} minutes from "
            f"{datetime.fromtimestamp(now, UTC).strftime('%Y%m%dT%H%M%SZ')}.",
        )


def verify(environ: dict[str, Any], body: bytes, scope: Scope, secret: str) -> None:
    """Recompute the signature over what the request really carries; ``SignatureDoesNotMatch`` otherwise."""
    headers: dict[str, str] = {}
    for name in scope.signed_headers:
        key = name.upper().replace("-", "_")
        value = environ.get(key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}")
        if value is None:
            raise Refusal("bad-signature")
        headers[name] = value
    path = _request_uri(environ)
    request = AWSRequest(method=environ["REQUEST_METHOD"], url=path, data=body, headers=headers)
    request.context["timestamp"] = headers.get("x-amz-date", environ.get("HTTP_X_AMZ_DATE", ""))
    credentials = BotoCredentials(scope.key_id, secret)
    signer: SigV4Auth
    if scope.service == "s3":
        signer = _S3Signer(credentials, scope.service, scope.region)
        signer.payload_hash = environ.get("HTTP_X_AMZ_CONTENT_SHA256")
    else:
        signer = SigV4Auth(credentials, scope.service, scope.region)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected.encode(), scope.signature.encode()):
        raise Refusal("bad-signature")


def _request_uri(environ: dict[str, Any]) -> str:
    """The request target as sent: werkzeug's server keeps it in ``RAW_URI`` (its test environ without the query);
    otherwise the path re-quoted."""
    from urllib.parse import quote

    raw = environ.get("RAW_URI")
    path = str(raw) if raw else quote(str(environ.get("PATH_INFO") or "/"), safe="/~")
    query = str(environ.get("QUERY_STRING", ""))
    return f"{path}?{query}" if query and "?" not in path else path


class _S3Signer(S3SigV4Auth):
    """botocore's S3 signer (no path normalisation), told the payload hash the client declared (``check_payload``
    has made sure it is the body's own)."""

    payload_hash: str | None = None

    def payload(self, request: AWSRequest) -> str:
        return self.payload_hash or str(super().payload(request))


def check_payload(environ: dict[str, Any], body: bytes) -> None:
    """S3 signs ``x-amz-content-sha256`` instead of the body: it must be the body's hash (no unsigned or
    streaming payloads, which the sandbox does not verify)."""
    import hashlib

    declared = environ.get("HTTP_X_AMZ_CONTENT_SHA256")
    if declared is None:
        return
    if declared != hashlib.sha256(body).hexdigest():
        raise Refusal(
            "bad-signature",
            "The provided 'x-amz-content-sha256' header does not match what was computed "
            "(the sandbox accepts only signed payloads).",
        )
