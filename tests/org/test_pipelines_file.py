"""Pipelines and service roles in users.yaml: read (every mistake named by file and line), rendered into the
stack with the rest (the user's one policy in the users account's template, the role, its trust and session
length in the environment's), read back equal, said in the plan, and clean under cfn-lint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bootstrap.errors import InputError
from bootstrap.org import check, cloudformation, load, plan, state
from bootstrap.org.model import Organisation
from bootstrap.org.users_file import Editor

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}
LOGS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}
USERS_YAML = """\
users:
  alice:
    DEV: [ADMIN]
pipelines:
  deploy-web:          # the web site's deploy
    account: DEV
    role_policy: policies/deploy.json
  release-api:
    account: PROD
    role_policy: policies/deploy.json
    max_session: 7200
    github_oidc: acme/api:main
service_roles:
  myproj-dev-ZappaLambdaExecutionRole:
    account: DEV
    services: [lambda, apigateway.amazonaws.com]
    policy: policies/logs.json
"""


def repo(tmp_path: Path, users_yaml: str = USERS_YAML) -> load.Sources:
    (tmp_path / "CONST.inc").write_text((ROOT / "CONST.inc.example").read_text())
    (tmp_path / "policies").mkdir(exist_ok=True)
    (tmp_path / "policies" / "deploy.json").write_text(json.dumps(DEPLOY, indent=2))
    (tmp_path / "policies" / "logs.json").write_text(json.dumps(LOGS))
    (tmp_path / "users.yaml").write_text(users_yaml)
    return load.Sources(tmp_path / "CONST.inc", tmp_path / "users.yaml")


def organisation(tmp_path: Path, users_yaml: str = USERS_YAML) -> Organisation:
    return load.load(repo(tmp_path, users_yaml))


def test_pipelines_and_service_roles_are_read_with_their_policies(tmp_path: Path) -> None:
    org = organisation(tmp_path)
    web, api = org.pipelines
    assert (web.name, web.env, web.max_session, web.github, web.role_policy) == (
        "deploy-web",
        "DEV",
        3600,
        None,
        DEPLOY,
    )
    assert (web.user_name, web.role_name) == ("pipeline-deploy-web", "pipeline-deploy-web")
    assert api.github is not None
    assert (api.max_session, api.github.claim) == (7200, "repo:acme/api:ref:refs/heads/main")
    (zappa,) = org.service_roles
    assert zappa.services == ("apigateway.amazonaws.com", "lambda.amazonaws.com")
    assert zappa.policy == LOGS


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "  x:\n    account: QA\n    role_policy: policies/deploy.json\n",
            "users.yaml:3: pipeline x: no environment 'QA'",
        ),
        ("  x:\n    account: DEV\n", "users.yaml:2: pipeline x: role_policy must name a JSON policy file"),
        ("  x:\n    account: DEV\n    role_policy: nope.json\n", "users.yaml:4: pipeline x: policy file nope.json not"),
        (
            "  x:\n    account: DEV\n    role_policy: p.json\n    max_session: 900\n",
            "users.yaml:5: pipeline x: max_sess",
        ),
        (
            "  x:\n    account: DEV\n    role_policy: p.json\n    github_oidc: acme\n",
            "users.yaml:5: pipeline x: github_o",
        ),
        (
            "  x:\n    account: DEV\n    role_policy: p.json\n    keys: 2\n",
            "users.yaml:5: pipeline x: unknown key 'keys'",
        ),
        ("  x y:\n    account: DEV\n", "users.yaml:2: pipeline 'x y': a name of 1-55 letters"),
        (
            "  a-b:\n    account: DEV\n    role_policy: p.json\n  a_b:\n    account: DEV\n",
            "users.yaml:5: pipelines 'a_b'",
        ),
        ("  x:\n    account: USERS\n    role_policy: p.json\n", "users.yaml:3: pipeline x: USERS is the users-only"),
    ],
)
def test_each_pipeline_mistake_is_named_by_file_and_line(tmp_path: Path, entry: str, message: str) -> None:
    sources = repo(tmp_path, "pipelines:\n" + entry)
    (tmp_path / "p.json").write_text(json.dumps(DEPLOY))
    with pytest.raises(InputError) as raised:
        load.load(sources)
    assert str(raised.value).startswith(f"{sources.users_file.parent}/{message}"), str(raised.value)


def test_a_policy_file_that_is_not_json_is_named_with_its_own_line(tmp_path: Path) -> None:
    sources = repo(tmp_path, "pipelines:\n  x:\n    account: DEV\n    role_policy: p.json\n")
    (tmp_path / "p.json").write_text('{\n  "Statement": [\n    {"Effect": "Allow",}\n  ]\n}\n')
    with pytest.raises(InputError, match=r"p\.json:3: not valid JSON"):
        load.load(sources)


def test_a_pipeline_user_cannot_be_a_person_too(tmp_path: Path) -> None:
    text = "users:\n  pipeline-x: {}\npipelines:\n  x:\n    account: DEV\n    role_policy: policies/deploy.json\n"
    with pytest.raises(InputError, match=r"users\.yaml:4: pipeline x: its user pipeline-x is also a person"):
        organisation(tmp_path, text)


@pytest.mark.parametrize(
    ("services", "message"),
    [
        ("[lamda.amazonaws.com]", "users.yaml:4: service role r: 'lamda.amazonaws.com' is not a service principal"),
        ("[]", "users.yaml:4: service role r: services must list service principals"),
    ],
)
def test_a_service_role_names_only_service_principals(tmp_path: Path, services: str, message: str) -> None:
    text = f"service_roles:\n  r:\n    account: DEV\n    services: {services}\n    policy: policies/logs.json\n"
    with pytest.raises(InputError) as raised:
        organisation(tmp_path, text)
    assert str(raised.value).startswith(f"{tmp_path}/{message}"), str(raised.value)
    if "lamda" in services:
        assert "did you mean lambda.amazonaws.com" in str(raised.value)


def test_the_stack_holds_the_pipeline_user_policy_its_role_and_the_service_role(tmp_path: Path) -> None:
    org = organisation(tmp_path)
    templates = {name: YAML(typ="safe").load(text) for name, text in cloudformation.render_all(org).items()}
    users = templates["users-account.yaml"]["Resources"]
    policy = users["PipelineDeployWebUserPolicy"]
    assert policy["Type"] == "AWS::IAM::Policy"
    assert policy["Properties"]["Users"] == ["pipeline-deploy-web"]
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Sid": "AssumeItsRoleOnly",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": "arn:aws:iam::345678901234:role/pipeline-deploy-web",
        }
    ]
    assert not any("release-api" in str(r) for r in users.values())  # GitHub OIDC: no user at all
    dev = templates["roles-dev.yaml"]["Resources"]
    role = dev["PipelineDeployWebRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "AWS": "arn:aws:iam::210987654321:user/pipeline-deploy-web"
    }
    assert "Condition" not in role["AssumeRolePolicyDocument"]["Statement"][0]  # a pipeline has no MFA
    assert role["MaxSessionDuration"] == 3600
    assert role["Policies"] == [{"PolicyName": "PipelinePermissions", "PolicyDocument": DEPLOY}]
    zappa = dev["ServiceRoleMyprojDevZappaLambdaExecutionRole"]["Properties"]
    assert zappa["RoleName"] == "myproj-dev-ZappaLambdaExecutionRole"
    assert zappa["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": ["apigateway.amazonaws.com", "lambda.amazonaws.com"]
    }
    prod = templates["roles-prod.yaml"]["Resources"]
    assert prod["GithubOidcProvider"]["Properties"]["Url"] == "https://token.actions.githubusercontent.com"
    conditions = prod["PipelineReleaseApiRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
    assert conditions == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:acme/api:ref:refs/heads/main",
        }
    }
    assert prod["PipelineReleaseApiRole"]["DependsOn"] == ["GithubOidcProvider"]  # IAM wants the provider first
    assert "DependsOn" not in dev["PipelineDeployWebRole"]
    assert "GithubOidcProvider" not in dev  # only where a pipeline trusts it


def test_templates_read_back_into_the_same_state(tmp_path: Path) -> None:
    org = organisation(tmp_path)
    for env, wanted in state.desired(org).items():
        kinds = {r.name: r.kind for r in wanted.roles}
        read = cloudformation.parse(cloudformation.render(wanted), env, kinds)
        assert (read.groups, read.roles, read.users, read.providers) == (
            wanted.groups,
            wanted.roles,
            wanted.users,
            wanted.providers,
        )


def test_the_plan_says_what_a_new_pipeline_may_do(tmp_path: Path) -> None:
    org = organisation(tmp_path)
    (tmp_path / "before").mkdir()
    before = state.desired(organisation(tmp_path / "before", "users:\n  alice:\n    DEV: [ADMIN]\n"))
    made = plan.make(before, state.desired(org), org.users_account_id)
    assert made.people == ()  # pipelines are not people: nobody "is new"
    assert (
        "pipeline user pipeline-deploy-web is new in USERS (210987654321): may assume only "
        "arn:aws:iam::345678901234:role/pipeline-deploy-web" in made.other
    )
    assert (
        "role pipeline-deploy-web (PIPELINE) is new in DEV (345678901234), trusting only pipeline-deploy-web; "
        "sessions of at most 3600 s" in made.other
    )
    assert "OIDC identity provider token.actions.githubusercontent.com is new in PROD (456789012345)" in made.other


def test_org_check_says_a_pipeline_role_can_escalate_and_cfn_lint_passes(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    sources = repo(tmp_path / "x")
    admin_like = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
    (tmp_path / "x" / "policies" / "deploy.json").write_text(json.dumps(admin_like))
    org = load.load(sources)
    states = state.desired(org)
    found = check.rules(org, states)
    said = [f.text for f in found if f.where == "pipeline deploy-web (policies/deploy.json)"]
    assert any(text.startswith("policy writes in iam: can change identities' permissions") for text in said)
    assert not [f for f in found if f.level == "error"]  # deploying it is the team's call; `pipeline check` fails
    assert check.lint(cloudformation.render_all(org), org.region) == []


def test_the_editor_adds_a_pipeline_keeping_the_file_as_written(tmp_path: Path) -> None:
    editor = Editor(USERS_YAML)
    editor.set_entry("pipelines", "new-one", {"account": "DEV", "role_policy": "policies/deploy.json"})
    editor.set_list("service_roles", "myproj-dev-ZappaLambdaExecutionRole", "services", ("lambda.amazonaws.com",))
    text = editor.text()
    assert "  deploy-web:          # the web site's deploy\n" in text
    assert "  new-one:\n    account: DEV\n    role_policy: policies/deploy.json\n" in text
    assert "    services: [lambda.amazonaws.com]\n" in text
    assert [p.name for p in organisation(tmp_path, text).pipelines] == ["deploy-web", "release-api", "new-one"]
