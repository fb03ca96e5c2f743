"""What an engineer runs: ``onboard`` and ``rotate-key`` (with their ``steps`` and ``progress``), ``refresh``,
``credential_process``, ``verify``, and ``resolve``/``export`` for `env` and `exec`.

Every MFA code comes through ``codes`` and every MFA session through ``session``; ``roles`` is the one definition
of "this role works", used by ``verify`` and by onboarding's role check.
"""
