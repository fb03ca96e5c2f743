{#
  The shape of ~/.aws/credentials. Only your long-term key is templated: the session profile
  [${AWS_ACCOUNT_NAME}] is written by `refresh`/`onboard`, and `render` never touches it.
  The key comes from --access-key-id and --secret-access-key-stdin (or a hidden prompt) the first time;
  afterwards `render` reuses the key already in this profile.
  aws_mfa_device is where aws-mfa looks for the MFA device (it reads only this file); the config template's
  mfa_serial is where the SDKs and this tool look. With both, either tool renews the same session.
#}
[${AWS_ACCOUNT_NAME}-long-term]
aws_access_key_id = ${AWS_ACCESS_KEY_ID}
aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}
aws_mfa_device = ${AWS_MFA_SERIAL}
