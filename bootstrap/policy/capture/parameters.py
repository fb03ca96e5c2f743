"""Which request parameters may be recorded: only those whose names say they name something (an allow-list of name
shapes: ``...Name``, ``...Arn``, ``...Id``, ``Bucket``, ``Key``, ``...Url``, ``...Path``, and the two others
authorisation reads, a Lambda function's ``Role`` and a copy's ``CopySource``), never one whose name mentions a
password, secret, token, code, seed or key material. Values are scalars or lists of strings, shortened.

One list for every recorder: the sandbox's journal keeps these, and ``policy record`` copies this very file next to
the ``sitecustomize`` it starts Python workloads with, so the SDK hook keeps the same ones. It therefore imports
nothing but the standard library.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

NAMING = re.compile(
    r"(?:[A-Za-z0-9]*(?:Name|Names|Arn|ARN|Arns|Id|Ids|Url|Path|PathPrefix|Prefix|Identifier)|Bucket|Key|"
    r"SerialNumber|DurationSeconds|Status|Qualifier|Scope|Role|CopySource)"
)
SECRETISH = re.compile(r"password|secret|token|code|seed|credential|private|sse|ciphertext|plaintext", re.I)
MAX_VALUE = 256


def allowed_parameter(name: str) -> bool:
    """May a request parameter of this name be recorded? Only names that name things (an allow-list)."""
    return NAMING.fullmatch(name) is not None and SECRETISH.search(name) is None


def request_parameters(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters that name resources, and nothing else (scalars and lists of strings, shortened)."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if not allowed_parameter(name):
            continue
        if isinstance(value, bool | int):
            out[name] = value
        elif isinstance(value, str):
            out[name] = value[:MAX_VALUE]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            out[name] = [v[:MAX_VALUE] for v in value[:50]]
    return out
