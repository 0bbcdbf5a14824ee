"""The operator's perimeter_* variables checked before a rollout makes its first call (pure functions).

``perimeter_input_problems`` takes a host's ``perimeter_*`` variables (name to value) and returns one
message per bad value, each naming the variable and the value, so a play can refuse the whole run up
front rather than stop halfway through a wave. Variables it does not know are left to the roles.
"""

import ipaddress
import re

from ansible.errors import AnsibleFilterError
from ansible_collections.mlperimeter.aws.plugins.filter.browser_allowlist import _parse as allowlist_entry
from ansible_collections.mlperimeter.aws.plugins.filter.perimeter_policies import (
    ACCOUNT_ID,
    ORG_ID,
    PRINCIPAL_ARN,
    REGION,
    VPC_ID,
    _is_bucket_name,
)
from ansible_collections.mlperimeter.aws.plugins.module_utils.iam import POLICY_NAME, ROLE_NAME
from ansible_collections.mlperimeter.aws.plugins.module_utils.rollout_lease import MAX_MINUTES, MIN_MINUTES, RUN_ID
from ansible_collections.mlperimeter.aws.plugins.module_utils.route53resolver import domain_problem
from ansible_collections.mlperimeter.aws.plugins.module_utils.sso_admin import PERMISSION_SET_NAME

OU_PATH = re.compile(r"o-[a-z0-9]{10,32}/r-[0-9a-z]{4,32}/(?:ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}/)+")
ENDPOINT_SERVICE = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")
NETWORK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,62}")
# The retention periods CloudWatch Logs accepts (PutRetentionPolicy).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)
MAX_AZ_COUNT = 6


class _Bad(Exception):
    """One bad value; the message says what is wrong with it."""


def _text(value, pattern, what):
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise _Bad(f"{value!r} is not {what}")


def _list(value, what):
    if isinstance(value, (str, dict, bytes)) or not isinstance(value, (list, tuple)):
        raise _Bad(f"{value!r} is not a list of {what}")
    return value


def _each(check, what):
    def check_list(value):
        for item in _list(value, what):
            check(item)
    return check_list


def _account_id(value):
    _text(value, ACCOUNT_ID, "a 12-digit AWS account id (give it quoted, as a string)")


def _region(value):
    _text(value, REGION, "an AWS Region name")


def _org_id(value):
    _text(value, ORG_ID, "an AWS Organizations id (o- and 10 to 32 lower-case letters or digits)")


def _ou_path(value):
    _text(value, OU_PATH, "an organisation path to an OU (o-<org>/r-<root>/ou-<root>-<ou>/, ending with a slash)")


def _principal(value):
    hint = " (name the role, not an assumed-role session)" if ":assumed-role/" in str(value) else ""
    _text(value, PRINCIPAL_ARN, f"an IAM role or user ARN{hint}")


def _role_name(value):
    _text(value, ROLE_NAME, "an IAM role name (give names, not ARNs)")


def _policy_name(value):
    _text(value, POLICY_NAME, "an IAM policy name")


def _permission_set(value):
    _text(value, PERMISSION_SET_NAME, "a permission set name (1 to 32 letters, digits and +=,.@_-)")


def _bucket(value):
    if not _is_bucket_name(value):
        raise _Bad(f"{value!r} is not an S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens; "
                   "give the name, not an ARN)")


def _domain(value):
    problem = domain_problem(value)
    if problem:
        raise _Bad(f"{value!r} is not a domain name: it {problem}")
    if value.strip() in ("*", "*."):
        raise _Bad(f"{value!r} would let every name resolve")


def _url(value):
    try:
        allowlist_entry("entry", value)
    except AnsibleFilterError as e:
        raise _Bad(str(e).removeprefix("entry: ")) from e


def _cidr(value):
    try:
        network = ipaddress.IPv4Network(value if isinstance(value, str) else "", strict=True)
    except ValueError as e:
        raise _Bad(f"{value!r} is not an IPv4 CIDR such as 10.30.0.0/16 ({e or 'not text'})") from e
    if not 16 <= network.prefixlen <= 28:
        raise _Bad(f"{value!r} is not a VPC or subnet CIDR (a VPC's or subnet's prefix is /16 to /28)")


def _ip_range(value):
    try:
        network = ipaddress.ip_network(value if isinstance(value, str) else "", strict=True)
    except ValueError as e:
        raise _Bad(f"{value!r} is not a CIDR such as 203.0.113.0/24 ({e or 'not text'})") from e
    if network.prefixlen == 0:
        raise _Bad(f"{value!r} admits every address")


def _vpc_id_or_empty(value):
    if value != "":
        _text(value, VPC_ID, "a VPC id (vpc- and 8 or 17 hex digits) or empty")


def _az_count(value):
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise _Bad(f"{value!r} is not a number of Availability Zones")
    if not 2 <= int(value) <= MAX_AZ_COUNT:
        raise _Bad(f"{value!r} is not from 2 to {MAX_AZ_COUNT} (the perimeter needs subnets in at least two zones)")


def _retention(value):
    if isinstance(value, bool) or not str(value).strip().isdigit() or int(value) not in LOG_RETENTION_DAYS:
        raise _Bad(f"{value!r} is not a retention CloudWatch Logs accepts ({', '.join(map(str, LOG_RETENTION_DAYS))})")


def _choice(*choices):
    def check(value):
        if value not in choices:
            raise _Bad(f"{value!r} is not one of {', '.join(choices)}")
    return check


def _boolean(value):
    if not isinstance(value, bool) and str(value).lower() not in ("true", "false", "yes", "no", "1", "0"):
        raise _Bad(f"{value!r} is not true or false")


def _lease_minutes(value):
    if isinstance(value, bool) or not str(value).strip().isdigit() or not MIN_MINUTES <= int(value) <= MAX_MINUTES:
        raise _Bad(f"{value!r} is not a number of minutes from {MIN_MINUTES} to {MAX_MINUTES}")


def _run_id_or_empty(value):
    if value != "":
        _text(value, RUN_ID, "a run id (16 hex digits, as a refused rollout names it) or empty")


def _network_name(value):
    _text(value, NETWORK_NAME, "a name of letters, digits and hyphens (at most 63)")


def _endpoint_service(value):
    _text(value, ENDPOINT_SERVICE, "an endpoint service's short name such as sagemaker.api")


def _ip_access_rule(value):
    if not isinstance(value, dict) or "ip_range" not in value:
        raise _Bad(f"{value!r} is not a rule {{ip_range: CIDR, description: text}}")
    _ip_range(value["ip_range"])


def _tags(value):
    if not isinstance(value, dict):
        raise _Bad(f"{value!r} is not a mapping of tag keys to values")
    for key, tag_value in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or key.lower().startswith(("aws:", "mlperimeter:")):
            raise _Bad(f"key {key!r} is not a tag key of the operator's (1 to 128 characters, not aws: or "
                       "mlperimeter:)")
        if not isinstance(tag_value, str) or len(tag_value) > 256:
            raise _Bad(f"{key}={tag_value!r} is not a tag value (text of at most 256 characters)")


CHECKS = {
    "perimeter_access_account_id": _account_id,
    "perimeter_access_region": _region,
    "perimeter_approved_domains": _each(_domain, "domain names"),
    "perimeter_break_glass_principals": _each(_principal, "IAM role or user ARNs"),
    "perimeter_browser_allowed_urls": _each(_url, "URLs or hosts"),
    "perimeter_browser_az_count": _az_count,
    "perimeter_browser_dns_extra_names": _each(_domain, "domain names"),
    "perimeter_browser_dns_firewall_mode": _choice("BLOCK", "ALERT"),
    "perimeter_browser_network_name": _network_name,
    "perimeter_browser_private_subnet_cidrs": _each(_cidr, "CIDRs"),
    "perimeter_browser_public_subnet_cidrs": _each(_cidr, "CIDRs"),
    "perimeter_browser_single_nat_gateway": _boolean,
    "perimeter_browser_vpc_cidr": _cidr,
    "perimeter_browser_vpc_id": _vpc_id_or_empty,
    "perimeter_data_scientist_roles": _each(_role_name, "IAM role names"),
    "perimeter_demo_identities": _boolean,
    "perimeter_deploy_role_name": _role_name,
    "perimeter_dns_firewall_mode": _choice("BLOCK", "ALERT"),
    "perimeter_flow_logs_destination": _choice("cloud-watch-logs", "s3"),
    "perimeter_flow_logs_retention_days": _retention,
    "perimeter_identity_center_account_id": _account_id,
    "perimeter_identity_center_region": _region,
    "perimeter_lease_enabled": _boolean,
    "perimeter_lease_minutes": _lease_minutes,
    "perimeter_lease_take_over": _run_id_or_empty,
    "perimeter_log_retention_days": _retention,
    "perimeter_ml_buckets": _each(_bucket, "S3 bucket names"),
    "perimeter_network_policy_name": _policy_name,
    "perimeter_org_id": _org_id,
    "perimeter_org_ou_paths": _each(_ou_path, "organisation paths"),
    "perimeter_permission_sets": _each(_permission_set, "permission set names"),
    "perimeter_portal_ip_access_rules": _each(_ip_access_rule, "rules {ip_range, description}"),
    "perimeter_resource_policy_name": _policy_name,
    "perimeter_sagemaker_az_count": _az_count,
    "perimeter_sagemaker_endpoint_services": _each(_endpoint_service, "endpoint service names"),
    "perimeter_sagemaker_execution_roles": _each(_role_name, "IAM role names"),
    "perimeter_sagemaker_guardrails_policy_name": _policy_name,
    "perimeter_sagemaker_network_name": _network_name,
    "perimeter_sagemaker_subnet_cidrs": _each(_cidr, "CIDRs"),
    "perimeter_sagemaker_vpc_cidr": _cidr,
    "perimeter_sagemaker_vpc_id": _vpc_id_or_empty,
    "perimeter_tags": _tags,
    "perimeter_trusted_resource_accounts": _each(_account_id, "12-digit account ids"),
}


def perimeter_input_problems(values):
    """One message per bad value among ``values`` (variable name to value), naming the variable and the
    value; [] when every known variable is well formed."""
    if not isinstance(values, dict):
        raise AnsibleFilterError(f"perimeter_input_problems: expected the variables by name, got {values!r}")
    problems = []
    for name in sorted(set(values) & set(CHECKS)):
        try:
            CHECKS[name](values[name])
        except _Bad as e:
            problems.append(f"{name}: {e}")
    return problems


class FilterModule:
    def filters(self):
        return {"perimeter_input_problems": perimeter_input_problems}
