"""Refusals, worded as each AWS protocol words them: the code, HTTP status and body shape a real client expects.

A ``Refusal`` names what went wrong (``kind``); ``render`` turns it into the response of the service's protocol:
query services answer ``<ErrorResponse>`` XML (SNS says ``AuthorizationError``), EC2 ``<Response><Errors>`` with
``UnauthorizedOperation``/``AuthFailure``, JSON services ``{"__type": ..., "message": ...}`` with
``x-amzn-ErrorType`` (and ``x-amzn-query-error`` for SQS, whose clients read the query-era code), REST-JSON
services (Lambda, API Gateway) the same with their own statuses, S3 its ``<Error>`` document (no body for HEAD).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from xml.sax.saxutils import escape

# kind -> {protocol family: (code, status)}; "query" is the default family
_CODES: dict[str, dict[str, tuple[str, int]]] = {
    "missing-auth": {
        "query": ("MissingAuthenticationToken", 403),
        "json": ("MissingAuthenticationTokenException", 400),
        "rest-json": ("MissingAuthenticationTokenException", 403),
        "s3": ("AccessDenied", 403),
        "ec2": ("MissingAuthenticationToken", 401),
    },
    "incomplete-signature": {
        "query": ("IncompleteSignature", 400),
        "json": ("IncompleteSignatureException", 400),
        "rest-json": ("IncompleteSignatureException", 403),
        "s3": ("AuthorizationHeaderMalformed", 400),
        "ec2": ("IncompleteSignature", 400),
    },
    "invalid-key": {
        "query": ("InvalidClientTokenId", 403),
        "json": ("UnrecognizedClientException", 400),
        "rest-json": ("UnrecognizedClientException", 403),
        "s3": ("InvalidAccessKeyId", 403),
        "ec2": ("AuthFailure", 401),
    },
    "bad-signature": {
        "query": ("SignatureDoesNotMatch", 403),
        "json": ("InvalidSignatureException", 400),
        "rest-json": ("InvalidSignatureException", 403),
        "s3": ("SignatureDoesNotMatch", 403),
        "ec2": ("AuthFailure", 401),
    },
    "expired": {
        "query": ("ExpiredToken", 403),
        "json": ("ExpiredTokenException", 400),
        "rest-json": ("ExpiredTokenException", 403),
        "s3": ("ExpiredToken", 400),
        "ec2": ("RequestExpired", 400),
    },
    "denied": {
        "query": ("AccessDenied", 403),
        "sns": ("AuthorizationError", 403),
        "json": ("AccessDeniedException", 400),
        "sqs": ("AccessDenied", 403),
        "rest-json": ("AccessDeniedException", 403),
        "s3": ("AccessDenied", 403),
        "ec2": ("UnauthorizedOperation", 403),
    },
    "validation": {
        "query": ("ValidationError", 400),
        "json": ("ValidationException", 400),
        "rest-json": ("ValidationException", 400),
        "s3": ("InvalidRequest", 400),
        "ec2": ("InvalidParameterValue", 400),
    },
    # What the sandbox cannot vouch for (an operation it cannot map, a request form it does not parse): refused,
    # with a code no AWS service uses, so nobody mistakes it for AWS's answer. 400: clients do not retry it.
    "sandbox": {"query": ("SandboxCannotAuthorize", 400)},
}

MESSAGES = {
    "missing-auth": "Request is missing Authentication Token",
    "invalid-key": "The security token included in the request is invalid.",
    "bad-signature": (
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
        "Access Key and signing method. Consult the service documentation for details."
    ),
    "expired": "The security token included in the request is expired",
}
_S3_MESSAGES = {
    "missing-auth": "Access Denied",
    "invalid-key": "The AWS Access Key Id you provided does not exist in our records.",
    "bad-signature": "The request signature we calculated does not match the signature you provided. Check your key "
    "and signing method.",
    "expired": "The provided token has expired.",
}


class Refusal(Exception):
    """A request refused. ``code``/``status`` override the protocol's own (the IAM/STS rules' exact errors)."""

    def __init__(self, kind: str, message: str = "", *, code: str = "", status: int = 0) -> None:
        super().__init__(message or MESSAGES.get(kind, kind))
        self.kind = kind
        self.message = message or MESSAGES.get(kind, kind)
        self.explicit_code = code
        self.explicit_status = status

    def for_family(self, family: str) -> tuple[str, int, str]:
        """(code, status, message) as ``family`` (query, ec2, json, sqs, sns, rest-json, s3) words it."""
        codes = _CODES.get(self.kind, _CODES["sandbox"])
        fallback = "json" if family == "sqs" else "query" if family == "sns" else family
        code, status = codes.get(family) or codes.get(fallback) or codes["query"]
        message = self.message
        if family == "s3" and self.kind in _S3_MESSAGES and self.message == MESSAGES.get(self.kind):
            message = _S3_MESSAGES[self.kind]
        return self.explicit_code or code, self.explicit_status or status, message


@dataclass(frozen=True)
class Protocol:
    """How a service answers errors: its family and, for query services, its XML namespace."""

    family: str  # query, ec2, json, sqs, sns, rest-json, s3
    namespace: str = ""

    @classmethod
    def of(cls, service: str, protocol: str, namespace: str = "") -> Protocol:
        if service in ("s3", "sqs", "sns"):
            return cls(service, namespace)
        family = {"rest-xml": "query"}.get(protocol, protocol)
        return cls(family if family in ("query", "ec2", "json", "rest-json") else "query", namespace)


_STATUS = {
    400: "400 Bad Request",
    401: "401 Unauthorized",
    403: "403 Forbidden",
    404: "404 Not Found",
}

Response = tuple[str, list[tuple[str, str]], bytes]


def render(protocol: Protocol, refusal: Refusal, *, head: bool = False) -> Response:
    """The HTTP response (status line, headers, body) of a refusal in ``protocol``."""
    code, status, message = refusal.for_family(protocol.family)
    request_id = str(uuid.uuid4())
    headers = [("x-amzn-RequestId", request_id)]
    family = protocol.family
    if family in ("json", "sqs", "rest-json"):
        body = json.dumps({"__type": code, "message": message} if family != "rest-json" else {"message": message})
        headers += [("x-amzn-ErrorType", code), ("Content-Type", "application/x-amz-json-1.1")]
        if family == "sqs":
            headers.append(("x-amzn-query-error", f"{code};Sender"))
        data = body.encode()
    elif family == "s3":
        headers = [("x-amz-request-id", request_id), ("Content-Type", "application/xml")]
        data = (
            b""
            if head
            else (
                f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(message)}'
                f"</Message><RequestId>{request_id}</RequestId></Error>"
            ).encode()
        )
    elif family == "ec2":
        headers.append(("Content-Type", "text/xml"))
        data = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}</Code><Message>'
            f"{escape(message)}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        ).encode()
    else:
        namespace = f' xmlns="{protocol.namespace}"' if protocol.namespace else ""
        headers.append(("Content-Type", "text/xml"))
        data = (
            f"<ErrorResponse{namespace}><Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(message)}"
            f"</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
    headers.append(("Content-Length", str(len(data))))
    return _STATUS.get(status, f"{status} Error"), headers, data
