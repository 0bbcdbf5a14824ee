"""Route 53 Resolver DNS Firewall and query logging for the mlperimeter modules.

Everything the DNS Firewall modules share lives here, so the modules stay glue:

* the service's error class and handler, and its calls through
  ``service_calls.ServiceCalls``: the collection's ``retries.jittered_backoff()``, and
  ``ConflictException`` retried too where AWS answers it for a resource that is still changing;
* paging through boto3's paginators;
* look-ups by name: AWS does not keep names unique, so two resources sharing the name a
  task gives is an error naming both ids, never a guess;
* domain specifications: validation by the service's syntax rules (every bad entry
  reported at once), normalisation to the form AWS stores (lower case, one trailing dot,
  ``*`` stored as ``*.``), and the difference between two sets of them;
* rules: validation, normalising AWS's answers and the tasks' rules to one shape, and the
  plan of deletes, in-place updates and creates that turns one set of rules into another;
* waiting for domain lists and rule group associations to be ``COMPLETE`` (or gone).
"""

import re
import uuid

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

SERVICE = "route53resolver"

# A domain list or association that is still UPDATING refuses the next change with
# ConflictException; so does one being deleted. Those calls are retried until it settles.
CONFLICT_CODES = ["ConflictException"]

MAX_DOMAINS_PER_UPDATE = 1000
LIST_DOMAINS_PAGE = 5000  # the most ListFirewallDomains answers per page
MANAGED_LIST_OWNER = "Route 53 Resolver DNS Firewall"

ACTIONS = ("ALLOW", "ALERT", "BLOCK")
BLOCK_RESPONSES = ("NODATA", "NXDOMAIN", "OVERRIDE")
REDIRECTION_ACTIONS = ("INSPECT_REDIRECTION_DOMAIN", "TRUST_REDIRECTION_DOMAIN")
DEFAULT_REDIRECTION_ACTION = "INSPECT_REDIRECTION_DOMAIN"
QTYPES = ("A", "AAAA", "CAA", "CNAME", "DS", "MX", "NAPTR", "NS", "PTR", "SOA", "SPF", "SRV", "TXT")
MAX_OVERRIDE_TTL = 604800
# Association priorities: AWS refuses 100, Firewall Manager owns 1-99 and 9901-10000.
ASSOCIATION_PRIORITY_MIN = 101
ASSOCIATION_PRIORITY_MAX = 9899

NAME = re.compile(r"(?!^[0-9]+$)[a-zA-Z0-9\-_' ]{1,64}")
DOMAIN = re.compile(r"\*|(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*")
QTYPE_NUMBER = re.compile(r"TYPE([1-9][0-9]{0,4})")
VPC_ID = re.compile(r"vpc-[0-9a-f]{8,17}")
DOMAIN_LIST_ID = re.compile(r"rslvr-fdl-[0-9a-z]+")
RULE_GROUP_ID = re.compile(r"rslvr-frg-[0-9a-z]+")
LOG_DESTINATION_ARN = re.compile(
    r"arn:aws[a-z-]*:("
    r"logs:[a-z0-9-]+:[0-9]{12}:log-group:[.\-_/#A-Za-z0-9]{1,512}(:\*)?"
    r"|s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?"
    r"|firehose:[a-z0-9-]+:[0-9]{12}:deliverystream/[a-zA-Z0-9_.-]{1,64}"
    r")"
)
QUERY_LOG_NAME = re.compile(r"(?!^[0-9]+$)[0-9a-zA-Z\-_' ]{1,64}")

PENDING = ("UPDATING", "IMPORTING", "DELETING")


class AnsibleRoute53ResolverError(AnsibleAWSError):
    """A failed Route 53 Resolver call, or a request the module refuses."""


class Route53ResolverErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleRoute53ResolverError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


# ----- calls ------------------------------------------------------------------------------


_calls = ServiceCalls(Route53ResolverErrorHandler, conflict_codes=CONFLICT_CODES)
call = _calls.call
get_or_none = _calls.get_or_none
paginate = _calls.paginate


def request_token():
    """A CreatorRequestId for one create call; retries of that call send the same one."""
    return f"mlperimeter-{uuid.uuid4()}"


# ----- tags -------------------------------------------------------------------------------


def get_tags(client, arn):
    tags = paginate(client, "list_tags_for_resource", "Tags", f"list the tags of {arn}", ResourceArn=arn)
    return boto3_tag_list_to_ansible_dict(tags)


def tag_list(tags):
    return ansible_dict_to_boto3_tag_list(tags or {})


def tags_after(current, desired, purge):
    """The tags a resource ends with, and whether they change. ``desired`` None leaves them alone."""
    if desired is None:
        return dict(current), False
    to_set, to_remove = compare_aws_tags(current, desired, purge_tags=purge)
    after = {k: v for k, v in current.items() if k not in to_remove}
    after.update(to_set)
    return after, bool(to_set or to_remove)


def ensure_tags(client, arn, current, desired, purge, *, check_mode):
    """Reconcile a resource's tags; True when they change (or would)."""
    if desired is None:
        return False
    to_set, to_remove = compare_aws_tags(current, desired, purge_tags=purge)
    if not to_set and not to_remove:
        return False
    if not check_mode:
        if to_remove:
            call(client, "untag_resource", f"untag {arn}", ResourceArn=arn, TagKeys=to_remove)
        if to_set:
            call(client, "tag_resource", f"tag {arn}", ResourceArn=arn, Tags=tag_list(to_set))
    return True


# ----- look-ups ---------------------------------------------------------------------------


def only_one(found, kind, name, id_key="Id"):
    """The single resource named ``name`` in ``found``, None when there is none.

    AWS does not keep names unique; when several share it the task is ambiguous and refused.
    """
    if len(found) > 1:
        ids = ", ".join(sorted(item[id_key] for item in found))
        raise AnsibleRoute53ResolverError(
            message=(
                f"{len(found)} {kind}s are named {name!r} ({ids}); AWS does not keep names unique and the module "
                f"refuses to guess which one the task means. Delete or rename all but one."
            )
        )
    return found[0] if found else None


def list_domain_lists(client):
    return paginate(client, "list_firewall_domain_lists", "FirewallDomainLists", "list firewall domain lists")


def find_domain_list(client, name, *, managed=False, lists=None):
    """The metadata of the domain list named ``name``; own lists only unless ``managed``."""
    lists = list_domain_lists(client) if lists is None else lists
    found = [
        fdl for fdl in lists
        if fdl.get("Name") == name and (managed or not fdl.get("ManagedOwnerName"))
    ]
    return only_one(found, "firewall domain list", name)


def get_domain_list(client, list_id):
    answer = get_or_none(client, "get_firewall_domain_list", f"get firewall domain list {list_id}",
                         FirewallDomainListId=list_id)
    return answer["FirewallDomainList"] if answer else None


def list_domains(client, list_id):
    """A domain list's domains as AWS stores them, 5,000 a page."""
    return paginate(
        client, "list_firewall_domains", "Domains", f"list the domains of {list_id}",
        FirewallDomainListId=list_id, PaginationConfig={"PageSize": LIST_DOMAINS_PAGE},
    )


def list_rule_groups(client):
    """The rule groups this account owns (groups shared with it are not its to change)."""
    groups = paginate(client, "list_firewall_rule_groups", "FirewallRuleGroups", "list firewall rule groups")
    return [group for group in groups if group.get("ShareStatus") != "SHARED_WITH_ME"]


def find_rule_group(client, name, groups=None):
    groups = list_rule_groups(client) if groups is None else groups
    return only_one([group for group in groups if group.get("Name") == name], "firewall rule group", name)


def get_rule_group(client, group_id):
    answer = get_or_none(client, "get_firewall_rule_group", f"get firewall rule group {group_id}",
                         FirewallRuleGroupId=group_id)
    return answer["FirewallRuleGroup"] if answer else None


def list_rules(client, group_id):
    return paginate(client, "list_firewall_rules", "FirewallRules", f"list the rules of {group_id}",
                    FirewallRuleGroupId=group_id)


def list_associations(client, **filters):
    return paginate(client, "list_firewall_rule_group_associations", "FirewallRuleGroupAssociations",
                    "list firewall rule group associations", **filters)


def get_association(client, association_id):
    answer = get_or_none(client, "get_firewall_rule_group_association",
                         f"get firewall rule group association {association_id}",
                         FirewallRuleGroupAssociationId=association_id)
    return answer["FirewallRuleGroupAssociation"] if answer else None


def rules_using_domain_list(client, list_id):
    """(rule group, rule) pairs of this account's rule groups whose rule uses the list."""
    using = []
    for group in list_rule_groups(client):
        for rule in list_rules(client, group["Id"]):
            if rule.get("FirewallDomainListId") == list_id:
                using.append((group, rule))
    return using


def resolve_rule_group(client, ref):
    """A rule group given by id or name: its metadata (Id, Name, Arn), None when it does not exist."""
    if RULE_GROUP_ID.fullmatch(ref):
        return get_rule_group(client, ref)
    return find_rule_group(client, ref)


# ----- waiting ----------------------------------------------------------------------------


def _poll(read, done, describe, timeout, sleep):
    return poll(read, done, describe, timeout, sleep, AnsibleRoute53ResolverError)


def wait_domain_list(client, list_id, timeout, *, sleep=5):
    """Wait until the list is COMPLETE; fail on COMPLETE_IMPORT_FAILED or when it disappears."""

    def done(fdl):
        if fdl is None:
            raise AnsibleRoute53ResolverError(message=f"Firewall domain list {list_id} disappeared while waiting")
        if fdl["Status"] == "COMPLETE_IMPORT_FAILED":
            raise AnsibleRoute53ResolverError(
                message=f"Firewall domain list {list_id}: {fdl.get('StatusMessage') or 'import failed'}"
            )
        return fdl["Status"] not in PENDING

    return _poll(lambda: get_domain_list(client, list_id), done,
                 lambda fdl: f"Firewall domain list {list_id} is still {fdl['Status']}", timeout, sleep)


def wait_domain_list_deleted(client, list_id, timeout, *, sleep=5):
    _poll(lambda: get_domain_list(client, list_id), lambda fdl: fdl is None,
          lambda fdl: f"Firewall domain list {list_id} is still {fdl['Status']}", timeout, sleep)


def wait_association(client, association_id, timeout, *, sleep=5):
    def done(association):
        if association is None:
            raise AnsibleRoute53ResolverError(
                message=f"Firewall rule group association {association_id} disappeared while waiting"
            )
        return association["Status"] not in PENDING

    return _poll(lambda: get_association(client, association_id), done,
                 lambda a: f"Firewall rule group association {association_id} is still {a['Status']} "
                           f"({a.get('StatusMessage') or 'no message'})", timeout, sleep)


def wait_association_deleted(client, association_id, timeout, *, sleep=5):
    _poll(lambda: get_association(client, association_id), lambda a: a is None,
          lambda a: f"Firewall rule group association {association_id} is still {a['Status']}", timeout, sleep)


# ----- domains ----------------------------------------------------------------------------


def normalise_domain(value):
    """The form AWS stores a domain specification in: lower case, one trailing dot (``*`` is ``*.``)."""
    name = value.strip().lower()
    if name.endswith("."):
        name = name[:-1]
    return name + "."


def domain_problem(value):
    """Why ``value`` is not a valid domain specification, or None.

    The service's rules: an optional leading ``*`` label, then labels of letters, digits and
    hyphens separated by periods; at most 255 characters as stored (trailing dot included).
    """
    if not isinstance(value, str) or not value.strip():
        return "is empty"
    if not value.strip().isascii():
        return "has characters outside A-Z a-z 0-9 - . *"
    stored = normalise_domain(value)
    if len(stored) > 255:
        return f"is {len(stored)} characters as stored; the most is 255"
    name = stored[:-1]
    if not DOMAIN.fullmatch(name):
        if "*" in name:
            return "may only have * as its whole leftmost label (*.example.com or *)"
        return "must be labels of A-Z a-z 0-9 - separated by single periods"
    return None


def validate_domains(entries):
    """Every bad entry of ``entries`` ((where, value) pairs), as messages naming where and what."""
    problems = []
    for where, value in entries:
        problem = domain_problem(value)
        if problem:
            problems.append(f"{where}: {value!r} {problem}")
    return problems


def read_domains_file(path):
    """(line number, domain) pairs of a file of one domain a line; blank lines and ``#`` comments skipped."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise AnsibleRoute53ResolverError(message=f"domains_file: cannot read {path!r}: {e}") from e
    entries = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if text:
            entries.append((number, text))
    return entries


def desired_domains(domains, file_entries, file_path):
    """(normalised set, problems) of a task's ``domains`` and ``domains_file`` lines."""
    entries = [(f"domains[{index}]", value) for index, value in enumerate(domains or [])]
    entries += [(f"domains_file {file_path} line {number}", value) for number, value in file_entries or []]
    problems = validate_domains(entries)
    return {normalise_domain(value) for _where, value in entries if not problems}, problems


def diff_domains(current, desired, mode):
    """(to_add, to_remove), both sorted, that make the normalised set ``current`` what ``mode`` asks.

    ``exact``: the list becomes ``desired``; ``add``: ``desired`` is added; ``remove``: ``desired``
    is taken out (entries not in the list are nothing to do).
    """
    current = {normalise_domain(domain) for domain in current}
    if mode == "exact":
        return sorted(desired - current), sorted(current - desired)
    if mode == "add":
        return sorted(desired - current), []
    if mode == "remove":
        return [], sorted(desired & current)
    raise ValueError(mode)


def batches(domains, size=MAX_DOMAINS_PER_UPDATE):
    return [domains[start:start + size] for start in range(0, len(domains), size)]


def update_domains(client, list_id, operation, domains, *, timeout):
    """Send ``domains`` with ``operation`` in batches of at most 1,000, the list COMPLETE between them."""
    calls = 0
    for batch in batches(domains):
        call(client, "update_firewall_domains", f"{operation} {len(batch)} domains on {list_id}",
             retry_conflict=True, FirewallDomainListId=list_id, Operation=operation, Domains=batch)
        calls += 1
        wait_domain_list(client, list_id, timeout)
    return calls


def domain_list_result(fdl, tags, added=0, removed=0):
    result = camel_dict_to_snake_dict(fdl)
    result["tags"] = dict(tags)
    result["added"] = added
    result["removed"] = removed
    return result


# ----- rules ------------------------------------------------------------------------------


def valid_qtype(qtype):
    if qtype in QTYPES:
        return True
    match = QTYPE_NUMBER.fullmatch(qtype)
    return bool(match) and 1 <= int(match.group(1)) <= 65534


def name_problem(field, value):
    if value is None or not NAME.fullmatch(value):
        return (f"{field}: {value!r} must be 1 to 64 letters, digits, spaces, -, _ or ' (no periods) "
                "and not only digits")
    return None


def validate_rules(rules):
    """Every problem with a task's rules, each naming the rule and field; checked before any call."""
    problems = []
    by_priority = {}
    by_name = {}
    by_source = {}
    for index, rule in enumerate(rules or []):
        where = f"rules[{index}]"
        problem = name_problem(f"{where}.name", rule.get("name"))
        if problem:
            problems.append(problem)
        priority = rule.get("priority")
        if priority is None or priority < 1:
            problems.append(f"{where}.priority: {priority!r} must be a positive integer")
        else:
            by_priority.setdefault(priority, []).append(rule.get("name"))
        by_name.setdefault(rule.get("name"), []).append(index)
        action = rule.get("action")
        if action not in ACTIONS:
            problems.append(f"{where}.action: {action!r} must be one of {', '.join(ACTIONS)}")
        response = rule.get("block_response")
        if response is not None and response not in BLOCK_RESPONSES:
            problems.append(f"{where}.block_response: {response!r} must be one of {', '.join(BLOCK_RESPONSES)}")
        override = {k: rule.get(k) for k in ("block_override_domain", "block_override_dns_type",
                                             "block_override_ttl") if rule.get(k) is not None}
        if action == "BLOCK":
            if response is None:
                problems.append(f"{where}.block_response: a BLOCK rule needs one of {', '.join(BLOCK_RESPONSES)}")
        elif action in ACTIONS and (response is not None or override):
            fields = ", ".join(["block_response"] * (response is not None) + sorted(override))
            problems.append(f"{where}: {fields} only apply to BLOCK rules, not {action}")
        if response == "OVERRIDE":
            if rule.get("block_override_domain") is None or rule.get("block_override_ttl") is None:
                problems.append(f"{where}: block_response OVERRIDE needs block_override_domain and block_override_ttl")
        elif response is not None and override:
            problems.append(f"{where}: {', '.join(sorted(override))} only apply when block_response is OVERRIDE")
        if rule.get("block_override_domain") is not None and domain_problem(rule["block_override_domain"]):
            problems.append(f"{where}.block_override_domain: {rule['block_override_domain']!r} "
                            f"{domain_problem(rule['block_override_domain'])}")
        ttl = rule.get("block_override_ttl")
        if ttl is not None and not 0 <= ttl <= MAX_OVERRIDE_TTL:
            problems.append(f"{where}.block_override_ttl: {ttl} must be 0 to {MAX_OVERRIDE_TTL}")
        if rule.get("block_override_dns_type") not in (None, "CNAME"):
            problems.append(f"{where}.block_override_dns_type: {rule['block_override_dns_type']!r} must be CNAME")
        qtype = rule.get("qtype")
        if qtype is not None and not valid_qtype(qtype):
            problems.append(f"{where}.qtype: {qtype!r} must be one of {', '.join(QTYPES)} or TYPE<n> "
                            "with n from 1 to 65534")
        redirection = rule.get("firewall_domain_redirection_action")
        if redirection is not None and redirection not in REDIRECTION_ACTIONS:
            problems.append(f"{where}.firewall_domain_redirection_action: {redirection!r} must be one of "
                            f"{', '.join(REDIRECTION_ACTIONS)}")
        if not rule.get("domain_list"):
            problems.append(f"{where}.domain_list: a domain list name or id is required")
        else:
            by_source.setdefault((rule["domain_list"], qtype), []).append(rule.get("name"))
    for priority, names in sorted(by_priority.items()):
        if len(names) > 1:
            given = ", ".join(map(str, names))
            problems.append(f"rules: priority {priority} is given to more than one rule ({given}); "
                            "priorities must be unique in a rule group")
    for name, indexes in by_name.items():
        if len(indexes) > 1 and name is not None:
            problems.append(f"rules: the name {name!r} is given to more than one rule (rules{indexes})")
    for (source, qtype), names in by_source.items():
        if len(names) > 1:
            problems.append(f"rules: domain list {source!r} with qtype {qtype or 'any'} is used by more than one "
                            f"rule ({', '.join(map(str, names))}); a domain list can be used once per qtype")
    return problems


RULE_MEMBERS = (
    ("name", "Name"),
    ("priority", "Priority"),
    ("action", "Action"),
    ("block_response", "BlockResponse"),
    ("block_override_domain", "BlockOverrideDomain"),
    ("block_override_dns_type", "BlockOverrideDnsType"),
    ("block_override_ttl", "BlockOverrideTtl"),
    ("firewall_domain_redirection_action", "FirewallDomainRedirectionAction"),
)


def canonical_rule(rule, list_id):
    """A task's rule in API members, with what AWS fills in filled in, so comparing is ``==``."""
    canonical = {"FirewallDomainListId": list_id, "Qtype": rule.get("qtype")}
    for option, member in RULE_MEMBERS:
        canonical[member] = rule.get(option)
    if canonical["FirewallDomainRedirectionAction"] is None:
        canonical["FirewallDomainRedirectionAction"] = DEFAULT_REDIRECTION_ACTION
    if canonical["BlockResponse"] == "OVERRIDE":
        canonical["BlockOverrideDnsType"] = canonical["BlockOverrideDnsType"] or "CNAME"
        canonical["BlockOverrideDomain"] = normalise_domain(canonical["BlockOverrideDomain"])
    return canonical


def current_rule(rule):
    """An AWS rule in the same shape as ``canonical_rule``."""
    canonical = {"FirewallDomainListId": rule.get("FirewallDomainListId"), "Qtype": rule.get("Qtype")}
    for _option, member in RULE_MEMBERS:
        canonical[member] = rule.get(member)
    if canonical["FirewallDomainRedirectionAction"] is None:
        canonical["FirewallDomainRedirectionAction"] = DEFAULT_REDIRECTION_ACTION
    if canonical["BlockOverrideDomain"] is not None:
        canonical["BlockOverrideDomain"] = normalise_domain(canonical["BlockOverrideDomain"])
    return canonical


def rule_key(rule):
    """A domain-list rule's identity in its group: (domain list id, qtype)."""
    return rule["FirewallDomainListId"], rule.get("Qtype")


def plan_rules(current, desired, purge):
    """What turns ``current`` rules into ``desired`` (both canonical).

    Returns (deletes, updates, creates, kept): rules that only AWS has are deleted when
    ``purge``, else kept; a rule whose identity (domain list, qtype) is unchanged is updated in
    place; anything else is created. Threat-protection rules are not identified by a domain list
    and are only ever kept or purged.
    """
    current_by_key = {rule_key(rule): rule for rule in current if rule.get("FirewallDomainListId")}
    desired_keys = {rule_key(rule) for rule in desired}
    deletes, kept = [], []
    for rule in current:
        if not rule.get("FirewallDomainListId") or rule_key(rule) not in desired_keys:
            (deletes if purge else kept).append(rule)
    updates, creates = [], []
    for rule in desired:
        existing = current_by_key.get(rule_key(rule))
        if existing is None:
            creates.append(rule)
        elif existing != rule:
            updates.append((existing, rule))
    return deletes, updates, creates, kept


def priority_conflicts(kept, desired):
    """Problems of desired rules whose priority a kept (unmanaged) rule already holds."""
    held = {rule["Priority"]: rule for rule in kept}
    return [
        f"rules: priority {rule['Priority']} of rule {rule['Name']!r} is held by rule "
        f"{held[rule['Priority']]['Name']!r} that the task keeps (purge_rules is false); choose another priority"
        for rule in desired if rule["Priority"] in held
    ]


def order_updates(updates, occupied):
    """The UpdateFirewallRule calls for ``updates``, ordered so no two rules hold a priority at once.

    ``occupied``: priorities held by the rules of the group once the deletes are done.
    A rule whose new priority another rule still holds waits for that one to move; when rules
    wait for each other in a cycle, one goes to a free priority first. Returns a list of
    (current rule, rule to send) pairs.
    """
    occupied = set(occupied)
    pending = list(updates)
    steps = []
    spare = max(list(occupied) + [rule["Priority"] for _c, rule in updates] + [0]) + 1
    while pending:
        for index, (existing, rule) in enumerate(pending):
            if rule["Priority"] == existing["Priority"] or rule["Priority"] not in occupied:
                occupied.discard(existing["Priority"])
                occupied.add(rule["Priority"])
                steps.append((existing, rule))
                del pending[index]
                break
        else:
            existing, rule = pending[0]
            while spare in occupied:
                spare += 1
            parked = dict(existing, Priority=spare)
            occupied.discard(existing["Priority"])
            occupied.add(spare)
            steps.append((existing, parked))
            pending[0] = (parked, rule)
    return steps


def rule_params(rule):
    """The members of a canonical rule to send (None members left out)."""
    return {member: value for member, value in rule.items() if value is not None}


def rule_result(rule, list_names):
    result = camel_dict_to_snake_dict({k: v for k, v in rule.items() if v is not None})
    result["firewall_domain_list_name"] = list_names.get(rule.get("FirewallDomainListId"))
    return result


# ----- associations -----------------------------------------------------------------------


def association_priority_problem(priority):
    if priority is None or not ASSOCIATION_PRIORITY_MIN <= priority <= ASSOCIATION_PRIORITY_MAX:
        return (f"priority: {priority!r} must be {ASSOCIATION_PRIORITY_MIN} to {ASSOCIATION_PRIORITY_MAX} "
                "(AWS reserves 100 and 9900; Firewall Manager uses 1-99 and 9901-10000)")
    return None


def vpc_problem(field, value):
    if value is None or not VPC_ID.fullmatch(value):
        return f"{field}: {value!r} is not a VPC id (vpc-...)"
    return None


# ----- query logging ----------------------------------------------------------------------


def list_query_log_configs(client, **filters):
    return paginate(client, "list_resolver_query_log_configs", "ResolverQueryLogConfigs",
                    "list Resolver query log configs", **filters)


def find_query_log_config(client, name):
    found = [config for config in list_query_log_configs(client)
             if config.get("Name") == name and config.get("ShareStatus") != "SHARED_WITH_ME"]
    return only_one(found, "Resolver query log config", name)


def list_query_log_associations(client, config_id):
    return paginate(
        client, "list_resolver_query_log_config_associations", "ResolverQueryLogConfigAssociations",
        f"list the VPCs of query log config {config_id}",
        Filters=[{"Name": "ResolverQueryLogConfigId", "Values": [config_id]}],
    )


def destination_problem(value):
    if value is None or not LOG_DESTINATION_ARN.fullmatch(value):
        return (f"destination_arn: {value!r} is not the ARN of a CloudWatch Logs log group, an S3 bucket "
                "or a Kinesis Data Firehose delivery stream")
    return None


def normalise_destination(arn):
    """A destination ARN as compared: a log group's trailing ``:*`` and an S3 trailing ``/`` ignored."""
    if arn.endswith(":*"):
        arn = arn[:-2]
    return arn.rstrip("/")
