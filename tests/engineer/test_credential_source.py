"""A role profile whose key comes from the environment (``credential_source = Environment``), as a pipeline's
does: its CI puts the key there from its secrets; botocore reads such a profile so, and so do `env` and `exec`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bootstrap.awsfiles.locations import AwsPaths
from bootstrap.engineer import export
from bootstrap.engineer.codes import FixedCode
from bootstrap.errors import InputError

PROFILE = """\
[profile deploy-web]
role_arn = arn:aws:iam::345678901234:role/pipeline-deploy-web
credential_source = Environment
duration_seconds = 900
region = eu-west-1
"""


def test_without_the_key_in_the_environment_it_says_which_variables_are_missing(tmp_path: Path) -> None:
    (tmp_path / "config").write_text(PROFILE)
    paths = AwsPaths(tmp_path / "config", tmp_path / "credentials")
    with pytest.raises(InputError, match="AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set"):
        export.profile_credentials(paths, "deploy-web", FixedCode("123456"), environ={"AWS_ACCESS_KEY_ID": "AKIA"})


def test_another_credential_source_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "config").write_text(PROFILE.replace("Environment", "Ec2InstanceMetadata"))
    paths = AwsPaths(tmp_path / "config", tmp_path / "credentials")
    with pytest.raises(InputError, match="of credential_source, only Environment is supported"):
        export.profile_credentials(paths, "deploy-web", FixedCode("123456"), environ={})
