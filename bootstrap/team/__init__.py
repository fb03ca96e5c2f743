"""The team's inputs, kept at the root of its infra repository: CONST.inc (``const``), the two templates
(``templates``), finding them (``inputs``), rendering them into the AWS files (``render``) and the console's
switch-role links (``links``). No module here imports boto3: ``render`` runs without it.
"""
