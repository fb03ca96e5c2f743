"""The IAM policy and trust documents of the organisation, kept as data in ``policies/`` (the one place they live)
and filled in here: the trust of a role names exactly the users granted it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib import resources
from typing import Any

TRUSTED_PLACEHOLDER = "${TrustedPrincipals}"


def policy_document(name: str) -> dict[str, Any]:
    """A policy document from ``bootstrap/org/policies/<name>.json`` (a fresh copy: callers may change it)."""
    text = resources.files("bootstrap.org").joinpath("policies", f"{name}.json").read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    return doc


def role_policy(kind: str) -> dict[str, Any]:
    """The permissions of the infra role of ``kind`` (ADMIN, OPS, READ)."""
    return policy_document(f"role-{kind.lower()}")


def trust_document(principals: Iterable[str]) -> dict[str, Any]:
    """The infra roles' trust policy naming ``principals`` (user ARNs), with MFA required."""
    doc = policy_document("role-trust")
    for statement in doc["Statement"]:
        if statement.get("Principal", {}).get("AWS") == TRUSTED_PLACEHOLDER:
            statement["Principal"]["AWS"] = sorted(principals)
    return doc
