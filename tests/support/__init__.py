"""What the tests share (no tests here).

``cli``: running the tool (in-process with click's ``CliRunner``, or as a real process where a terminal, a signal
or concurrency is the point) and the real ``aws`` CLI, every output recorded for the canary scan;
``canaries`` and ``canary_plugin``: the secrets no output may hold, and the scan; ``clock``: the fake clock the
sandbox and the tool share, so TOTP windows pass without waiting; ``engineer``: an engineer's day set up in the
sandbox (MFA device, AWS files); ``onboarding``: crash points and event collection for onboard and rotate-key.
"""
