"""VPC endpoints: validation, look-ups, policy comparison and the calls that change them.

AWS returns an endpoint's policy as JSON text whose layout it does not keep, and leaves out
``Version`` on an interface endpoint's default policy. Policies are therefore parsed, a missing
``Version`` is read as ``2008-10-17`` (what IAM assumes), and the two documents are compared with
amazon.aws ``compare_policies``, never as strings.
"""

import copy
import json
import re
import time

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)
from ansible_collections.mlperimeter.aws.plugins.module_utils.retries import jittered_backoff

MAX_POLICY_LENGTH = 20480
DEFAULT_POLICY_VERSION = "2008-10-17"
FULL_ACCESS_STATEMENT = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
# The default policy as the PrivateLink guide writes it; sent to restore an interface endpoint's full access.
FULL_ACCESS_POLICY = {"Statement": [FULL_ACCESS_STATEMENT]}
ENDPOINT_TYPES = ["Interface", "Gateway"]
# States of endpoints that are gone or never came up: the look-up does not count them as the endpoint.
GONE_STATES = {"deleting", "deleted", "failed", "rejected", "expired"}

VPC_ID = re.compile(r"vpc-[0-9a-f]{8,17}")
VPC_ENDPOINT_ID = re.compile(r"vpce-[0-9a-f]{8,17}")
SUBNET_ID = re.compile(r"subnet-[0-9a-f]{8,17}")
SECURITY_GROUP_ID = re.compile(r"sg-[0-9a-f]{8,17}")
ROUTE_TABLE_ID = re.compile(r"rtb-[0-9a-f]{8,17}")
REGION = r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}"
# com.amazonaws.<region>.<service>, aws.sagemaker.<region>.<service> or an endpoint service of an account.
SERVICE_NAME = re.compile(
    rf"(?:com\.amazonaws\.(?P<region>{REGION})\.[a-z0-9][a-z0-9.-]*"
    rf"|aws\.[a-z0-9-]+\.(?P<aws_region>{REGION})\.[a-z0-9][a-z0-9.-]*"
    rf"|com\.amazonaws\.vpce\.(?P<vpce_region>{REGION})\.vpce-svc-[0-9a-f]{{8,17}})"
)
PROJECT_TAG_PREFIX = "mlperimeter:"


class EndpointError(AnsibleAWSError):
    pass


class EndpointErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = EndpointError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["InvalidVpcEndpointId.NotFound", "InvalidVpcEndpoint.NotFound"])


# Validation ----------------------------------------------------------------------------------------------

def minify(document):
    return json.dumps(document, separators=(",", ":"))


def parse_policy(value):
    """The ``policy`` option as a dict; EndpointError naming the field when it is not a policy document."""
    if isinstance(value, dict):
        document = value
    else:
        try:
            document = json.loads(value)
        except ValueError as e:
            raise EndpointError(message=f"policy: not valid JSON ({e})") from e
    if not isinstance(document, dict) or "Statement" not in document:
        raise EndpointError(message="policy: a policy document is a JSON object with a Statement")
    statements = document["Statement"]
    statements = [statements] if isinstance(statements, dict) else statements
    if not isinstance(statements, list) or not statements or not all(
            isinstance(s, dict) and s.get("Effect") in ("Allow", "Deny") for s in statements):
        raise EndpointError(message=f"policy: Statement must be one statement or a list of them, each with Effect "
                                    f"Allow or Deny; got {document['Statement']!r}")
    size = len(minify(document))
    if size > MAX_POLICY_LENGTH:
        raise EndpointError(
            message=f"policy: {size} characters once minified, over the {MAX_POLICY_LENGTH} characters AWS allows "
            "for a VPC endpoint policy"
        )
    return document


def _check_ids(field, values, pattern):
    for value in values or []:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise EndpointError(message=f"{field}: {value!r} is not a valid id ({pattern.pattern})")


def validate(params, region):
    """Check the module's input before any call; return the parsed policy (or None)."""
    vpc_id, service_name = params["vpc_id"], params["service_name"]
    if not VPC_ID.fullmatch(vpc_id):
        raise EndpointError(message=f"vpc_id: {vpc_id!r} is not a VPC id (vpc- and 8 to 17 hex digits)")
    match = SERVICE_NAME.fullmatch(service_name)
    if not match:
        raise EndpointError(
            message=f"service_name: {service_name!r} is not a VPC endpoint service name "
            "(com.amazonaws.<region>.<service>, aws.<service>.<region>.<name> "
            "or com.amazonaws.vpce.<region>.vpce-svc-…)"
        )
    service_region = next(r for r in match.groups() if r)
    if region and service_region != region:
        raise EndpointError(
            message=f"service_name: {service_name!r} is a service of {service_region}, not of {region} where the "
            "endpoint is managed"
        )
    endpoint_id = params.get("vpc_endpoint_id")
    if endpoint_id is not None and not VPC_ENDPOINT_ID.fullmatch(endpoint_id):
        raise EndpointError(message=f"vpc_endpoint_id: {endpoint_id!r} is not a VPC endpoint id (vpce-…)")
    _check_ids("subnet_ids", params.get("subnet_ids"), SUBNET_ID)
    _check_ids("security_group_ids", params.get("security_group_ids"), SECURITY_GROUP_ID)
    _check_ids("route_table_ids", params.get("route_table_ids"), ROUTE_TABLE_ID)
    if params["state"] == "absent":
        return None
    endpoint_type = params["vpc_endpoint_type"]
    if endpoint_type == "Gateway":
        for field in ("subnet_ids", "security_group_ids", "private_dns_enabled"):
            if params.get(field) is not None:
                raise EndpointError(message=f"{field}: only valid for an Interface endpoint, not a Gateway endpoint")
    elif params.get("route_table_ids") is not None:
        raise EndpointError(message="route_table_ids: only valid for a Gateway endpoint, not an Interface endpoint")
    if endpoint_type == "Interface" and params.get("subnet_ids") == []:
        raise EndpointError(message="subnet_ids: an Interface endpoint needs at least one subnet")
    if endpoint_type == "Interface" and params.get("security_group_ids") == []:
        raise EndpointError(message="security_group_ids: an Interface endpoint needs at least one security group")
    for key in (params.get("tags") or {}):
        if key.startswith("aws:"):
            raise EndpointError(message=f"tags: {key!r} uses the aws: prefix, which AWS reserves")
    if params.get("policy") is None:
        return None
    if params.get("reset_policy"):
        raise EndpointError(message="reset_policy: cannot be true together with a policy; give one or the other")
    return parse_policy(params["policy"])


# Policies ------------------------------------------------------------------------------------------------

def read_policy(text):
    """An endpoint's ``PolicyDocument`` as a dict; AWS always sends it as JSON text."""
    if not text:
        return None
    return json.loads(text) if isinstance(text, str) else text


def with_version(document):
    """The document with ``Version`` set, as IAM reads a policy without one."""
    normalised = copy.deepcopy(document)
    normalised.setdefault("Version", DEFAULT_POLICY_VERSION)
    return normalised


def policies_differ(current, desired):
    if current is None:
        return True
    return compare_policies(with_version(current), with_version(desired))


def is_full_access(document):
    return document is not None and not policies_differ(document, FULL_ACCESS_POLICY)


# Reading -------------------------------------------------------------------------------------------------

@EndpointErrorHandler.common_error_handler("describe VPC endpoint services")
@jittered_backoff()
def describe_service(client, service_name):
    """The service's details, one per endpoint type it offers (S3 has two); [] when the Region does not offer it."""
    try:
        details = client.describe_vpc_endpoint_services(ServiceNames=[service_name]).get("ServiceDetails", [])
    except is_boto3_error_code("InvalidServiceName"):
        return []
    return [d for d in details if d["ServiceName"] == service_name]


def check_service(details, *, service_name, endpoint_type, region, policy):
    """Refuse, naming the field, what the service cannot take; called before any write."""
    if not details:
        raise EndpointError(
            message=f"service_name: {service_name!r} is not offered as a VPC endpoint service in {region}"
        )
    by_type = {t["ServiceType"]: detail for detail in details for t in detail.get("ServiceType", [])}
    if endpoint_type not in by_type:
        raise EndpointError(
            message=f"vpc_endpoint_type: {service_name} offers {', '.join(sorted(by_type)) or 'no'} endpoints, "
            f"not {endpoint_type}"
        )
    if policy is not None and not by_type[endpoint_type].get("VpcEndpointPolicySupported", False):
        raise EndpointError(
            message=f"policy: {service_name} does not support VPC endpoint policies (VpcEndpointPolicySupported is "
            "false); endpoints to it always have full access, so leave policy out"
        )


@EndpointErrorHandler.list_error_handler("describe VPC endpoints", [])
@jittered_backoff()
def describe_endpoints(client, **params):
    paginator = client.get_paginator("describe_vpc_endpoints")
    return paginator.paginate(**params).build_full_result()["VpcEndpoints"]


def project_tags(tags):
    """The project's tags among the task's: they tell the project's endpoints from others."""
    return {key: value for key, value in (tags or {}).items() if key.startswith(PROJECT_TAG_PREFIX)}


def find_endpoints(client, *, vpc_id, service_name, endpoint_type, match_tags, endpoint_id=None):
    """Live endpoints of the VPC to the service, of that type, carrying ``match_tags`` (or the one by id)."""
    if endpoint_id:
        found = describe_endpoints(client, VpcEndpointIds=[endpoint_id])
        if not found:
            raise EndpointError(message=f"vpc_endpoint_id: {endpoint_id} does not exist")
        endpoint = found[0]
        if (endpoint["VpcId"], endpoint["ServiceName"]) != (vpc_id, service_name):
            raise EndpointError(
                message=f"vpc_endpoint_id: {endpoint_id} is an endpoint of {endpoint['VpcId']} to "
                f"{endpoint['ServiceName']}, not of {vpc_id} to {service_name}"
            )
    else:
        filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "service-name", "Values": [service_name]}]
        filters += [{"Name": f"tag:{k}", "Values": [v]} for k, v in sorted(match_tags.items())]
        found = describe_endpoints(client, Filters=filters)
    found = [e for e in found if e.get("State", "").lower() not in GONE_STATES]
    return [e for e in found if endpoint_id or e.get("VpcEndpointType") == endpoint_type]


def normalise(endpoint):
    """The snake_case view the module returns: the policy parsed, tags as a dict, group ids listed."""
    result = camel_dict_to_snake_dict({k: v for k, v in endpoint.items() if k != "PolicyDocument"},
                                      ignore_list=["Tags"])
    result["policy_document"] = read_policy(endpoint.get("PolicyDocument"))
    result["tags"] = boto3_tag_list_to_ansible_dict(endpoint.get("Tags", []))
    result["security_group_ids"] = sorted(g["GroupId"] for g in endpoint.get("Groups", []))
    result["subnet_ids"] = sorted(endpoint.get("SubnetIds", []))
    result["route_table_ids"] = sorted(endpoint.get("RouteTableIds", []))
    result["state"] = (endpoint.get("State") or "").lower()
    if "creation_timestamp" in result and not isinstance(result["creation_timestamp"], str):
        result["creation_timestamp"] = result["creation_timestamp"].isoformat()
    return result


# Changes -------------------------------------------------------------------------------------------------

def modification(current, *, policy, reset_policy, subnet_ids, security_group_ids, route_table_ids,
                 private_dns_enabled):
    """The ``ModifyVpcEndpoint`` parameters that bring ``current`` (normalised) to what is asked; {} if none."""
    params = {}
    if policy is not None and policies_differ(current["policy_document"], policy):
        params["PolicyDocument"] = minify(policy)
    if reset_policy and not is_full_access(current["policy_document"]):
        # ResetPolicy is documented for gateway endpoints only; an interface endpoint gets the
        # full-access document explicitly.
        if current["vpc_endpoint_type"] == "Gateway":
            params["ResetPolicy"] = True
        else:
            params["PolicyDocument"] = minify(FULL_ACCESS_POLICY)
    for wanted, have, add, remove in (
        (subnet_ids, current["subnet_ids"], "AddSubnetIds", "RemoveSubnetIds"),
        (security_group_ids, current["security_group_ids"], "AddSecurityGroupIds", "RemoveSecurityGroupIds"),
        (route_table_ids, current["route_table_ids"], "AddRouteTableIds", "RemoveRouteTableIds"),
    ):
        if wanted is None:
            continue
        added = sorted(set(wanted) - set(have))
        removed = sorted(set(have) - set(wanted))
        if added:
            params[add] = added
        if removed:
            params[remove] = removed
    if private_dns_enabled is not None and private_dns_enabled != current.get("private_dns_enabled"):
        params["PrivateDnsEnabled"] = private_dns_enabled
    return params


def predict(current, params):
    """``current`` after ``params`` were applied: what check mode reports."""
    after = copy.deepcopy(current)
    if "PolicyDocument" in params:
        after["policy_document"] = json.loads(params["PolicyDocument"])
    if params.get("ResetPolicy"):
        after["policy_document"] = with_version(FULL_ACCESS_POLICY)
    for key, add, remove in (
        ("subnet_ids", "AddSubnetIds", "RemoveSubnetIds"),
        ("security_group_ids", "AddSecurityGroupIds", "RemoveSecurityGroupIds"),
        ("route_table_ids", "AddRouteTableIds", "RemoveRouteTableIds"),
    ):
        after[key] = sorted((set(after[key]) | set(params.get(add, []))) - set(params.get(remove, [])))
    if "PrivateDnsEnabled" in params:
        after["private_dns_enabled"] = params["PrivateDnsEnabled"]
    return after


@EndpointErrorHandler.common_error_handler("create VPC endpoint")
@jittered_backoff()
def create_endpoint(client, *, vpc_id, service_name, endpoint_type, policy, subnet_ids, security_group_ids,
                    route_table_ids, private_dns_enabled, tags, client_token):
    params = {"VpcId": vpc_id, "ServiceName": service_name, "VpcEndpointType": endpoint_type,
              "ClientToken": client_token}
    if policy is not None:
        params["PolicyDocument"] = minify(policy)
    if subnet_ids:
        params["SubnetIds"] = subnet_ids
    if security_group_ids:
        params["SecurityGroupIds"] = security_group_ids
    if route_table_ids:
        params["RouteTableIds"] = route_table_ids
    if private_dns_enabled is not None:
        params["PrivateDnsEnabled"] = private_dns_enabled
    if tags:
        params["TagSpecifications"] = [{"ResourceType": "vpc-endpoint", "Tags": ansible_dict_to_boto3_tag_list(tags)}]
    return client.create_vpc_endpoint(**params)["VpcEndpoint"]


@EndpointErrorHandler.common_error_handler("modify VPC endpoint")
@jittered_backoff()
def modify_endpoint(client, endpoint_id, params):
    client.modify_vpc_endpoint(VpcEndpointId=endpoint_id, **params)


@EndpointErrorHandler.deletion_error_handler("delete VPC endpoint")
@jittered_backoff()
def delete_endpoint(client, endpoint_id):
    answer = client.delete_vpc_endpoints(VpcEndpointIds=[endpoint_id])
    for failure in answer.get("Unsuccessful", []):
        error = failure.get("Error", {})
        if error.get("Code") not in ("InvalidVpcEndpointId.NotFound", "InvalidVpcEndpoint.NotFound"):
            raise EndpointError(message=f"AWS did not delete VPC endpoint {endpoint_id}: {error.get('Code')} "
                                f"{error.get('Message')}")
    return True


@EndpointErrorHandler.common_error_handler("tag VPC endpoint")
@jittered_backoff()
def tag_endpoint(client, endpoint_id, tags):
    client.create_tags(Resources=[endpoint_id], Tags=ansible_dict_to_boto3_tag_list(tags))


@EndpointErrorHandler.common_error_handler("untag VPC endpoint")
@jittered_backoff()
def untag_endpoint(client, endpoint_id, keys):
    client.delete_tags(Resources=[endpoint_id], Tags=[{"Key": key} for key in keys])


def wait_for(client, endpoint_id, *, gone, timeout, delay=2):
    """The endpoint once ``available`` (or None once deleted, with ``gone``); EndpointError on timeout or failure."""
    deadline = time.monotonic() + timeout
    while True:
        found = describe_endpoints(client, VpcEndpointIds=[endpoint_id])
        state = (found[0].get("State") or "").lower() if found else "deleted"
        if gone and state == "deleted":
            return None
        if not gone and state == "available":
            return found[0]
        if not gone and state in GONE_STATES:
            raise EndpointError(message=f"VPC endpoint {endpoint_id} is {state}, not available")
        if time.monotonic() > deadline:
            wanted = "deleted" if gone else "available"
            raise EndpointError(message=f"VPC endpoint {endpoint_id} is still {state} after {timeout}s, not {wanted}")
        time.sleep(delay)
