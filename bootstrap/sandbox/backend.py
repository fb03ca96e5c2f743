"""The one seam to moto's internals.

The sandbox seeds and inspects moto's in-process IAM/STS state directly (no HTTP), which keeps seeding fast
(``add_account`` is a handful of Python calls) and lets the rules layer see what moto knows (access keys, users,
policies, MFA seeds) without extra requests. Everything that touches moto's model objects is here, typed loosely
(moto ships no type information), so a moto upgrade that renames something breaks one module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from moto.iam.models import iam_backends
from moto.sts.models import sts_backends

from bootstrap import limits
from bootstrap.policy.evaluate import PolicySet

PARTITION = "aws"
REGION = "us-east-1"  # moto's IAM is global; the region only names the backend instance


def iam(account_id: str) -> Any:
    return iam_backends[account_id][PARTITION]


def sts(account_id: str) -> Any:
    return sts_backends[account_id][PARTITION]


def reset() -> None:
    """Forget every account, user, role and key moto holds in this process."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()


# --- seeding ---------------------------------------------------------------------------------------------------


def create_group(account_id: str, name: str, policy_name: str, document: dict[str, Any]) -> None:
    backend = iam(account_id)
    backend.create_group(name, "/")
    backend.put_group_policy(name, policy_name, json.dumps(document))


def create_user(account_id: str, name: str, groups: tuple[str, ...]) -> str:
    """Create a user in ``groups``; return its ARN."""
    backend = iam(account_id)
    user = backend.create_user(REGION, name, "/", None)
    for group in groups:
        backend.add_user_to_group(group, name)
    return str(user.arn)


def put_user_policy(account_id: str, user: str, name: str, document: dict[str, Any]) -> None:
    iam(account_id).put_user_policy(user, name, json.dumps(document))


def set_password(account_id: str, user: str, password: str, *, reset_required: bool) -> None:
    backend = iam(account_id)
    backend.create_login_profile(user, password)
    backend.update_login_profile(user, password, reset_required)


def create_access_key(account_id: str, user: str) -> tuple[str, str]:
    key = iam(account_id).create_access_key(user)
    return str(key.access_key_id), str(key.secret_access_key)


def enable_virtual_mfa(account_id: str, user: str, device_name: str) -> tuple[str, str]:
    """A virtual MFA device enabled for ``user`` (as if enrolled with valid codes); return (serial, seed)."""
    backend = iam(account_id)
    device = backend.create_virtual_mfa_device(device_name, "/")
    backend.enable_mfa_device(user, device.serial_number, "000000", "000000")
    return str(device.serial_number), str(device.base32_string_seed)


def create_role(account_id: str, name: str, trust: dict[str, Any], policy_name: str, policy: dict[str, Any]) -> str:
    backend = iam(account_id)
    role = backend.create_role(
        role_name=name,
        assume_role_policy_document=json.dumps(trust),
        path="/",
        permissions_boundary=None,
        description="aws-iam-bootstrap sandbox role",
        tags=[],
        max_session_duration="43200",
    )
    backend.put_role_policy(name, policy_name, json.dumps(policy))
    return str(role.arn)


def put_role_policy(account_id: str, role_name: str, policy_name: str, document: dict[str, Any]) -> None:
    iam(account_id).put_role_policy(role_name, policy_name, json.dumps(document))


def set_trust(account_id: str, role: str, trust: dict[str, Any]) -> None:
    iam(account_id).update_assume_role_policy(role, json.dumps(trust))


# --- inspection, for the rules layer ----------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyInfo:
    """What moto knows of an access key id."""

    account_id: str
    secret: str
    user_name: str | None  # None for the temporary keys of assumed roles
    active: bool


@dataclass(frozen=True)
class RoleSessionInfo:
    account_id: str
    role_arn: str
    arn: str  # arn:aws:sts::ACCT:assumed-role/NAME/SESSION
    token: str
    expiration: datetime


def accounts() -> list[str]:
    # list(): moto's BackendDict may grow while another request thread seeds an account
    return list(iam_backends.keys())


def find_key(key_id: str, hint: str | None = None) -> KeyInfo | None:
    """Find an access key in any account (``hint``: the account to look in first)."""
    order = [hint] if hint else []
    for account_id in [*order, *accounts()]:
        key = iam(account_id).access_keys.get(key_id)
        if key is not None:
            return KeyInfo(account_id, str(key.secret_access_key), key.user_name, key.status == "Active")
    return None


def find_role_session(account_id: str, key_id: str) -> RoleSessionInfo | None:
    role = sts(account_id).get_assumed_role_from_access_key(key_id)
    if role is None:
        return None
    return RoleSessionInfo(account_id, str(role.role_arn), str(role.arn), str(role.session_token), role.expiration)


def user(account_id: str, name: str) -> Any | None:
    return iam(account_id).users.get(name)


def user_arn(account_id: str, name: str) -> str:
    found = user(account_id, name)
    return str(found.arn) if found is not None else f"arn:aws:iam::{account_id}:user/{name}"


def user_id(account_id: str, name: str) -> str:
    found = user(account_id, name)
    return str(found.id) if found is not None else ""


def user_mfa_serials(account_id: str, name: str) -> set[str]:
    found = user(account_id, name)
    return set(found.mfa_devices) if found is not None else set()


def mfa_seed(serial: str) -> str | None:
    """The Base32 seed of a virtual MFA device, from its serial (arn:aws:iam::ACCT:mfa/NAME)."""
    account_id = serial.split(":")[4] if serial.count(":") >= 5 else ""
    if account_id not in iam_backends:
        return None
    device = iam(account_id).virtual_mfa_devices.get(serial)
    return str(device.base32_string_seed) if device is not None else None


def password(account_id: str, name: str) -> str | None:
    found = user(account_id, name)
    return found.password if found is not None else None


def change_password(account_id: str, name: str, new_password: str) -> None:
    iam(account_id).update_login_profile(name, new_password, False)


def key_owner(account_id: str, key_id: str) -> str | None:
    key = iam(account_id).access_keys.get(key_id)
    return key.user_name if key is not None else None


def role(account_id: str, arn: str) -> Any | None:
    name = arn.rsplit("/", 1)[-1]
    found = iam(account_id).roles.values() if account_id in iam_backends else []
    for candidate in list(found):
        if candidate.name == name:
            return candidate
    return None


@lru_cache(maxsize=1024)
def _parse(document: str) -> dict[str, Any]:
    # Parsed once per distinct text: the rules layer reads the same few documents on every request (read-only).
    parsed: dict[str, Any] = json.loads(document)
    return parsed


def _documents(raw: Iterator[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for doc in raw:
        if isinstance(doc, str):
            out.append(_parse(doc))
        elif isinstance(doc, dict):
            out.append(doc)
    return out


def _managed(policies: Any) -> Iterator[Any]:
    for policy in list(policies.values()):
        for version in policy.versions:
            if version.is_default:
                yield version.document


def _user_raw(account_id: str, name: str) -> list[Any]:
    backend = iam(account_id)
    found = backend.users.get(name)
    if found is None:
        return []
    raw: list[Any] = [*found.policies.values(), *_managed(found.managed_policies)]
    for group in list(backend.groups.values()):
        if found in group.users:
            raw.extend(group.policies.values())
            raw.extend(_managed(group.managed_policies))
    return raw


def _role_raw(account_id: str, role_arn: str) -> list[Any]:
    found = role(account_id, role_arn)
    if found is None:
        return []
    return [*found.policies.values(), *_managed(found.managed_policies)]


def user_policies(account_id: str, name: str) -> list[dict[str, Any]]:
    """Every identity policy of a user: inline and attached, its own and its groups'."""
    return _documents(iter(_user_raw(account_id, name)))


def role_policies(account_id: str, role_arn: str) -> list[dict[str, Any]]:
    return _documents(iter(_role_raw(account_id, role_arn)))


@lru_cache(maxsize=1024)
def _policy_set(texts: tuple[str, ...]) -> PolicySet:
    # Compiled once per distinct set of documents: most requests come from the same few principals.
    return PolicySet(_parse(text) for text in texts)


def _compiled(raw: list[Any]) -> PolicySet:
    if all(isinstance(doc, str) for doc in raw):
        return _policy_set(tuple(raw))
    return PolicySet(_documents(iter(raw)))


def user_policy_set(account_id: str, name: str) -> PolicySet:
    """The user's identity policies (``user_policies``), compiled."""
    return _compiled(_user_raw(account_id, name))


def role_policy_set(account_id: str, role_arn: str) -> PolicySet:
    return _compiled(_role_raw(account_id, role_arn))


def max_session_duration(found_role: Any) -> int:
    """The role's MaxSessionDuration in seconds (3600 when moto holds none)."""
    try:
        return int(found_role.max_session_duration or limits.ROLE_DEFAULT)
    except (TypeError, ValueError):
        return limits.ROLE_DEFAULT


def lookup(account_id: str, region: str, kind: str, name: str) -> str | None:
    """What a call's parameters do not say, from moto's state (see ``bootstrap.policy.mapping``)."""
    backend = iam(account_id)
    if kind in ("iam:user", "iam:role", "iam:group"):
        table = {"iam:user": backend.users, "iam:role": backend.roles, "iam:group": backend.groups}[kind]
        if kind == "iam:role":
            found = next((r for r in list(table.values()) if r.name == name), None)
        else:
            found = table.get(name)
        return str(found.arn) if found is not None else None
    if kind == "iam:access-key":
        owner = key_owner(account_id, name)
        return user_arn(account_id, owner) if owner else None
    if kind == "kms:alias":
        from moto.kms.models import kms_backends

        kms = kms_backends[account_id][region]
        key_id = kms.get_key_id_from_alias(name) if hasattr(kms, "get_key_id_from_alias") else None
        return f"arn:aws:kms:{region}:{account_id}:key/{key_id}" if key_id else None
    if kind == "cloudformation:stack":
        from moto.cloudformation.models import cloudformation_backends

        for stack in list(cloudformation_backends[account_id][region].stacks.values()):
            if stack.name == name and stack.status != "DELETE_COMPLETE":
                return str(stack.stack_id)
    return None


def trust_policy(found_role: Any) -> dict[str, Any]:
    """The role's trust policy, parsed (shared: do not change it)."""
    doc = found_role.assume_role_policy_document
    return _parse(doc) if isinstance(doc, str) else dict(doc)
