"""SageMaker AI Studio domains for the mlperimeter modules.

What the domain modules share lives here, so the modules stay glue:

* the service's error class and handler, and its calls through
  ``service_calls.ServiceCalls`` (the collection's ``retries.jittered_backoff()``);
* paging through boto3's paginators (``ListDomains``, ``ListTags``, user profiles, spaces, apps);
* look-up by domain name: AWS does not keep names unique across a domain's life (a name is free
  again while its domain is being deleted), so two domains sharing the name a task gives is an
  error naming both ids, never a guess;
* validation of a task's options against the API's own patterns, before any call;
* ``default_user_settings`` given in the API's member names or in snake_case, mapped onto the
  ``UserSettings`` shape of botocore's model (so ``efs_file_system_config`` becomes
  ``EFSFileSystemConfig``, which no generic case conversion gets right);
* one comparable shape for ``DescribeDomain`` and for a task, and the difference between them
  split into what ``UpdateDomain`` can change and what AWS only sets when a domain is created;
* waiting for ``InService`` and for a deleted domain to be gone.
"""

import re
from urllib.parse import urlparse

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)
from ansible_collections.mlperimeter.aws.plugins.module_utils.service_calls import ServiceCalls
from ansible_collections.mlperimeter.aws.plugins.module_utils.waiting import poll

SERVICE = "sagemaker"

AUTH_MODES = ("IAM", "SSO")
# DeleteDomain keeps the users' home EFS volume unless told otherwise: their notebooks and data live there.
RETENTION_POLICY = {"HomeEfsFileSystem": "Retain"}

PENDING = ("Pending", "Updating", "Deleting")
FAILED = ("Failed", "Update_Failed", "Delete_Failed")
# Apps in these states keep a domain's network mode, and the subnets they use, from changing.
ACTIVE_APP_STATES = ("InService", "Pending", "Deleting")

NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
VPC_ID = re.compile(r"vpc-[0-9a-f]{8,17}")
SUBNET_ID = re.compile(r"subnet-[0-9a-f]{8,17}")
SECURITY_GROUP_ID = re.compile(r"sg-[0-9a-f]{8,17}")
ROLE_ARN = re.compile(r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")
KMS_KEY = re.compile(
    r"(?:arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:)?"
    r"(?:key/)?(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
    r"|(?:arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:)?alias/[a-zA-Z0-9/_-]{1,250}"
)
MAX_SUBNETS = 16
MAX_SECURITY_GROUPS = 5

# The attributes of a domain the modules compare, as option name and DescribeDomain member.
ATTRIBUTES = (
    ("auth_mode", "AuthMode"),
    ("app_network_access_type", "AppNetworkAccessType"),
    ("vpc_id", "VpcId"),
    ("subnet_ids", "SubnetIds"),
    ("kms_key_id", "KmsKeyId"),
    ("default_user_settings", "DefaultUserSettings"),
)
OPTION = {member: option for option, member in ATTRIBUTES}


class AnsibleSageMakerError(AnsibleAWSError):
    """A failed SageMaker call, or a request the module refuses."""


class SageMakerErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleSageMakerError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFound")


# ----- calls ------------------------------------------------------------------------------


_calls = ServiceCalls(SageMakerErrorHandler)
call = _calls.call
get_or_none = _calls.get_or_none
paginate = _calls.paginate


# ----- tags -------------------------------------------------------------------------------


def get_tags(client, arn):
    return boto3_tag_list_to_ansible_dict(paginate(client, "list_tags", "Tags", f"list the tags of {arn}",
                                                   ResourceArn=arn))


def tag_list(tags):
    return ansible_dict_to_boto3_tag_list(tags or {})


def tags_after(current, desired, purge):
    """The tags a domain ends with. ``desired`` None leaves them alone."""
    if desired is None:
        return dict(current)
    to_set, to_remove = compare_aws_tags(current, desired, purge_tags=purge)
    after = {k: v for k, v in current.items() if k not in to_remove}
    after.update(to_set)
    return after


def ensure_tags(client, arn, current, desired, purge, *, check_mode):
    """Reconcile a domain's tags; True when they change (or would)."""
    if desired is None:
        return False
    to_set, to_remove = compare_aws_tags(current, desired, purge_tags=purge)
    if not to_set and not to_remove:
        return False
    if not check_mode:
        if to_remove:
            call(client, "delete_tags", f"untag {arn}", ResourceArn=arn, TagKeys=to_remove)
        if to_set:
            call(client, "add_tags", f"tag {arn}", ResourceArn=arn, Tags=tag_list(to_set))
    return True


# ----- look-ups ---------------------------------------------------------------------------


def list_domains(client):
    return paginate(client, "list_domains", "Domains", "list SageMaker domains")


def find_domain(client, name, domains=None):
    """The ListDomains summary of the domain named ``name``, None when there is none.

    Two domains of that name (one of them being deleted, say) make the task ambiguous: refused.
    """
    domains = list_domains(client) if domains is None else domains
    found = [domain for domain in domains if domain.get("DomainName") == name]
    if len(found) > 1:
        ids = ", ".join(sorted(f"{d['DomainId']} ({d.get('Status')})" for d in found))
        raise AnsibleSageMakerError(message=(
            f"{len(found)} SageMaker domains are named {name!r}: {ids}; the module refuses to guess which one the "
            "task means. Delete all but one, or wait until the one being deleted is gone."
        ))
    return found[0] if found else None


def describe_domain(client, domain_id):
    return get_or_none(client, "describe_domain", f"describe SageMaker domain {domain_id}", DomainId=domain_id)


def user_profiles(client, domain_id):
    return paginate(client, "list_user_profiles", "UserProfiles", f"list the user profiles of {domain_id}",
                    DomainIdEquals=domain_id)


def spaces(client, domain_id):
    return paginate(client, "list_spaces", "Spaces", f"list the spaces of {domain_id}", DomainIdEquals=domain_id)


def active_apps(client, domain_id):
    apps = paginate(client, "list_apps", "Apps", f"list the apps of {domain_id}", DomainIdEquals=domain_id)
    return [app for app in apps if app.get("Status") in ACTIVE_APP_STATES]


def app_label(app):
    owner = app.get("UserProfileName") or app.get("SpaceName")
    return f"{owner}/{app.get('AppType')}/{app.get('AppName')} ({app.get('Status')})"


def deletion_blockers(client, domain_id):
    """What keeps SageMaker from deleting the domain, as text; empty when nothing does."""
    found = []
    profiles = sorted(p["UserProfileName"] for p in user_profiles(client, domain_id))
    if profiles:
        found.append(f"user profiles {', '.join(profiles)}")
    names = sorted(s["SpaceName"] for s in spaces(client, domain_id))
    if names:
        found.append(f"spaces {', '.join(names)}")
    return found


def studio_host(url):
    """The Studio URL's host, e.g. ``d-xxxxxxxxxxxx.studio.us-east-1.sagemaker.aws``."""
    return urlparse(url).hostname if url else None


def domain_result(domain, tags):
    """A DescribeDomain answer in snake_case, with the Studio host and the tags."""
    result = camel_dict_to_snake_dict(domain)
    result["studio_host"] = studio_host(domain.get("Url"))
    result["tags"] = dict(tags)
    return result


# ----- validation -------------------------------------------------------------------------


def _pattern_problem(field, value, pattern, what):
    if value is not None and not pattern.fullmatch(value):
        return f"{field}: {value!r} is not {what}"
    return None


def _list_problems(field, values, pattern, what, maximum):
    if values is None:
        return []
    problems = [f"{field}[{index}]: {value!r} is not {what}"
                for index, value in enumerate(values) if not pattern.fullmatch(value)]
    if not values:
        problems.append(f"{field}: give at least one")
    if len(values) > maximum:
        problems.append(f"{field}: {len(values)} given, at most {maximum}")
    duplicates = sorted({value for value in values if values.count(value) > 1})
    if duplicates:
        problems.append(f"{field}: {', '.join(duplicates)} given more than once")
    return problems


def validate_params(params):
    """Every problem with a task's options, each naming the option; checked before any call."""
    problems = []
    name = params.get("name")
    if name is not None and not NAME.fullmatch(name):
        problems.append(f"name: {name!r} must be 1 to 63 letters, digits and hyphens, beginning and ending with a "
                        "letter or digit")
    problems += [p for p in (
        _pattern_problem("vpc_id", params.get("vpc_id"), VPC_ID, "a VPC id (vpc-...)"),
        _pattern_problem("default_execution_role_arn", params.get("default_execution_role_arn"), ROLE_ARN,
                         "an IAM role ARN (arn:aws:iam::<account>:role/<name>)"),
        _pattern_problem("kms_key_id", params.get("kms_key_id"), KMS_KEY, "a KMS key id, key ARN, alias or alias ARN"),
    ) if p]
    problems += _list_problems("subnet_ids", params.get("subnet_ids"), SUBNET_ID, "a subnet id (subnet-...)",
                               MAX_SUBNETS)
    problems += _list_problems("security_group_ids", params.get("security_group_ids"), SECURITY_GROUP_ID,
                               "a security group id (sg-...)", MAX_SECURITY_GROUPS)
    wait_timeout = params.get("wait_timeout")
    if wait_timeout is not None and wait_timeout < 1:
        problems.append(f"wait_timeout: {wait_timeout} must be at least 1 second")
    return problems


def _key(name):
    return name.replace("_", "").lower()


def to_api_members(value, shape, path):
    """``value`` with its keys in the member names of the botocore ``shape``; (converted, problems).

    Keys may be given as the API spells them (``JupyterLabAppSettings``) or in snake_case
    (``jupyter_lab_app_settings``); a key the shape does not have is a problem naming its path.
    """
    if shape.type_name == "structure":
        if not isinstance(value, dict):
            return value, [f"{path}: must be a dictionary, got {type(value).__name__}"]
        members = {_key(member): member for member in shape.members}
        converted, problems = {}, []
        for key, item in value.items():
            member = members.get(_key(str(key)))
            if member is None:
                problems.append(f"{path}.{key}: not a member of {shape.name} (members: {', '.join(shape.members)})")
                continue
            converted[member], found = to_api_members(item, shape.members[member], f"{path}.{member}")
            problems += found
        return converted, problems
    if shape.type_name == "list":
        if not isinstance(value, list):
            return value, [f"{path}: must be a list, got {type(value).__name__}"]
        converted, problems = [], []
        for index, item in enumerate(value):
            item, found = to_api_members(item, shape.member, f"{path}[{index}]")
            converted.append(item)
            problems += found
        return converted, problems
    if shape.type_name == "map":
        if not isinstance(value, dict):
            return value, [f"{path}: must be a dictionary, got {type(value).__name__}"]
        converted, problems = {}, []
        for key, item in value.items():
            converted[key], found = to_api_members(item, shape.value, f"{path}.{key}")
            problems += found
        return converted, problems
    return value, []


def desired_user_settings(params, service_model):
    """The task's default user settings in API members (None when it sets none); (settings, problems)."""
    settings, problems = {}, []
    if params.get("default_user_settings") is not None:
        settings, problems = to_api_members(params["default_user_settings"], service_model.shape_for("UserSettings"),
                                            "default_user_settings")
    if settings.get("ExecutionRole") is not None and not ROLE_ARN.fullmatch(str(settings["ExecutionRole"])):
        problems.append(f"default_user_settings.ExecutionRole: {settings['ExecutionRole']!r} is not an IAM role ARN")
    for option, member in (("default_execution_role_arn", "ExecutionRole"), ("security_group_ids", "SecurityGroups")):
        if params.get(option) is None:
            continue
        if member in settings:
            problems.append(f"default_user_settings.{member}: set it with {option} only, not both")
        settings[member] = params[option]
    return (settings or None), problems


# ----- normalising and diffing ------------------------------------------------------------


def _normalise_value(value):
    """Lists of scalars are compared as sets (security groups, subnets, lifecycle configs)."""
    if isinstance(value, dict):
        return {key: _normalise_value(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [_normalise_value(item) for item in value]
        if all(isinstance(item, (str, int, float, bool)) for item in items):
            return sorted(set(items), key=str)
        return items
    return value


def normalise_domain(domain):
    """A DescribeDomain answer in the comparable shape: the ATTRIBUTES members, lists as sorted sets."""
    return {member: _normalise_value(domain.get(member)) for _option, member in ATTRIBUTES}


def normalise_params(params, user_settings):
    """The task in the same shape; a member the task leaves out is None (not compared)."""
    return {
        "AuthMode": params.get("auth_mode"),
        "AppNetworkAccessType": params.get("app_network_access_type"),
        "VpcId": params.get("vpc_id"),
        "SubnetIds": _normalise_value(params.get("subnet_ids")),
        "KmsKeyId": params.get("kms_key_id"),
        "DefaultUserSettings": _normalise_value(user_settings),
    }


def _covers(current, desired):
    """Whether ``current`` already has every value ``desired`` sets (dictionaries compared where set)."""
    if isinstance(desired, dict):
        return isinstance(current, dict) and all(_covers(current.get(key), value) for key, value in desired.items())
    return current == desired


def _merge(current, desired):
    """``desired`` laid over ``current``, dictionaries merged member by member."""
    if isinstance(desired, dict) and isinstance(current, dict):
        merged = dict(current)
        for key, value in desired.items():
            merged[key] = _merge(current.get(key), value)
        return merged
    return desired


def _key_id(key):
    """A KMS key reference reduced to what two spellings of one key share (``key/…`` or the alias)."""
    if key is None:
        return None
    return key.split(":", 5)[-1] if key.startswith("arn:") else (key if key.startswith("alias/") else f"key/{key}")


def diff_domain(current, desired, *, apps=()):
    """What turns ``current`` into ``desired`` (both normalised).

    Returns (updates, refusals): ``updates`` are UpdateDomain members; ``refusals`` are
    (option, current, wanted, reason) for what AWS cannot change in place. ``apps`` are the
    domain's active apps, which keep its network mode and the subnets they use from changing.
    """
    updates, refusals = {}, []
    running = ", ".join(app_label(app) for app in apps)
    for member in ("AuthMode", "KmsKeyId"):
        wanted, now = desired[member], current[member]
        same = _key_id(wanted) == _key_id(now) if member == "KmsKeyId" else wanted == now
        if wanted is not None and not same:
            refusals.append((OPTION[member], now, wanted, "AWS sets it only when a domain is created"))
    if desired["VpcId"] is not None and desired["VpcId"] != current["VpcId"]:
        if current["VpcId"] is None:
            updates["VpcId"] = desired["VpcId"]
        else:
            refusals.append(("vpc_id", current["VpcId"], desired["VpcId"],
                             "AWS sets a domain's VPC only when it is created"))
    if desired["SubnetIds"] is not None and desired["SubnetIds"] != current["SubnetIds"]:
        removed = set(current["SubnetIds"] or []) - set(desired["SubnetIds"])
        if removed and apps:
            refusals.append(("subnet_ids", current["SubnetIds"], desired["SubnetIds"],
                             f"AWS does not remove subnets ({', '.join(sorted(removed))}) while apps run: {running}"))
        else:
            updates["SubnetIds"] = desired["SubnetIds"]
    wanted = desired["AppNetworkAccessType"]
    if wanted is not None and wanted != current["AppNetworkAccessType"]:
        if apps:
            refusals.append(("app_network_access_type", current["AppNetworkAccessType"], wanted,
                             f"AWS does not change the network mode while apps run: {running}"))
        else:
            updates["AppNetworkAccessType"] = wanted
    settings = desired["DefaultUserSettings"] or {}
    now = current["DefaultUserSettings"] or {}
    changed = {member: _merge(now.get(member), value) for member, value in settings.items()
               if not _covers(now.get(member), value)}
    if changed:
        updates["DefaultUserSettings"] = changed
    return updates, refusals


def network_change(current, desired):
    """Whether the task changes the network mode or removes subnets (the changes running apps block)."""
    mode = desired["AppNetworkAccessType"]
    if mode is not None and mode != current["AppNetworkAccessType"]:
        return True
    return desired["SubnetIds"] is not None and bool(set(current["SubnetIds"] or []) - set(desired["SubnetIds"]))


def refusal_text(refusals):
    return "; ".join(f"{option}: current {now!r}, wanted {wanted!r} ({reason})"
                     for option, now, wanted, reason in refusals)


def predicted(current, updates):
    """The normalised domain once ``updates`` are applied (UpdateDomain merges user settings by member)."""
    after = dict(current)
    for member, value in updates.items():
        if member == "DefaultUserSettings":
            after[member] = dict(current.get(member) or {}, **value)
        else:
            after[member] = value
    return _normalise_value(after)


def view(normalised, tags):
    """The diff's picture of a domain: the compared attributes and the tags, as options name them."""
    shown = {option: normalised.get(member) for option, member in ATTRIBUTES}
    if shown["default_user_settings"] is not None:
        shown["default_user_settings"] = camel_dict_to_snake_dict(shown["default_user_settings"])
    shown["tags"] = dict(tags)
    return shown


def create_params(name, desired, tags):
    """CreateDomain's members for a normalised task."""
    params = {
        "DomainName": name,
        "AuthMode": desired["AuthMode"],
        "AppNetworkAccessType": desired["AppNetworkAccessType"],
        "DefaultUserSettings": desired["DefaultUserSettings"],
    }
    for member in ("VpcId", "SubnetIds", "KmsKeyId"):
        if desired[member] is not None:
            params[member] = desired[member]
    if tags:
        params["Tags"] = tag_list(tags)
    return params


def create_problems(desired):
    """What CreateDomain needs that the task leaves out, naming the options."""
    problems = []
    for member, option in (("VpcId", "vpc_id"), ("SubnetIds", "subnet_ids")):
        if desired[member] is None:
            problems.append(f"{option}: required to create a domain (AppNetworkAccessType "
                            f"{desired['AppNetworkAccessType']} still needs the VPC for its EFS volume and apps)")
    if not (desired["DefaultUserSettings"] or {}).get("ExecutionRole"):
        problems.append("default_execution_role_arn: required to create a domain")
    return problems


# ----- waiting ----------------------------------------------------------------------------


def _poll(read, done, describe, timeout, sleep):
    return poll(read, done, describe, timeout, sleep, AnsibleSageMakerError)


def wait_in_service(client, domain_id, timeout, *, sleep=10):
    """Wait until the domain is InService; fail when it settles in a failed state or disappears."""

    def done(domain):
        if domain is None:
            raise AnsibleSageMakerError(message=f"SageMaker domain {domain_id} disappeared while waiting")
        if domain["Status"] in FAILED:
            reason = domain.get("FailureReason") or "no reason given"
            raise AnsibleSageMakerError(message=f"SageMaker domain {domain_id} is {domain['Status']}: {reason}")
        return domain["Status"] not in PENDING

    return _poll(lambda: describe_domain(client, domain_id), done,
                 lambda d: f"SageMaker domain {domain_id} is still {d['Status']}", timeout, sleep)


def wait_deleted(client, domain_id, timeout, *, sleep=10):
    def done(domain):
        if domain is not None and domain["Status"] == "Delete_Failed":
            raise AnsibleSageMakerError(message=(
                f"SageMaker domain {domain_id} could not be deleted: {domain.get('FailureReason') or 'no reason given'}"
            ))
        return domain is None

    _poll(lambda: describe_domain(client, domain_id), done,
          lambda d: f"SageMaker domain {domain_id} is still {d['Status']}", timeout, sleep)
