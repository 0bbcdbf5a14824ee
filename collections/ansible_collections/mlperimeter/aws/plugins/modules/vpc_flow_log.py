#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpc_flow_log
short_description: Manage the flow log of a VPC, subnet or network interface
version_added: 0.1.0
description:
  - Creates, replaces or deletes one flow log of a VPC, subnet or network interface, delivered to a
    CloudWatch Logs log group (with the IAM role that delivers to it) or to an S3 bucket.
  - The flow log is found by O(resource_id), its destination and the project's tags (the keys of O(tags)
    that start with C(mlperimeter:)). Flow logs without those tags, or to other destinations, are never
    touched.
  - AWS cannot modify a flow log. When O(traffic_type), O(log_format), O(max_aggregation_interval) or
    O(deliver_logs_permission_arn) differ from the flow log found, the module B(replaces) it - deletes it,
    then creates a new one with a new id - and reports what differed in RV(replaced_attributes). Records
    of the traffic between the two calls are not captured. Only tags are changed in place.
author:
  - mlperimeter maintainers
options:
  state:
    description:
      - V(present) creates the flow log, or replaces it when an attribute AWS cannot change differs.
      - V(absent) deletes the project's flow logs of O(resource_id) to the given destination; with
        no O(destination_type), to any destination.
    type: str
    choices: [present, absent]
    default: present
  resource_type:
    description: The kind of resource O(resource_id) names.
    type: str
    choices: [VPC, Subnet, NetworkInterface]
    default: VPC
  resource_id:
    description: The id of the VPC (C(vpc-...)), subnet (C(subnet-...)) or network interface (C(eni-...)).
    type: str
    required: true
  destination_type:
    description:
      - Where the records go. With O(state=present), V(cloud-watch-logs) when not given.
    type: str
    choices: [cloud-watch-logs, s3]
  log_group_name:
    description:
      - The CloudWatch Logs log group. Required when O(destination_type=cloud-watch-logs) and O(state=present).
    type: str
  deliver_logs_permission_arn:
    description:
      - ARN of the IAM role that the flow logs service assumes to write to the log group. Required when
        O(destination_type=cloud-watch-logs) and O(state=present); not valid with V(s3).
    type: str
    aliases: [delivery_role_arn]
  s3_bucket_arn:
    description:
      - ARN of the S3 bucket, optionally with a folder (C(arn:aws:s3:::bucket/folder/)); C(AWSLogs) cannot
        be a folder name. Required when O(destination_type=s3) and O(state=present).
    type: str
  traffic_type:
    description: Which traffic is recorded.
    type: str
    choices: [ACCEPT, REJECT, ALL]
    default: ALL
  log_format:
    description:
      - The fields of each record, as C(${field}) names separated by spaces. When not given, the
        default format of AWS (the version 2 fields); a flow log with another format is replaced.
    type: str
  max_aggregation_interval:
    description: Longest time, in seconds, over which packets are aggregated into one record.
    type: int
    choices: [60, 600]
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what would be created, replaced, retagged or deleted without calling any write API.
  diff_mode:
    support: full
    description: Returns the flow log before and after the change.
  idempotent:
    support: full
    description: A second run with the same arguments changes nothing.
"""

EXAMPLES = r"""
- name: Record all traffic of the VPC in a CloudWatch Logs log group
  mlperimeter.aws.vpc_flow_log:
    resource_id: vpc-0123456789abcdef0
    log_group_name: /mlperimeter/vpc-flow-logs/browser
    deliver_logs_permission_arn: arn:aws:iam::111111111111:role/mlperimeter-flow-logs
    tags:
      mlperimeter:managed: "true"
      mlperimeter:control: A1
      Name: mlperimeter-browser

- name: Record rejected traffic in a folder of an S3 bucket, aggregated every minute
  mlperimeter.aws.vpc_flow_log:
    resource_id: vpc-0123456789abcdef0
    destination_type: s3
    s3_bucket_arn: arn:aws:s3:::audit-flow-logs/browser/
    traffic_type: REJECT
    max_aggregation_interval: 60

- name: Remove the project's flow logs of the VPC, whatever their destination
  mlperimeter.aws.vpc_flow_log:
    resource_id: vpc-0123456789abcdef0
    state: absent
    tags:
      mlperimeter:managed: "true"
"""

RETURN = r"""
flow_log:
  description: The flow log after the task; empty after O(state=absent). In check mode, the flow log the
    task would leave (without C(flow_log_id) when it would create one).
  returned: always
  type: dict
  contains:
    flow_log_id:
      description: The id of the flow log.
      type: str
      sample: fl-0123456789abcdef0
    resource_id:
      description: The resource whose traffic is recorded.
      type: str
      sample: vpc-0123456789abcdef0
    traffic_type:
      description: Which traffic is recorded.
      type: str
      sample: ALL
    log_destination_type:
      description: C(cloud-watch-logs) or C(s3).
      type: str
      sample: cloud-watch-logs
    log_destination:
      description: ARN of the destination, when AWS reports it.
      type: str
      sample: arn:aws:s3:::audit-flow-logs/browser/
    log_group_name:
      description: The log group, for a CloudWatch Logs destination.
      type: str
      sample: /mlperimeter/vpc-flow-logs/browser
    deliver_logs_permission_arn:
      description: The delivery role, for a CloudWatch Logs destination.
      type: str
      sample: arn:aws:iam::111111111111:role/mlperimeter-flow-logs
    deliver_logs_status:
      description: Whether delivery works (C(SUCCESS) or C(FAILED)).
      type: str
      sample: SUCCESS
    flow_log_status:
      description: The status of the flow log (C(ACTIVE)).
      type: str
      sample: ACTIVE
    log_format:
      description: The fields of each record.
      type: str
    max_aggregation_interval:
      description: Aggregation interval in seconds.
      type: int
      sample: 600
    tags:
      description: The flow log's tags.
      type: dict
      sample: {"mlperimeter:managed": "true"}
replaced_attributes:
  description: The attributes that differed and made the module replace the flow log; empty when it did not.
  returned: always
  type: list
  elements: str
  sample: [traffic_type]
deleted_flow_log_ids:
  description: Ids of the flow logs deleted (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags
from ansible_collections.mlperimeter.aws.plugins.module_utils.ec2_flow_logs import (
    DEFAULT_LOG_FORMAT,
    create_flow_log,
    delete_flow_log,
    desired_destination,
    find_flow_logs,
    get_flow_log,
    immutable_differences,
    normalise,
    tag_flow_log,
    untag_flow_log,
    validate,
)
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule
from ansible_collections.mlperimeter.aws.plugins.module_utils.retries import jittered_backoff

PROJECT_TAG_PREFIX = "mlperimeter:"


def desired_spec(params):
    destination_type = params["destination_type"] or "cloud-watch-logs"
    spec = {
        "resource_type": params["resource_type"],
        "resource_id": params["resource_id"],
        "traffic_type": params["traffic_type"],
        "log_destination_type": destination_type,
        "log_format": params["log_format"] or DEFAULT_LOG_FORMAT,
        "max_aggregation_interval": params["max_aggregation_interval"],
        "deliver_logs_permission_arn": None,
    }
    if destination_type == "s3":
        spec["log_destination"] = params["s3_bucket_arn"]
    else:
        spec["log_group_name"] = params["log_group_name"]
        spec["deliver_logs_permission_arn"] = params["deliver_logs_permission_arn"]
    return spec


def match_tags_of(tags):
    """The project's tags among the task's: they tell the project's flow logs from others."""
    return {key: value for key, value in (tags or {}).items() if key.startswith(PROJECT_TAG_PREFIX)}


def ensure_tags(client, *, check_mode, flow_log_id, current, tags, purge_tags):
    if tags is None:
        return False, current
    to_set, to_unset = compare_aws_tags(current, tags, purge_tags=purge_tags)
    if not to_set and not to_unset:
        return False, current
    if not check_mode:
        if to_unset:
            untag_flow_log(client, flow_log_id, to_unset)
        if to_set:
            tag_flow_log(client, flow_log_id, to_set)
    after = {key: value for key, value in current.items() if key not in to_unset}
    after.update(to_set)
    return True, after


def ensure_deleted(client, *, check_mode, flow_logs):
    ids = [flow_log["FlowLogId"] for flow_log in flow_logs]
    if not check_mode:
        for flow_log_id in ids:
            delete_flow_log(client, flow_log_id)
    return ids


def ensure_created(client, *, check_mode, spec, tags):
    if check_mode:
        predicted = {key: value for key, value in spec.items() if key != "resource_type"}
        return dict(predicted, flow_log_id=None, tags=tags or {})
    flow_log_id = create_flow_log(client, spec, tags)
    return normalise(get_flow_log(client, flow_log_id))


def ensure_present(client, *, check_mode, spec, tags, purge_tags):
    destination = desired_destination(
        spec["log_destination_type"], spec.get("log_group_name"), spec.get("log_destination")
    )
    found = find_flow_logs(client, spec["resource_id"], match_tags_of(tags), destination)
    # Older duplicates of the project's flow log to the same destination are removed; the newest is kept.
    deleted = ensure_deleted(client, check_mode=check_mode, flow_logs=found[:-1])
    current = before = normalise(found[-1]) if found else None
    if current is None:
        return True, None, ensure_created(client, check_mode=check_mode, spec=spec, tags=tags), [], deleted

    differences = immutable_differences(current, spec)
    if differences:
        kept_tags = current["tags"] if tags is None else tags
        if tags is not None and not purge_tags:
            kept_tags = dict(current["tags"], **tags)
        deleted += ensure_deleted(client, check_mode=check_mode, flow_logs=found[-1:])
        after = ensure_created(client, check_mode=check_mode, spec=spec, tags=kept_tags)
        return True, before, after, differences, deleted

    tags_changed, after_tags = ensure_tags(
        client, check_mode=check_mode, flow_log_id=current["flow_log_id"], current=current["tags"],
        tags=tags, purge_tags=purge_tags,
    )
    after = dict(current, tags=after_tags)
    return tags_changed or bool(deleted), before, after, [], deleted


def ensure_absent(client, *, check_mode, resource_id, tags, destination):
    found = find_flow_logs(client, resource_id, match_tags_of(tags), destination)
    before = normalise(found[0]) if found else None
    deleted = ensure_deleted(client, check_mode=check_mode, flow_logs=found)
    return bool(deleted), before, None, [], deleted


def absent_destination(params):
    if params["destination_type"] is None:
        return None
    if params["destination_type"] == "s3":
        return "s3", params["s3_bucket_arn"].rstrip("/") if params["s3_bucket_arn"] else None
    return "cloud-watch-logs", params["log_group_name"]


def do(module):
    problem = validate(module.params)
    if problem:
        module.fail_json(msg=problem)
    client = module.client("ec2", retry_decorator=jittered_backoff())
    if module.params["state"] == "present":
        changed, before, after, replaced, deleted = ensure_present(
            client, check_mode=module.check_mode, spec=desired_spec(module.params),
            tags=module.params["tags"], purge_tags=module.params["purge_tags"],
        )
    else:
        changed, before, after, replaced, deleted = ensure_absent(
            client, check_mode=module.check_mode, resource_id=module.params["resource_id"],
            tags=module.params["tags"], destination=absent_destination(module.params),
        )
    result = {
        "changed": changed,
        "flow_log": after or {},
        "replaced_attributes": replaced,
        "deleted_flow_log_ids": deleted,
    }
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": before or {}, "after": after or {}}
    module.exit_json(**result)


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        resource_type=dict(type="str", choices=["VPC", "Subnet", "NetworkInterface"], default="VPC"),
        resource_id=dict(type="str", required=True),
        destination_type=dict(type="str", choices=["cloud-watch-logs", "s3"]),
        log_group_name=dict(type="str"),
        deliver_logs_permission_arn=dict(type="str", aliases=["delivery_role_arn"]),
        s3_bucket_arn=dict(type="str"),
        traffic_type=dict(type="str", choices=["ACCEPT", "REJECT", "ALL"], default="ALL"),
        log_format=dict(type="str"),
        max_aggregation_interval=dict(type="int", choices=[60, 600], default=600),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
