"""The profiles of the user's AWS files as the SDKs see them, read (never written) with botocore's parsing rules.

Kept apart from ``store`` (the transaction that changes the files) so that reading, which `credential-process`
does on every SDK call, loads no more than it needs.
"""

from __future__ import annotations

from typing import Any

from bootstrap.awsfiles import safewrite
from bootstrap.awsfiles.botocore_view import profiles_view
from bootstrap.awsfiles.locations import AwsPaths


def load_profiles(paths: AwsPaths) -> dict[str, dict[str, Any]]:
    """Profile name -> settings as the SDKs see them (config and credentials merged by botocore's rules)."""
    return profiles_view(
        safewrite.read_text(paths.config),
        safewrite.read_text(paths.credentials),
        names=(str(paths.config), str(paths.credentials)),
    )


def load_credentials_file(paths: AwsPaths) -> dict[str, dict[str, Any]]:
    """The profiles of the credentials file alone: botocore takes static keys from there before anything else."""
    return profiles_view(
        None, safewrite.read_text(paths.credentials), names=(str(paths.config), str(paths.credentials))
    )
