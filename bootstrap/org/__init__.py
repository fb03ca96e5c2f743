"""The organisation: its accounts, its people and what they may assume, as product code that both the platform
commands and the sandbox use, so the sandbox holds exactly what ships.

``naming`` (role and group names), ``documents`` (the IAM policy and trust documents, kept as data in
``policies/``), ``model`` (the organisation read from the team's files).
"""
