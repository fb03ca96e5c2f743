"""Build and parse the ARNs the tool meets: users, roles, MFA devices, account roots and role sessions.

Pure string work, no I/O. Partitions other than ``aws`` (``aws-cn``, ``aws-us-gov``) parse like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

ACCOUNT_ID: Final = re.compile(r"[0-9]{12}")
# IAM's own name rules (users, roles, groups: letters, digits and +=,.@_-).
IAM_NAME: Final = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
ROLE_ARN: Final = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}", re.ASCII)
_MFA: Final = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:mfa/(?:.*/)?(?P<user>[\w+=,.@-]+)", re.ASCII)

Kind = Literal["user", "root", "assumed-role", "role", "federated-user", "mfa", "group", "other"]


@dataclass(frozen=True)
class Arn:
    """The six fields of an ARN; ``resource`` is everything after the fifth colon."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"

    @property
    def kind(self) -> Kind:
        if self.resource == "root":
            return "root"
        prefix = self.resource.split("/", 1)[0]
        known: dict[str, Kind] = {
            "user": "user",
            "assumed-role": "assumed-role",
            "role": "role",
            "federated-user": "federated-user",
            "mfa": "mfa",
            "group": "group",
        }
        return known.get(prefix, "other")

    @property
    def name(self) -> str:
        """The last path element: a user's or role's name, an MFA device's name, a session's name."""
        return self.resource.rsplit("/", 1)[-1]

    @property
    def label(self) -> str:
        """``user/alice``, ``assumed-role/Role`` (the session name left out), ``root``."""
        return "/".join(self.resource.split("/")[:2])


def parse(arn: str) -> Arn | None:
    """The fields of ``arn``, or None when it is not an ARN."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def account_of(arn: str | None) -> str | None:
    """The account id an ARN names (None for an ARN without one, such as an S3 bucket's)."""
    parsed = parse(arn or "")
    return parsed.account if parsed is not None and parsed.account else None


def name_of(arn: str) -> str:
    """The last path element of ``arn`` (a role's or user's name)."""
    return arn.rsplit("/", 1)[-1]


def user(account: str, name: str, *, path: str = "/", partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:user{path}{name}"


def role(account: str, name: str, *, path: str = "/", partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:role{path}{name}"


def group(account: str, name: str, *, path: str = "/", partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:group{path}{name}"


def mfa_device(account: str, name: str, *, path: str = "/", partition: str = "aws") -> str:
    """A virtual MFA device's serial number (its ARN)."""
    return f"arn:{partition}:iam::{account}:mfa{path}{name}"


def root(account: str, *, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:root"


def assumed_role(account: str, role_name: str, session: str, *, partition: str = "aws") -> str:
    return f"arn:{partition}:sts::{account}:assumed-role/{role_name}/{session}"


def role_of_session(arn: str) -> str | None:
    """The role ARN behind an assumed-role session ARN (``...:sts::ACCT:assumed-role/NAME/SESSION``), else None."""
    parsed = parse(arn)
    if parsed is None or parsed.service != "sts" or not parsed.resource.startswith("assumed-role/"):
        return None
    return role(parsed.account, parsed.resource.split("/")[1], partition=parsed.partition)


def user_of_mfa(serial: str | None) -> str | None:
    """The IAM user a virtual MFA device is named after: ``arn:aws:iam::ACCOUNT:mfa/NAME`` -> NAME."""
    found = _MFA.fullmatch(serial or "")
    return found.group("user") if found else None
