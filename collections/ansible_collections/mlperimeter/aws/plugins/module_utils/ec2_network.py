"""What the VPC, subnet, route table and security group modules share: id patterns, EC2 calls with retries, and tags.

EC2 is eventually consistent: a resource just created can be unknown to the next call for a moment, so
calls made with ``retry_conflict=True`` also retry its not-found codes.
"""

import ipaddress
import re

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)
from ansible_collections.mlperimeter.aws.plugins.module_utils.service_calls import ServiceCalls

VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
NOT_FOUND_CODES = ["InvalidVpcID.NotFound", "InvalidSubnetID.NotFound", "InvalidRouteTableID.NotFound",
                   "InvalidGroup.NotFound"]


class Ec2NetworkError(AnsibleAWSError):
    pass


class Ec2NetworkErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = Ec2NetworkError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(NOT_FOUND_CODES)


ec2_calls = ServiceCalls(Ec2NetworkErrorHandler, conflict_codes=NOT_FOUND_CODES)


def ipv4_network_problem(field, value):
    """A message naming the field when ``value`` is not an IPv4 network in canonical CIDR notation, else None."""
    try:
        network = ipaddress.ip_network(value)
    except ValueError:
        network = None
    if network is None or network.version != 4 or str(network) != value:
        return f"{field}: {value!r} is not an IPv4 network in CIDR notation"
    return None


def tags_of(resource):
    return boto3_tag_list_to_ansible_dict(resource.get("Tags", []))


def merged_tag_list(resource, tags):
    """The resource's tags with ``tags`` added, as EC2 lists them (``resource`` may be empty: a new one)."""
    return ansible_dict_to_boto3_tag_list(dict(tags_of(resource), **tags))


def missing_tags(resource, tags):
    """The tags of ``tags`` the resource lacks or holds with another value (tags are added, never removed)."""
    current = tags_of(resource)
    return {key: value for key, value in tags.items() if current.get(key) != value}


def add_tags(client, resource_id, tags):
    if tags:
        ec2_calls.call(client, "create_tags", f"tag {resource_id}", retry_conflict=True, Resources=[resource_id],
                       Tags=ansible_dict_to_boto3_tag_list(tags))


def tag_specifications(resource_type, tags):
    return [{"ResourceType": resource_type, "Tags": ansible_dict_to_boto3_tag_list(tags)}] if tags else []


def string_tags(tags):
    """Tags as EC2 keeps them: every value a string."""
    return {key: str(value) for key, value in (tags or {}).items()}
