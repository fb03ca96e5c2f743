"""The IAM policy and trust documents of the organisation, kept as data in ``policies/`` (the one place they live)
and filled in here: the trust of a role names exactly the users granted it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib import resources
from typing import Any

TRUSTED_PLACEHOLDER = "${TrustedPrincipals}"
ROLE_PLACEHOLDER = "${RoleArn}"
# The role tag that takes a role out of infra-AssumeRoleG's grant: its own group grants it instead.
BY_GROUP_TAG = ("aws-iam-bootstrap:granted-by", "group")


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


def role_group_policy(role_arn: str) -> dict[str, Any]:
    """The policy of a per-role group: assume that one role, with MFA."""
    doc = policy_document("role-group")
    for statement in doc["Statement"]:
        if statement.get("Resource") == ROLE_PLACEHOLDER:
            statement["Resource"] = role_arn
    return doc


def assume_role_group_policy(*, excludes_by_group: bool) -> dict[str, Any]:
    """infra-AssumeRoleG's policy; when some roles are granted through their own group, those roles (tagged
    ``BY_GROUP_TAG``) are left out of it, since their trust names the whole users account."""
    doc = policy_document("assume-role-group")
    if excludes_by_group:
        key, value = BY_GROUP_TAG
        for statement in doc["Statement"]:
            statement.setdefault("Condition", {})["StringNotEquals"] = {f"aws:ResourceTag/{key}": value}
    return doc


_SCALAR_LISTS = frozenset({"Action", "NotAction", "Resource", "NotResource", "AWS", "Service", "Federated"})


def canonical(doc: Any, key: str = "") -> Any:
    """A policy document in one spelling, for comparing what is deployed with what is wanted: IAM gives back a
    one-element list as a string, a lone statement as an object, and keeps no order in lists of principals,
    actions, resources or condition values."""
    if key == "Statement" and isinstance(doc, dict | list):
        items = doc if isinstance(doc, list) else [doc]
        return sorted((canonical(item) for item in items), key=lambda item: json.dumps(item, sort_keys=True))
    if key == "Condition" and isinstance(doc, dict):
        return {
            op: {name: _sorted_list(value) for name, value in sorted(values.items())}
            for op, values in sorted(doc.items())
        }
    if isinstance(doc, dict):
        return {k: canonical(v, k) for k, v in sorted(doc.items())}
    if key in _SCALAR_LISTS:
        return _sorted_list(doc)
    if isinstance(doc, list):
        return [canonical(item) for item in doc]
    return doc


def _sorted_list(value: Any) -> list[Any]:
    items = value if isinstance(value, list) else [value]
    return sorted((str(item) if not isinstance(item, dict) else item for item in items), key=str)


def canonical_text(doc: Any) -> str:
    """``canonical`` as compact JSON: equal texts mean the same document."""
    return json.dumps(canonical(doc), sort_keys=True, separators=(",", ":"))


def iam_length(doc: Any) -> int:
    """The length IAM counts against its policy quotas: the JSON without whitespace."""
    return len(json.dumps(doc, separators=(",", ":")))
