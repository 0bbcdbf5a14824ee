"""Call one AWS API in one account of the running emulator and print the answer.

    call.py ACCOUNT SERVICE OPERATION [Name=Value ...]   e.g.
    call.py 222222222222 ec2 describe_vpcs
    call.py 111111111111 workspaces-web list_portals
    call.py 222222222222 iam get_role RoleName=mlperimeter-deploy

Values are parsed as JSON when they parse, else taken as strings; AWS_REGION picks the
Region (us-east-1, the local inventory's, by default). The deploy role of the account is
assumed as the playbooks do.
"""

import json
import os
import sys

import boto3

URL = os.environ.get("MLPERIMETER_EMULATOR_URL") or (
    f"http://127.0.0.1:{os.environ.get('MLPERIMETER_EMULATOR_PORT', '4566')}"
)


def client(service, account, region):
    operator = boto3.client(
        "sts", endpoint_url=URL, region_name=region,
        aws_access_key_id="local-operator", aws_secret_access_key="local-operator",
    )
    creds = operator.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/mlperimeter-deploy", RoleSessionName="mlperimeter-inspect"
    )["Credentials"]
    return boto3.client(
        service, endpoint_url=URL, region_name=region,
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    account, service, operation, *pairs = argv
    params = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        try:
            params[name] = json.loads(value)
        except ValueError:
            params[name] = value
    region = os.environ.get("AWS_REGION", "us-east-1")
    answer = getattr(client(service, account, region), operation)(**params)
    answer.pop("ResponseMetadata", None)
    print(json.dumps(answer, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
