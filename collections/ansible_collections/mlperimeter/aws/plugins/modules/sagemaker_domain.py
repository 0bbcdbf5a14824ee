#!/usr/bin/python

# Copyright: Contributors to the mlperimeter project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sagemaker_domain
version_added: 0.1.0
short_description: Manage a SageMaker AI Studio domain
description:
  - Creates, changes or deletes one SageMaker AI (Studio) domain of this account and Region, found by O(name).
    AWS does not keep names unique (a name is free again while its domain is being deleted); when two domains
    share O(name) the module refuses, naming both ids.
  - A new domain is created in C(VpcOnly) mode, with O(auth_mode=IAM) unless the task says otherwise, and the
    module waits for it to be C(InService).
  - An existing domain is changed with C(UpdateDomain) where AWS allows it - subnets, the default user settings
    (execution role, security groups and the rest), and the network mode while no app runs.
  - What AWS sets only when a domain is created - the VPC, the authentication mode, the KMS key - and the
    network mode or removed subnets while apps run, is refused before any write, naming the option, the
    current and the wanted value, unless O(replace=true). Replacing deletes the domain (keeping its home EFS
    volume), waits for it to be gone and creates it again; the domain gets a new id and Studio URL.
  - With O(state=absent) the domain is deleted (its home EFS volume is kept) and the module waits for it to be
    gone. SageMaker does not delete a domain that still has user profiles or spaces; the module says which,
    before any write.
author:
  - mlperimeter contributors
options:
  name:
    description:
      - The domain's name (1 to 63 letters, digits and hyphens, beginning and ending with a letter or digit).
    type: str
    required: true
  state:
    description:
      - Whether the domain should exist.
    type: str
    choices: [present, absent]
    default: present
  vpc_id:
    description:
      - The VPC the domain's apps and home EFS volume use. Required to create a domain. Set when the domain is
        created; a different VPC is refused unless O(replace=true).
    type: str
  subnet_ids:
    description:
      - The domain's subnets (1 to 16), in O(vpc_id), compared as a set. Required to create a domain; changed in
        place (removing subnets is refused while apps run).
    type: list
    elements: str
  security_group_ids:
    description:
      - The security groups of the default user settings (at most 5), compared as a set. In C(VpcOnly) mode they
        must admit NFS (TCP 2049) to the home EFS volume and all TCP within the group.
    type: list
    elements: str
  app_network_access_type:
    description:
      - C(VpcOnly) sends all of Studio's traffic through the domain's VPC. It is the only mode the perimeter
        allows - C(PublicInternetOnly), which gives the apps direct internet access, is refused before any call.
      - An existing domain in C(PublicInternetOnly) mode is switched to C(VpcOnly) in place while no app runs.
    type: str
    choices: [VpcOnly]
    default: VpcOnly
  auth_mode:
    description:
      - How users sign in to Studio. Set when the domain is created; a different mode is refused unless
        O(replace=true).
    type: str
    choices: [IAM, SSO]
    default: IAM
  default_execution_role_arn:
    description:
      - ARN of the IAM role the domain's users run as unless their profile names another
        (C(DefaultUserSettings.ExecutionRole)). Required to create a domain.
    type: str
  default_user_settings:
    description:
      - The rest of the domain's default user settings, as the C(UserSettings) structure of the API, with member
        names as the API spells them (C(JupyterLabAppSettings)) or in snake_case (C(jupyter_lab_app_settings)).
      - Only what is given is compared; a member that differs is sent merged over what the domain has.
        C(ExecutionRole) and C(SecurityGroups) are set with O(default_execution_role_arn) and
        O(security_group_ids), not here.
    type: dict
  kms_key_id:
    description:
      - KMS key (id, ARN, alias or alias ARN) that encrypts the home EFS volume. Set when the domain is created;
        a different key is refused unless O(replace=true). Left out, the domain's key is not compared.
    type: str
  replace:
    description:
      - Allow replacing the domain when the task asks for what AWS cannot change in place. B(The domain is deleted
        and created again) with a new id and Studio URL; its home EFS volume is kept, unattached.
    type: bool
    default: false
  wait:
    description:
      - Wait until the domain is C(InService) after a change, or gone after deletion.
    type: bool
    default: true
  wait_timeout:
    description: How many seconds to wait.
    type: int
    default: 1200
attributes:
  check_mode:
    support: full
    description: Reads only and reports in RV(changes) and the diff what would be done.
  diff_mode:
    support: full
    description: Before and after of the compared attributes and the tags.
  idempotent:
    support: full
    description: A second run with the same arguments changes nothing.
notes:
  - The module does not manage user profiles, spaces or apps.
  - O(replace=true) cannot replace a domain that has user profiles or spaces; delete them first.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: A Studio domain that reaches AWS only through the SageMaker VPC
  mlperimeter.aws.sagemaker_domain:
    name: mlperimeter
    vpc_id: vpc-0123456789abcdef0
    subnet_ids: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]
    security_group_ids: [sg-0123456789abcdef0]
    app_network_access_type: VpcOnly
    auth_mode: IAM
    default_execution_role_arn: arn:aws:iam::123456789012:role/mlperimeter-sagemaker-execution
    default_user_settings:
      studio_web_portal: ENABLED
    tags:
      mlperimeter:managed: "true"
      mlperimeter:control: M3
  register: domain

- name: The host to add to the browser's allowlist
  ansible.builtin.debug:
    msg: "{{ domain.domain.studio_host }}"

- name: Move the domain to another VPC (deletes and recreates it)
  mlperimeter.aws.sagemaker_domain:
    name: mlperimeter
    vpc_id: vpc-0fedcba9876543210
    subnet_ids: [subnet-0fedcba9876543210, subnet-0fedcba9876543211]
    default_execution_role_arn: arn:aws:iam::123456789012:role/mlperimeter-sagemaker-execution
    replace: true

- name: Delete the domain (fails while it has user profiles or spaces)
  mlperimeter.aws.sagemaker_domain:
    name: mlperimeter
    state: absent
"""

RETURN = r"""
domain:
  description:
    - The domain after the task, as C(DescribeDomain) gives it in snake_case, with its tags and Studio host;
      empty after O(state=absent).
    - In check mode, what it would be (without C(domain_id), C(domain_arn), C(url) and C(studio_host) when it
      would be created or replaced).
  returned: always
  type: dict
  contains:
    domain_id:
      description: The domain's id.
      type: str
      sample: d-a1b2c3d4e5f6
    domain_arn:
      description: The domain's ARN.
      type: str
    domain_name:
      description: The domain's name.
      type: str
    url:
      description: The Studio URL.
      type: str
      sample: https://d-a1b2c3d4e5f6.studio.us-east-1.sagemaker.aws
    studio_host:
      description: The host of the Studio URL, for the browser's allowlist.
      type: str
      sample: d-a1b2c3d4e5f6.studio.us-east-1.sagemaker.aws
    status:
      description: C(InService) once the domain is ready.
      type: str
    app_network_access_type:
      description: C(VpcOnly) or C(PublicInternetOnly).
      type: str
    auth_mode:
      description: C(IAM) or C(SSO).
      type: str
    vpc_id:
      description: The domain's VPC.
      type: str
    subnet_ids:
      description: The domain's subnets.
      type: list
      elements: str
    kms_key_id:
      description: The KMS key of the home EFS volume, when the domain has one.
      type: str
    default_user_settings:
      description: The default user settings, in snake_case.
      type: dict
    home_efs_file_system_id:
      description: The home EFS volume.
      type: str
    security_group_id_for_domain_boundary:
      description: The security group SageMaker manages between the domain and its EFS volume.
      type: str
    tags:
      description: The domain's tags.
      type: dict
changes:
  description: What was (or would be) done, one line a step.
  returned: always
  type: list
  elements: str
  sample: ["update domain d-a1b2c3d4e5f6: subnet_ids, default_user_settings"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.mlperimeter.aws.plugins.module_utils import sagemaker as sm
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule


def planned_result(domain, name, after, tags, *, new):
    """The ``domain`` a check-mode run reports: what is known now with the changes laid over it."""
    if domain is None or new:
        result = {"domain_name": name, "domain_id": None, "domain_arn": None, "url": None, "studio_host": None,
                  "status": None, "tags": dict(tags)}
    else:
        result = sm.domain_result(domain, tags)
    shown = sm.view(after, tags)
    result.update({option: shown[option] for option, _member in sm.ATTRIBUTES})
    return result


def settle(client, domain, *, wait_timeout):
    """The domain once a change by someone else has finished: None when it was being deleted."""
    if domain["Status"] == "Deleting":
        sm.wait_deleted(client, domain["DomainId"], wait_timeout)
        return None
    if domain["Status"] in sm.PENDING:
        return sm.wait_in_service(client, domain["DomainId"], wait_timeout)
    return domain


def create_domain(client, name, desired, tags, *, wait, wait_timeout):
    created = sm.call(client, "create_domain", f"create SageMaker domain {name!r}",
                      **sm.create_params(name, desired, tags))
    if wait:
        return sm.wait_in_service(client, created["DomainId"], wait_timeout)
    return sm.describe_domain(client, created["DomainId"])


def delete_domain(client, domain_id, *, wait, wait_timeout):
    sm.call(client, "delete_domain", f"delete SageMaker domain {domain_id}", DomainId=domain_id,
            RetentionPolicy=sm.RETENTION_POLICY)
    if wait:
        sm.wait_deleted(client, domain_id, wait_timeout)


def refuse_blocked_deletion(client, domain, why):
    blockers = sm.deletion_blockers(client, domain["DomainId"])
    if blockers:
        raise sm.AnsibleSageMakerError(message=(
            f"SageMaker domain {domain['DomainName']!r} ({domain['DomainId']}) cannot be {why}: it still has "
            f"{' and '.join(blockers)}, and SageMaker does not delete a domain that has user profiles or spaces. "
            "Delete them (and their apps) first."
        ))


def ensure_present(client, name, desired, tags, purge_tags, *, replace, check_mode, wait, wait_timeout):
    summary = sm.find_domain(client, name)
    domain = sm.describe_domain(client, summary["DomainId"]) if summary else None
    if domain is not None and domain["Status"] in sm.PENDING and not check_mode:
        domain = settle(client, domain, wait_timeout=wait_timeout)

    if domain is None or domain["Status"] == "Deleting":
        problems = sm.create_problems(desired)
        if problems:
            raise sm.AnsibleSageMakerError(message=f"Cannot create SageMaker domain {name!r}: " + "; ".join(problems))
        after_tags = sm.tags_after({}, tags, purge_tags)
        after = sm.predicted({member: None for _option, member in sm.ATTRIBUTES}, {
            member: value for member, value in desired.items() if value is not None})
        if check_mode:
            result = planned_result(None, name, after, after_tags, new=True)
        else:
            domain = create_domain(client, name, desired, after_tags, wait=wait, wait_timeout=wait_timeout)
            result = sm.domain_result(domain, sm.get_tags(client, domain["DomainArn"]))
            after = sm.normalise_domain(domain)
        return dict(changed=True, changes=[f"create domain {name!r}"], domain=result,
                    diff=dict(before={}, after=sm.view(after, result["tags"])))

    domain_id = domain["DomainId"]
    current = sm.normalise_domain(domain)
    current_tags = sm.get_tags(client, domain["DomainArn"])
    apps = sm.active_apps(client, domain_id) if sm.network_change(current, desired) else []
    updates, refusals = sm.diff_domain(current, desired, apps=apps)
    if domain["Status"] == "Failed":
        refusals.append(("status", "Failed", "InService",
                         f"the domain failed to create ({domain.get('FailureReason') or 'no reason given'})"))
    before = sm.view(current, current_tags)
    after_tags = sm.tags_after(current_tags, tags, purge_tags)

    if refusals:
        if not replace:
            raise sm.AnsibleSageMakerError(message=(
                f"SageMaker domain {name!r} ({domain_id}) cannot be changed in place: {sm.refusal_text(refusals)}. "
                "Set replace: true to delete the domain and create it again (new id and Studio URL; the home EFS "
                "volume is kept)."
            ))
        refuse_blocked_deletion(client, domain, "replaced")
        wanted = {member: current[member] if value is None else value for member, value in desired.items()}
        wanted["DefaultUserSettings"] = sm.predicted(current, updates)["DefaultUserSettings"]
        after = sm.predicted(current, {m: v for m, v in wanted.items() if v is not None})
        changes = [f"delete domain {domain_id} ({', '.join(option for option, *_rest in refusals)} changed)",
                   f"create domain {name!r}"]
        if check_mode:
            result = planned_result(domain, name, after, after_tags, new=True)
        else:
            delete_domain(client, domain_id, wait=True, wait_timeout=wait_timeout)
            domain = create_domain(client, name, wanted, after_tags, wait=wait, wait_timeout=wait_timeout)
            result = sm.domain_result(domain, sm.get_tags(client, domain["DomainArn"]))
            after = sm.normalise_domain(domain)
        return dict(changed=True, changes=changes, domain=result,
                    diff=dict(before=before, after=sm.view(after, result["tags"])))

    changes = []
    if updates:
        changes.append(f"update domain {domain_id}: {', '.join(sm.OPTION[member] for member in updates)}")
        if not check_mode:
            # The SageMaker guardrails (and their SCP) deny an UpdateDomain that does not restate VpcOnly.
            network = {"AppNetworkAccessType": desired["AppNetworkAccessType"] or current["AppNetworkAccessType"]}
            sm.call(client, "update_domain", f"update SageMaker domain {domain_id}", DomainId=domain_id,
                    **{**network, **updates})
    if sm.ensure_tags(client, domain["DomainArn"], current_tags, tags, purge_tags, check_mode=check_mode):
        changes.append(f"update tags of domain {domain_id}")
    after = sm.predicted(current, updates)
    if check_mode:
        result = planned_result(domain, name, after, after_tags, new=False)
    elif changes:
        if updates and wait:
            domain = sm.wait_in_service(client, domain_id, wait_timeout)
        else:
            domain = sm.describe_domain(client, domain_id)
        result = sm.domain_result(domain, after_tags)
        after = sm.normalise_domain(domain)
    else:
        result = sm.domain_result(domain, current_tags)
    return dict(changed=bool(changes), changes=changes, domain=result,
                diff=dict(before=before, after=sm.view(after, result["tags"])))


def ensure_absent(client, name, *, check_mode, wait, wait_timeout):
    summary = sm.find_domain(client, name)
    domain = sm.describe_domain(client, summary["DomainId"]) if summary else None
    if domain is None:
        return dict(changed=False, changes=[], domain={}, diff=dict(before={}, after={}))
    before = sm.view(sm.normalise_domain(domain), sm.get_tags(client, domain["DomainArn"]))
    if domain["Status"] == "Deleting":
        if wait and not check_mode:
            sm.wait_deleted(client, domain["DomainId"], wait_timeout)
        return dict(changed=False, changes=[], domain={}, diff=dict(before=before, after={}))
    refuse_blocked_deletion(client, domain, "deleted")
    if not check_mode:
        delete_domain(client, domain["DomainId"], wait=wait, wait_timeout=wait_timeout)
    return dict(changed=True, changes=[f"delete domain {domain['DomainId']}"], domain={},
                diff=dict(before=before, after={}))


def do(module):
    params = module.params
    problems = sm.validate_params(params)
    client = module.client(sm.SERVICE)
    user_settings, settings_problems = sm.desired_user_settings(params, client.meta.service_model)
    problems += settings_problems
    if problems:
        module.fail_json(msg=f"Invalid sagemaker_domain arguments ({len(problems)} problems): " + "; ".join(problems),
                         problems=problems)
    if params["state"] == "absent":
        result = ensure_absent(client, params["name"], check_mode=module.check_mode, wait=params["wait"],
                               wait_timeout=params["wait_timeout"])
    else:
        result = ensure_present(client, params["name"], sm.normalise_params(params, user_settings), params["tags"],
                                params["purge_tags"], replace=params["replace"], check_mode=module.check_mode,
                                wait=params["wait"], wait_timeout=params["wait_timeout"])
    if not module._diff:  # pylint: disable=protected-access
        result.pop("diff")
    module.exit_json(**result)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        vpc_id=dict(type="str"),
        subnet_ids=dict(type="list", elements="str"),
        security_group_ids=dict(type="list", elements="str"),
        app_network_access_type=dict(type="str", choices=["VpcOnly"], default="VpcOnly"),
        auth_mode=dict(type="str", choices=list(sm.AUTH_MODES), default="IAM"),
        default_execution_role_arn=dict(type="str"),
        default_user_settings=dict(type="dict"),
        kms_key_id=dict(type="str", no_log=False),
        replace=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1200),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        do(module)
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
