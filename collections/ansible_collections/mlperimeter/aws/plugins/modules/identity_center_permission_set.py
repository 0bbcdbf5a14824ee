#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: identity_center_permission_set
short_description: An IAM Identity Center permission set, found by its name
version_added: 0.1.0
description:
  - Runs in the IAM Identity Center administration account (the organization's management account or its delegated
    administrator).
  - Creates, updates or deletes the permission set of the given name in the Identity Center instance, with its
    description, session duration, relay state and tags. The policies it grants are left to other tasks (for the
    perimeter's customer-managed policies, M(mlperimeter.aws.identity_center_permission_set_policy)).
  - Identity Center cannot clear a description or relay state once set; leaving O(description) or O(relay_state)
    out keeps what the permission set has. A session duration left out is one hour for a new permission set and
    unchanged for an existing one.
  - A change to the description, session duration or relay state leaves the copies already provisioned to accounts
    out of date until they are provisioned again (M(mlperimeter.aws.identity_center_permission_set_policy) does
    that account by account). Tags are not provisioned; changing them leaves every copy current.
  - V(absent) deletes the permission set; Identity Center refuses while accounts are still assigned to it. The module
    refuses to delete the permission set the task itself runs as (an C(AWSReservedSSO_<name>_...) role).
author:
  - mlperimeter maintainers
options:
  instance_arn:
    description:
      - ARN of the Identity Center instance. When omitted, the account's only instance (C(ListInstances)).
    type: str
  name:
    description:
      - Name of the permission set (1 to 32 letters, digits and C(+=,.@_-)), unique in the instance.
    type: str
    required: true
  description:
    description:
      - What the permission set is for, shown to users in the AWS access portal (up to 700 characters).
    type: str
  session_duration:
    description:
      - How long a session started with the permission set lasts, as an ISO 8601 duration from C(PT1H) to
        C(PT12H) (for example V(PT8H) or V(PT90M)). Compared by its length, so V(PT60M) matches V(PT1H).
    type: str
  relay_state:
    description:
      - The console URL users land on when they start a session (up to 240 characters).
    type: str
  state:
    description:
      - V(present) creates or updates the permission set; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports what would be created, updated, retagged or deleted without calling any write API.
  diff_mode:
    support: full
    description: Shows the permission set's name, description, session duration, relay state and tags before and
      after.
  idempotent:
    support: full
    description: Nothing is written when the permission set already has the settings and tags the task gives.
"""

EXAMPLES = r"""
- name: Ensure the data scientists' permission set
  mlperimeter.aws.identity_center_permission_set:
    name: DataScientist
    description: Data scientists working in SageMaker AI
    session_duration: PT8H
    relay_state: https://console.aws.amazon.com/sagemaker/home
    tags:
      "mlperimeter:managed": "true"

- name: Remove a permission set no account is assigned to any more
  mlperimeter.aws.identity_center_permission_set:
    name: LegacyAnalyst
    state: absent
"""

RETURN = r"""
permission_set:
  description: The permission set after the task; empty after O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the permission set.
      type: str
    permission_set_arn:
      description: ARN of the permission set; null in check mode when it would be created.
      type: str
    instance_arn:
      description: ARN of the Identity Center instance.
      type: str
    description:
      description: Its description, when it has one.
      type: str
    session_duration:
      description: Session duration (ISO 8601).
      type: str
    relay_state:
      description: Relay state, when it has one.
      type: str
    tags:
      description: Its tags.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags
from ansible_collections.mlperimeter.aws.plugins.module_utils import iam, sso_admin
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule
from ansible_collections.mlperimeter.aws.plugins.module_utils.retries import jittered_backoff
from ansible_collections.mlperimeter.aws.plugins.module_utils.sso_admin import AnsibleSSOAdminError

# Module option -> the API's member, for the settings that can be updated in place.
SETTINGS = {"description": "Description", "session_duration": "SessionDuration", "relay_state": "RelayState"}


def validate(params):
    if params["instance_arn"] is not None and not sso_admin.INSTANCE_ARN.fullmatch(params["instance_arn"]):
        raise AnsibleSSOAdminError(message=f"instance_arn: {params['instance_arn']!r} is not an Identity Center "
                                   "instance ARN")
    if not sso_admin.PERMISSION_SET_NAME.fullmatch(params["name"]):
        raise AnsibleSSOAdminError(message=f"name: {params['name']!r} is not a permission set name (1 to 32 "
                                   "letters, digits and +=,.@_-)")
    if params["description"] is not None and not sso_admin.DESCRIPTION.fullmatch(params["description"]):
        raise AnsibleSSOAdminError(message=f"description: {params['description']!r} must be 1 to 700 printable "
                                   "Latin-1 characters")
    if params["session_duration"] is not None:
        seconds = sso_admin.session_seconds(params["session_duration"])
        if seconds is None:
            raise AnsibleSSOAdminError(message=f"session_duration: {params['session_duration']!r} is not an ISO 8601 "
                                       "duration such as PT1H, PT8H or PT90M")
        if not sso_admin.MIN_SESSION_SECONDS <= seconds <= sso_admin.MAX_SESSION_SECONDS:
            raise AnsibleSSOAdminError(message=f"session_duration: {params['session_duration']!r} must be between "
                                       "PT1H and PT12H")
    if params["relay_state"] is not None and not sso_admin.RELAY_STATE.fullmatch(params["relay_state"]):
        raise AnsibleSSOAdminError(message=f"relay_state: {params['relay_state']!r} is not a relay state (a console "
                                   "URL of 1 to 240 characters)")
    validate_tags(params["tags"])


def validate_tags(tags):
    if tags is None:
        return
    if len(tags) > sso_admin.MAX_TAGS:
        raise AnsibleSSOAdminError(message=f"tags: {len(tags)} tags, more than the {sso_admin.MAX_TAGS} a permission "
                                   "set can have")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or key.lower().startswith("aws:"):
            raise AnsibleSSOAdminError(message=f"tags: key {key!r} must be 1 to 128 characters and not begin with "
                                       "aws:")
        if not isinstance(value, str) or len(value) > 256:
            raise AnsibleSSOAdminError(message=f"tags: value {value!r} of {key!r} must be a string of at most 256 "
                                       "characters")


def refuse_own_permission_set(caller_arn, name):
    if sso_admin.permission_set_of_reserved_role(iam.caller_role_name(caller_arn)) == name:
        raise AnsibleSSOAdminError(
            message=f"name: refusing to delete {name}, the permission set this task runs as ({caller_arn}); "
            "it would lock out the automation that maintains the perimeter"
        )


def view(permission_set, instance_arn, tags):
    """The permission set as the module returns it (snake_case; only the settings it has)."""
    answer = {"name": permission_set["Name"], "permission_set_arn": permission_set.get("PermissionSetArn"),
              "instance_arn": instance_arn}
    for option, member in SETTINGS.items():
        if permission_set.get(member) is not None:
            answer[option] = permission_set[member]
    answer["tags"] = dict(tags)
    return answer


def settings_to_update(current, wanted):
    """The API members of ``wanted`` (given options only) that differ from ``current``."""
    changes = {}
    for member, value in wanted.items():
        if member == "SessionDuration":
            if sso_admin.session_seconds(current.get(member)) != sso_admin.session_seconds(value):
                changes[member] = value
        elif current.get(member) != value:
            changes[member] = value
    return changes


def ensure_created(client, *, check_mode, instance_arn, name, wanted, tags):
    if check_mode:
        return dict({"Name": name, "PermissionSetArn": None, "SessionDuration": "PT1H"}, **wanted), tags or {}
    created = sso_admin.create_permission_set(client, instance_arn, name, wanted, tags)
    arn = created["PermissionSetArn"]
    return sso_admin.describe_permission_set(client, instance_arn, arn), sso_admin.list_tags(client, instance_arn, arn)


def ensure_settings(client, *, check_mode, instance_arn, current, wanted):
    changes = settings_to_update(current, wanted)
    if changes and not check_mode:
        sso_admin.update_permission_set(client, instance_arn, current["PermissionSetArn"], changes)
    return bool(changes), dict(current, **changes)


def ensure_tags(client, *, check_mode, instance_arn, permission_set_arn, current, tags, purge_tags):
    if tags is None:
        return False, current
    to_set, to_unset = compare_aws_tags(current, tags, purge_tags=purge_tags)
    if not check_mode:
        if to_unset:
            sso_admin.untag_permission_set(client, instance_arn, permission_set_arn, to_unset)
        if to_set:
            sso_admin.tag_permission_set(client, instance_arn, permission_set_arn, to_set)
    after = {k: v for k, v in current.items() if k not in to_unset}
    after.update(to_set)
    return bool(to_set or to_unset), after


def ensure_present(client, *, check_mode, instance_arn, name, wanted, tags, purge_tags):
    """(changed, before, after): before and after as ``view`` gives them; before is {} when it did not exist."""
    current = sso_admin.find_permission_set(client, instance_arn, name)
    if current is None:
        created, created_tags = ensure_created(client, check_mode=check_mode, instance_arn=instance_arn, name=name,
                                               wanted=wanted, tags=tags)
        return True, {}, view(created, instance_arn, created_tags)
    arn = current["PermissionSetArn"]
    current_tags = sso_admin.list_tags(client, instance_arn, arn)
    settings_changed, updated = ensure_settings(client, check_mode=check_mode, instance_arn=instance_arn,
                                                current=current, wanted=wanted)
    tags_changed, updated_tags = ensure_tags(client, check_mode=check_mode, instance_arn=instance_arn,
                                             permission_set_arn=arn, current=current_tags, tags=tags,
                                             purge_tags=purge_tags)
    if settings_changed and not check_mode:
        updated = sso_admin.describe_permission_set(client, instance_arn, arn)
    return (settings_changed or tags_changed, view(current, instance_arn, current_tags),
            view(updated, instance_arn, updated_tags))


def ensure_absent(client, *, check_mode, instance_arn, name, caller_arn):
    current = sso_admin.find_permission_set(client, instance_arn, name)
    if current is None:
        return False, {}
    refuse_own_permission_set(caller_arn, name)
    arn = current["PermissionSetArn"]
    before = view(current, instance_arn, sso_admin.list_tags(client, instance_arn, arn))
    if not check_mode:
        sso_admin.delete_permission_set(client, instance_arn, arn)
    return True, before


def do(module):
    params = module.params
    validate(params)
    client = module.client("sso-admin", retry_decorator=jittered_backoff())
    instance_arn = params["instance_arn"] or sso_admin.only_instance_arn(client)

    if params["state"] == "absent":
        caller = iam.get_caller_identity(module.client("sts", retry_decorator=jittered_backoff()))
        changed, before = ensure_absent(client, check_mode=module.check_mode, instance_arn=instance_arn,
                                        name=params["name"], caller_arn=caller["Arn"])
        module.exit_json(changed=changed, permission_set={}, diff={"before": before, "after": {}})

    wanted = {member: params[option] for option, member in SETTINGS.items() if params[option] is not None}
    changed, before, after = ensure_present(client, check_mode=module.check_mode, instance_arn=instance_arn,
                                            name=params["name"], wanted=wanted, tags=params["tags"],
                                            purge_tags=params["purge_tags"])
    module.exit_json(changed=changed, permission_set=after, diff={"before": before, "after": after})


def main():
    argument_spec = dict(
        instance_arn=dict(type="str"),
        name=dict(type="str", required=True),
        description=dict(type="str"),
        session_duration=dict(type="str"),
        relay_state=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
