"""Canary secrets: fixed, recognisable secret values the tests feed the tool.

``tests/canary_plugin.py`` fails any test whose printed output (captured stdout/stderr, logs, and every CLI run
made through ``tests.support.cli``) contains one of these, or any secret the test process handled.
"""

CANARY_ACCESS_KEY_ID = "AKIACANARY0000000001"
CANARY_SECRET = "canarySECRETcanarySECRETcanarySECRET0001"  # 40 characters, like a real secret key
CANARY_SECRET_2 = "canarySECRETcanarySECRETcanarySECRET0002"
CANARY_SESSION_TOKEN = "FwoGZXIvYXdzECANARYSESSIONTOKEN" + "x" * 120 + "0001"

ALL = (CANARY_SECRET, CANARY_SECRET_2, CANARY_SESSION_TOKEN)
