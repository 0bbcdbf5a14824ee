"""VPC flow logs: look-ups, normalising, validation and the calls that change them.

A flow log cannot be modified once created: a change to any attribute but its tags
means deleting it and creating another. ``immutable_differences`` names what differs.
"""

import re
import time

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)
from ansible_collections.mlperimeter.aws.plugins.module_utils.retries import jittered_backoff

# The format AWS applies when CreateFlowLogs is called without LogFormat (version 2 fields).
DEFAULT_LOG_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
)
RESOURCE_PREFIXES = {"VPC": "vpc-", "Subnet": "subnet-", "NetworkInterface": "eni-"}
RESOURCE_ID_PATTERN = re.compile(r"^(vpc|subnet|eni)-[0-9a-f]{8,17}$")
LOG_GROUP_NAME_PATTERN = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
ROLE_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$")
S3_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/.*)?$")
LOG_GROUP_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:log-group:([^:]+)(:\*)?$")
LOG_FORMAT_PATTERN = re.compile(r"^\$\{[a-z0-9-]+\}( \$\{[a-z0-9-]+\})*$")
IMMUTABLE_FIELDS = ("traffic_type", "log_format", "max_aggregation_interval", "deliver_logs_permission_arn")


class FlowLogsError(AnsibleAWSError):
    pass


class FlowLogsErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = FlowLogsError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["InvalidFlowLogId.NotFound", "InvalidVpcID.NotFound", "InvalidSubnetID.NotFound"])


def validate(params):
    """Check the module's input before any call; return a message naming the field, or None."""
    resource_type = params["resource_type"]
    resource_id = params["resource_id"]
    if not RESOURCE_ID_PATTERN.match(resource_id) or not resource_id.startswith(RESOURCE_PREFIXES[resource_type]):
        return f"resource_id: {resource_id!r} is not the id of a {resource_type} ({RESOURCE_PREFIXES[resource_type]}…)"
    group = params.get("log_group_name")
    if group is not None and not LOG_GROUP_NAME_PATTERN.match(group):
        return f"log_group_name: {group!r} is not a CloudWatch Logs log group name (1-512 of A-Za-z0-9 . - _ / #)"
    role = params.get("deliver_logs_permission_arn")
    if role is not None and not ROLE_ARN_PATTERN.match(role):
        return f"deliver_logs_permission_arn: {role!r} is not an IAM role ARN"
    bucket = params.get("s3_bucket_arn")
    if bucket is not None:
        match = S3_ARN_PATTERN.match(bucket)
        if not match:
            return (
                f"s3_bucket_arn: {bucket!r} is not an S3 bucket ARN "
                "(arn:aws:s3:::bucket or arn:aws:s3:::bucket/folder/)"
            )
        if "AWSLogs" in (match.group(2) or "").split("/"):
            return f"s3_bucket_arn: {bucket!r} uses AWSLogs as a folder name, which AWS reserves"
    log_format = params.get("log_format")
    if log_format is not None and not LOG_FORMAT_PATTERN.match(log_format):
        return f"log_format: {log_format!r} must be ${{field}} names separated by single spaces"
    if params["state"] == "absent":
        return None
    destination_type = params.get("destination_type") or "cloud-watch-logs"
    if destination_type == "cloud-watch-logs":
        missing = [name for name in ("log_group_name", "deliver_logs_permission_arn") if params.get(name) is None]
        if missing:
            return f"{', '.join(missing)}: required when destination_type is cloud-watch-logs"
        if bucket is not None:
            return "s3_bucket_arn: only valid when destination_type is s3"
    else:
        if bucket is None:
            return "s3_bucket_arn: required when destination_type is s3"
        extra = [name for name in ("log_group_name", "deliver_logs_permission_arn") if params.get(name) is not None]
        if extra:
            return f"{', '.join(extra)}: not valid when destination_type is s3"
    return None


def normalise_destination(flow_log):
    """``(type, destination)``: the log group name for CloudWatch Logs, the ARN without a trailing / for S3.

    AWS reports a CloudWatch Logs destination by name, by ARN or both, depending on how it was created.
    """
    destination_type = flow_log.get("LogDestinationType", "cloud-watch-logs")
    if destination_type == "cloud-watch-logs":
        name = flow_log.get("LogGroupName")
        if not name:
            match = LOG_GROUP_ARN_PATTERN.match(flow_log.get("LogDestination") or "")
            name = match.group(1) if match else flow_log.get("LogDestination")
        return destination_type, name
    return destination_type, (flow_log.get("LogDestination") or "").rstrip("/")


def desired_destination(destination_type, log_group_name, s3_bucket_arn):
    if destination_type == "s3":
        return "s3", s3_bucket_arn.rstrip("/")
    return "cloud-watch-logs", log_group_name


def normalise(flow_log):
    """The snake_case view the module returns and compares."""
    destination_type, destination = normalise_destination(flow_log)
    result = camel_dict_to_snake_dict(flow_log, ignore_list=["Tags"])
    result["tags"] = boto3_tag_list_to_ansible_dict(flow_log.get("Tags", []))
    result["log_destination_type"] = destination_type
    if destination_type == "cloud-watch-logs":
        result["log_group_name"] = destination
    result.setdefault("deliver_logs_permission_arn", None)
    if "creation_time" in result:
        result["creation_time"] = result["creation_time"].isoformat()
    return result


def immutable_differences(current, desired):
    """Names of the attributes AWS cannot change in place that differ between the two."""
    return [field for field in IMMUTABLE_FIELDS if current.get(field) != desired.get(field)]


@FlowLogsErrorHandler.list_error_handler("describe flow logs", [])
@jittered_backoff()
def describe_flow_logs(client, resource_id, match_tags):
    filters = [{"Name": "resource-id", "Values": [resource_id]}]
    filters += [{"Name": f"tag:{key}", "Values": [value]} for key, value in sorted(match_tags.items())]
    paginator = client.get_paginator("describe_flow_logs")
    return paginator.paginate(Filters=filters).build_full_result()["FlowLogs"]


def find_flow_logs(client, resource_id, match_tags, destination=None):
    """The flow logs of a resource carrying ``match_tags``, limited to one destination when given.

    ``destination`` is ``(type, value)`` as ``desired_destination`` returns it, or only a type.
    """
    found = []
    for flow_log in describe_flow_logs(client, resource_id, match_tags):
        actual_type, actual = normalise_destination(flow_log)
        if destination is not None:
            wanted_type, wanted = destination
            if actual_type != wanted_type or (wanted is not None and actual != wanted):
                continue
        found.append(flow_log)
    return sorted(found, key=lambda f: (str(f.get("CreationTime")), f["FlowLogId"]))


@FlowLogsErrorHandler.common_error_handler("create flow log")
@jittered_backoff()
def create_flow_log(client, spec, tags):
    params = {
        "ResourceType": spec["resource_type"],
        "ResourceIds": [spec["resource_id"]],
        "TrafficType": spec["traffic_type"],
        "LogDestinationType": spec["log_destination_type"],
        "LogFormat": spec["log_format"],
        "MaxAggregationInterval": spec["max_aggregation_interval"],
    }
    if spec["log_destination_type"] == "s3":
        params["LogDestination"] = spec["log_destination"]
    else:
        params["LogGroupName"] = spec["log_group_name"]
        params["DeliverLogsPermissionArn"] = spec["deliver_logs_permission_arn"]
    if tags:
        params["TagSpecifications"] = [{"ResourceType": "vpc-flow-log", "Tags": ansible_dict_to_boto3_tag_list(tags)}]
    answer = client.create_flow_logs(**params)
    if answer.get("Unsuccessful"):
        failure = answer["Unsuccessful"][0]
        raise FlowLogsError(
            message=f"AWS refused the flow log of {failure.get('ResourceId')}: "
            f"{failure['Error'].get('Code')} {failure['Error'].get('Message')}"
        )
    return answer["FlowLogIds"][0]


@FlowLogsErrorHandler.deletion_error_handler("delete flow log")
@jittered_backoff()
def delete_flow_log(client, flow_log_id):
    answer = client.delete_flow_logs(FlowLogIds=[flow_log_id])
    for failure in answer.get("Unsuccessful", []):
        if failure["Error"].get("Code") != "InvalidFlowLogId.NotFound":
            raise FlowLogsError(
                message=f"AWS did not delete flow log {flow_log_id}: {failure['Error'].get('Code')} "
                f"{failure['Error'].get('Message')}"
            )
    return True


@FlowLogsErrorHandler.common_error_handler("tag flow log")
@jittered_backoff()
def tag_flow_log(client, flow_log_id, tags):
    client.create_tags(Resources=[flow_log_id], Tags=ansible_dict_to_boto3_tag_list(tags))


@FlowLogsErrorHandler.common_error_handler("untag flow log")
@jittered_backoff()
def untag_flow_log(client, flow_log_id, keys):
    client.delete_tags(Resources=[flow_log_id], Tags=[{"Key": key} for key in keys])


@FlowLogsErrorHandler.common_error_handler("read flow log")
@jittered_backoff()
def describe_flow_log(client, flow_log_id):
    return client.describe_flow_logs(FlowLogIds=[flow_log_id])["FlowLogs"]


def get_flow_log(client, flow_log_id, attempts=10, delay=1):
    """A flow log just created, once DescribeFlowLogs sees it (EC2 reads are eventually consistent)."""
    for attempt in range(attempts):
        flow_logs = describe_flow_log(client, flow_log_id)
        if flow_logs:
            return flow_logs[0]
        if attempt + 1 < attempts:
            time.sleep(delay)
    raise FlowLogsError(message=f"Flow log {flow_log_id} was created but DescribeFlowLogs does not return it")
