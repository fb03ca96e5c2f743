"""Service roles: roles that AWS services assume (a Lambda function's execution role, called by API Gateway too),
declared in the users file so their trust is rendered, not edited by hand:

    service_roles:
      myproj-dev-ZappaLambdaExecutionRole:   # the role's name, as the service's tooling expects it
        account: DEV
        services: [lambda.amazonaws.com, apigateway.amazonaws.com]
        policy: policies/zappa-execution.json  # its permissions (relative to users.yaml)

Every service must be a service principal (``policy.service_principals``); ``lambda`` is read as
``lambda.amazonaws.com``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

from bootstrap import arns
from bootstrap.errors import InputError
from bootstrap.org.users_file import ENV_KEY, Where, as_mapping, entry_fields, line_of

SECTION: Final = "service_roles"
FIELDS: Final = ("account", "services", "policy", "max_session")
POLICY_NAME: Final = "ServicePermissions"
TAG: Final = "aws-iam-bootstrap:service-role"
SESSION_DEFAULT: Final = 3600


@dataclass(frozen=True)
class ServiceRoleEntry:
    name: str
    account: str
    services: tuple[str, ...]
    policy: str
    max_session: int
    at: Where
    where: Mapping[str, Where] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceRole:
    name: str
    env: str
    services: tuple[str, ...]  # service principals, sorted
    policy_file: str
    policy_text: str  # canonical JSON
    max_session: int = SESSION_DEFAULT

    @cached_property
    def policy(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.policy_text)
        return document


def trust(services: tuple[str, ...]) -> dict[str, Any]:
    """A service role's trust: the services, nobody else."""
    principal: str | list[str] = services[0] if len(services) == 1 else sorted(services)
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}],
    }


def check_services(names: list[str], where: str) -> tuple[str, ...]:
    """The names as service principals, sorted and without duplicates (``InputError`` for one that is not)."""
    from bootstrap.policy import service_principals

    found: list[str] = []
    for name in names:
        normal = service_principals.normalise(name)
        if not service_principals.is_service_principal(normal):
            raise InputError(f"{where}: {service_principals.why_not(name)}")
        if normal not in found:
            found.append(normal)
    return tuple(sorted(found))


def read_section(value: Any, at: Where) -> tuple[ServiceRoleEntry, ...]:
    """``service_roles:`` of the users file (each mistake named by file and line)."""
    entries = as_mapping(value, at, "'service_roles'")
    found: list[ServiceRoleEntry] = []
    for name, spec in entries.items():
        where = Where(at.source, line_of(entries, name))
        if not isinstance(name, str) or not arns.IAM_NAME.fullmatch(name):
            raise InputError(f"{where}: {name!r} is not a role name IAM accepts (1-64 of letters, digits and +=,.@_-)")
        values, lines = entry_fields(spec, where, f"service role {name}", FIELDS)
        account = values.get("account")
        if not isinstance(account, str) or not ENV_KEY.fullmatch(account):
            raise InputError(f"{lines.get('account', where)}: service role {name}: account must be an environment")
        raw_services = values.get("services")
        items = [raw_services] if isinstance(raw_services, str) else raw_services
        if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            raise InputError(
                f"{lines.get('services', where)}: service role {name}: services must list service principals, "
                "such as [lambda.amazonaws.com]"
            )
        services = check_services(items, f"{lines['services']}: service role {name}")
        policy = values.get("policy")
        if not isinstance(policy, str) or not policy.strip():
            raise InputError(f"{lines.get('policy', where)}: service role {name}: policy must name a JSON file")
        session = values.get("max_session", SESSION_DEFAULT)
        if isinstance(session, bool) or not isinstance(session, int) or not 3600 <= session <= 43_200:
            raise InputError(f"{lines.get('max_session', where)}: service role {name}: max_session: 3600 to 43200")
        found.append(ServiceRoleEntry(name, account, services, policy, session, where, lines))
    return tuple(found)
