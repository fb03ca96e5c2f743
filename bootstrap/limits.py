"""Constants the CLI needs at import time: STS durations, the code pattern, profile suffixes, output formats.

This module imports nothing of the package (and nothing outside the standard library), so the click layer can
spell its options' ranges and defaults from here without importing the core, boto3 or botocore.
"""

from __future__ import annotations

import re
from typing import Final

# GetSessionToken with an IAM user's long-term key.
SESSION_MIN: Final = 900
SESSION_MAX: Final = 129_600
SESSION_DEFAULT: Final = 43_200  # a working day, as aws-mfa

# AssumeRole: 900 up to the role's MaxSessionDuration (3,600 by default, at most 43,200); a session made from
# another role session ("role chaining") lasts at most one hour whatever the role allows.
ROLE_MIN: Final = 900
ROLE_DEFAULT: Final = 3_600
ROLE_MAX: Final = 43_200
ROLE_CHAINED_MAX: Final = 3_600
CHECK_DURATION: Final = 900  # the shortest role session: a check needs it for one call

# botocore refreshes temporary credentials 15 minutes before they expire; so do we.
MIN_TTL_MINUTES: Final = 15

# TOTP: six digits, a new code every 30 seconds; a code AWS refuses is asked again this many times in all.
CODE_PATTERN: Final = re.compile(r"^\d{6}$")
TOTP_STEP: Final = 30
CODE_ATTEMPTS: Final = 3
CODE_COMMAND_FLAG: Final = "--token-code-command"
CODE_COMMAND_ENV: Final = "AWS_IAM_BOOTSTRAP_TOKEN_CODE_COMMAND"
# How long a --token-code-command may take (a password manager waiting for a fingerprint, say).
CODE_COMMAND_TIMEOUT: Final = 60.0
CODE_COMMAND_TIMEOUT_ENV: Final = "AWS_IAM_BOOTSTRAP_TOKEN_CODE_TIMEOUT"

# The aws-mfa layout: the long-term key in [NAME-long-term], the MFA session in [NAME].
LONG_TERM_SUFFIX: Final = "-long-term"

# Access keys: IAM allows two per user; older than this, rotate.
MAX_KEYS: Final = 2
OLD_KEY_DAYS: Final = 90

ENV_FORMATS: Final = ("bash", "fish", "powershell", "github", "json")
