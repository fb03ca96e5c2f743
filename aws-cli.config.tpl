{#
  The shape of ~/.aws/config. ${NAME} is a value from CONST.inc (or one the tool supplies: AWS_USER,
  AWS_ACCOUNT_NAME, AWS_MFA_SERIAL); `accounts` and their `roles` come from CONST.inc's naming convention.
  Only the sections below are managed by `aws-iam-bootstrap render`; anything else in your config is left alone.
  (Notes like this one are template comments: they do not end up in your file.)
  Every ${...} must have a value, or nothing is written; to write a literal one (a shell variable in a
  credential_process line, say), wrap it: {% raw %}${HOME}{% endraw %}.
#}
[default]
region = ${GLOBAL_AWS_REGION}
s3 =
  signature_version = s3v4
  max_concurrent_requests = 100
  max_queue_size = 1000
  multipart_threshold = 64MB
  multipart_chunksize = 16MB

{# Your long-term key (in the credentials file); its MFA device is what `refresh` asks a code for. #}
[profile ${AWS_ACCOUNT_NAME}-long-term]
region = ${GLOBAL_AWS_REGION}
mfa_serial = ${AWS_MFA_SERIAL}

{# The day's MFA session: `refresh` (or `onboard`) writes it into the credentials file, not the template. #}
[profile ${AWS_ACCOUNT_NAME}]
region = ${GLOBAL_AWS_REGION}
{#
  One profile per role in every account, e.g. [profile example-prod_read]. Role profiles carry no mfa_serial:
  their source profile is the MFA session, which already carries MFA, and with mfa_serial botocore would ask for
  a code for every role, every time. role_session_name puts your user name in the accounts' CloudTrail.
#}
{% for account in accounts %}
{% for role in account.roles %}

[profile ${account.name}_${role.profile_suffix}]
region = ${GLOBAL_AWS_REGION}
role_arn = ${role.arn}
source_profile = ${AWS_ACCOUNT_NAME}
role_session_name = ${AWS_USER}
{% endfor %}
{% endfor %}
