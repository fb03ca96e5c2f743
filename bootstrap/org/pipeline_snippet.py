"""What a pipeline runs, printed by `pipeline create`: the AWS profile that turns its key into a short role
session (``credential_source = Environment``: the key comes from the CI's secrets, in the environment; botocore
and this tool both read it so), the `exec` and `env` lines, and a GitHub Actions job. For a GitHub OIDC pipeline,
the job that assumes the role with GitHub's token and no secret at all.

No secret is in a snippet: it names the CI secrets the key goes into.
"""

from __future__ import annotations

import re
from typing import Final

from bootstrap import limits
from bootstrap.org.model import Organisation
from bootstrap.org.pipelines import Pipeline

SESSION: Final = limits.ROLE_MIN  # 15 minutes: a pipeline asks for the shortest session that does its job


def secret_names(pipeline: Pipeline) -> tuple[str, str]:
    """The CI secrets the key goes into: ``DEPLOY_WEB_AWS_ACCESS_KEY_ID`` and ``..._SECRET_ACCESS_KEY``."""
    stem = re.sub(r"[^A-Z0-9]+", "_", pipeline.name.upper()).strip("_")
    return f"{stem}_AWS_ACCESS_KEY_ID", f"{stem}_AWS_SECRET_ACCESS_KEY"


def profile(org: Organisation, pipeline: Pipeline) -> str:
    """The AWS config profile of the pipeline (the key itself stays in the environment)."""
    return (
        f"[profile {pipeline.name}]\n"
        f"role_arn = {org.pipeline_role_arn(pipeline)}\n"
        "credential_source = Environment\n"
        f"role_session_name = {pipeline.user_name}\n"
        f"duration_seconds = {SESSION}\n"
        f"region = {org.region}\n"
    )


def lines(pipeline: Pipeline) -> str:
    return (
        "# the role's session for one command (its credentials never leave that process):\n"
        f"aws-iam-bootstrap exec --profile {pipeline.name} -- ./deploy.sh\n"
        "# or for the job's next steps (GitHub does not mask $GITHUB_ENV: prefer exec):\n"
        f'aws-iam-bootstrap env --profile {pipeline.name} --format github >> "$GITHUB_ENV"\n'
    )


def github_actions(org: Organisation, pipeline: Pipeline) -> str:
    """A GitHub Actions job using the pipeline."""
    role_arn = org.pipeline_role_arn(pipeline)
    if pipeline.github is not None:
        return (
            "permissions:\n"
            "  id-token: write   # GitHub's OIDC token: no AWS key stored anywhere\n"
            "  contents: read\n"
            "steps:\n"
            "  - uses: actions/checkout@v4\n"
            "  - uses: aws-actions/configure-aws-credentials@v4\n"
            "    with:\n"
            f"      role-to-assume: {role_arn}\n"
            f"      aws-region: {org.region}\n"
            f"      role-duration-seconds: {SESSION}\n"
            "  - run: ./deploy.sh\n"
        )
    key_id, secret = secret_names(pipeline)
    config = profile(org, pipeline).replace("\n", "\\n")
    variables = {
        "AWS_ACCESS_KEY_ID": f"${{{{ secrets.{key_id} }}}}",
        "AWS_SECRET_ACCESS_KEY": f"${{{{ secrets.{secret} }}}}",
        "AWS_CONFIG_FILE": "${{ runner.temp }}/aws-config",
    }
    # One line (a flow mapping): a line starting "AWS_SECRET_ACCESS_KEY:" would be masked as a secret by redact,
    # and this one names a CI secret, not its value.
    env = ", ".join(f'{name}: "{value}"' for name, value in variables.items())
    return (
        "steps:\n"
        "  - uses: actions/checkout@v4\n"
        "  - run: pip install aws-iam-bootstrap\n"
        f"  - name: deploy as pipeline {pipeline.name} ({pipeline.env}, {SESSION // 60}-minute role sessions)\n"
        f"    env: {{{env}}}\n"
        "    run: |\n"
        f"      printf '{config}' > \"$AWS_CONFIG_FILE\"\n"
        f"      aws-iam-bootstrap exec --profile {pipeline.name} -- ./deploy.sh\n"
    )


def text(org: Organisation, pipeline: Pipeline) -> str:
    """Everything the pipeline's owner needs, as printed by `pipeline create`."""
    if pipeline.github is not None:
        return f"# GitHub Actions ({pipeline.github.words}): no key, no secret\n{github_actions(org, pipeline)}"
    key_id, secret = secret_names(pipeline)
    return (
        f"# The pipeline's key goes into its CI secrets {key_id} and {secret}, exported as\n"
        "# AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; its AWS config holds:\n"
        f"{profile(org, pipeline)}"
        "# Then, in the pipeline:\n"
        f"{lines(pipeline)}"
        "# As a GitHub Actions job:\n"
        f"{github_actions(org, pipeline)}"
    )
