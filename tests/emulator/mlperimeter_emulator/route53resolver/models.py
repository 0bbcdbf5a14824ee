"""Route 53 Resolver with DNS Firewall: moto's resolver backend plus domain lists, rule groups,
rules, rule group associations and firewall configs, per account and Region.

Asynchronous writes. AWS applies domain-list updates, imports, deletions and rule group
associations in the background: the call answers with a transitional status (UPDATING,
IMPORTING, DELETING) and ``Get``/``List`` later show COMPLETE (or the resource is gone).
Here a resource leaves its transitional status on the first read (Get or List) made once
``MLPERIMETER_DNS_FIREWALL_SETTLE_SECONDS`` (default 0) have passed since the write. Until
then further writes to it fail with ConflictException, as AWS refuses state changes on a
resource that is still changing. A client that waits for COMPLETE between batches works; one
that fires the next batch without waiting fails, as it can against AWS.
"""

import base64
import hashlib
import json
import os
import re
import time
from datetime import UTC, datetime
from itertools import islice

from moto.core.base_backend import BackendDict
from moto.core.common_models import BaseModel
from moto.moto_api._internal import mock_random
from moto.route53resolver.exceptions import InvalidRequestException, TagValidationException
from moto.route53resolver.exceptions import ResourceNotFoundException as QueryLogNotFoundException
from moto.route53resolver.models import Route53ResolverBackend as MotoRoute53ResolverBackend
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition

from .exceptions import (
    AccessDeniedException,
    ConflictException,
    LimitExceededException,
    ResourceNotFoundException,
    ValidationException,
    field_error,
    not_found,
    rslvr,
)

SETTLE_SECONDS_ENV = "MLPERIMETER_DNS_FIREWALL_SETTLE_SECONDS"

MANAGED_OWNER_NAME = "Route 53 Resolver DNS Firewall"
MANAGED_DOMAIN_LISTS = (
    "AWSManagedDomainsMalwareDomainList",
    "AWSManagedDomainsBotnetCommandandControl",
    "AWSManagedDomainsAggregateThreatList",
    "AWSManagedDomainsAmazonGuardDutyThreatList",
)

QTYPES = {"A", "AAAA", "CAA", "CNAME", "DS", "MX", "NAPTR", "NS", "PTR", "SOA", "SPF", "SRV", "TXT"}
_QTYPE_NUMBER = re.compile(r"TYPE([1-9][0-9]{0,4})")

# A domain specification: "*" alone, or labels of [a-z0-9-] with an optional leading "*." label.
_DOMAIN = re.compile(r"\*|(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*")
_S3_URL = re.compile(r"s3://([^/]+)/(.+)")

# Rule members a request may set, besides its match source.
RULE_ATTRIBUTES = (
    "Name", "Priority", "Action", "BlockResponse", "BlockOverrideDomain", "BlockOverrideDnsType", "BlockOverrideTtl",
    "FirewallDomainRedirectionAction", "Qtype", "ConfidenceThreshold",
)

LIST_UPDATING = ("UPDATING", "Updating the Firewall Domain List")
LIST_IMPORTING = ("IMPORTING", "Importing domains from provided file.")
LIST_DELETING = ("DELETING", "Deleting the Firewall Domain List")
LIST_DONE = ("COMPLETE", "Finished domain list update")
ASSOCIATION_CREATING = ("UPDATING", "Creating Firewall Rule Group Association")
ASSOCIATION_UPDATING = ("UPDATING", "Updating the Firewall Rule Group Association Attributes")
ASSOCIATION_DELETING = ("DELETING", "Deleting the Firewall Rule Group Association")
ASSOCIATION_DONE = ("COMPLETE", "Finished rule group association update")


def settle_seconds():
    return float(os.environ.get(SETTLE_SECONDS_ENV) or 0)


def _timestamp():
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _new_id(prefix):
    return f"{prefix}-{mock_random.get_random_hex(16)}"


def normalise_domain(value):
    """The stored form of a domain specification (lower case, one trailing dot), or None if invalid.

    Case is not documented; DNS names are case-insensitive, so lists store them in lower case.
    The stored form must fit the model's 255 characters, trailing dot included.
    """
    if not value.isascii():
        return None
    name = value.lower()
    if name.endswith("."):
        name = name[:-1]
    if len(name) >= 255 or not _DOMAIN.fullmatch(name):
        return None
    return name + "."


def _field(member):
    """How the service names a request member in its messages: ``blockResponse``."""
    return member[:1].lower() + member[1:]


def valid_qtype(qtype):
    if qtype in QTYPES:
        return True
    match = _QTYPE_NUMBER.fullmatch(qtype)
    return bool(match) and 1 <= int(match.group(1)) <= 65534


def _page(items, next_token, max_results, scope):
    """One page of ``items`` (a sequence or dict) and the token of the next, or None."""
    start = 0
    if next_token:
        try:
            token = json.loads(base64.urlsafe_b64decode(next_token.encode()))
            if token["scope"] != scope:
                raise ValueError(next_token)
            start = int(token["offset"])
        except (ValueError, KeyError, TypeError):
            constraint = "be a token from an earlier call with the same parameters"
            raise field_error("nextToken", next_token, constraint) from None
    end = start + (max_results or 100)
    page = list(islice(items, start, end))
    if end >= len(items):
        return page, None
    token = json.dumps({"scope": scope, "offset": end}).encode()
    return page, base64.urlsafe_b64encode(token).decode()


def _scope(*parts):
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


class _Asynchronous:
    """A resource whose writes complete in the background (see the module docstring)."""

    status = "COMPLETE"
    status_message = ""
    changing = False
    gone = False

    def begin(self, transitional, final):
        """Enter ``transitional`` (status, message); ``final`` is where it ends, None for removal."""
        self.status, self.status_message = transitional
        self._final = final
        self._due = time.monotonic() + settle_seconds()
        self.changing = True

    def settle(self):
        """Called by reads: finish the change if it is due. False when the resource is now gone."""
        if self.changing and time.monotonic() >= self._due:
            self.changing = False
            if self._final is None:
                self.gone = True
            else:
                self.status, self.status_message = self._final
        return not self.gone


class FirewallDomainList(BaseModel, _Asynchronous):
    def __init__(self, account_id, region, name, creator_request_id, managed=False):
        if managed:
            # AWS-managed lists have a stable id per Region.
            digest = hashlib.sha256(f"{region}/{name}".encode()).hexdigest()
            self.id = f"rslvr-fdl-{digest[:16]}"
        else:
            self.id = _new_id("rslvr-fdl")
        self.arn = f"arn:{get_partition(region)}:route53resolver:{region}:{account_id}:firewall-domain-list/{self.id}"
        self.name = name
        self.creator_request_id = creator_request_id
        self.managed = managed
        self.domains = {}  # an ordered set: normalised domain -> None
        self.status, self.status_message = "COMPLETE", "Created Firewall Domain List"
        self.creation_time = self.modification_time = _timestamp()

    def description(self):
        answer = {
            "Id": self.id,
            "Arn": self.arn,
            "Name": self.name,
            "Status": self.status,
            "StatusMessage": self.status_message,
            "CreatorRequestId": self.creator_request_id,
            "CreationTime": self.creation_time,
            "ModificationTime": self.modification_time,
        }
        if self.managed:
            # Contents of managed lists are not disclosed, their size included.
            answer.update(ManagedOwnerName=MANAGED_OWNER_NAME, ManagedListType="THREAT")
        else:
            answer["DomainCount"] = len(self.domains)
        return answer

    def metadata(self):
        answer = {"Id": self.id, "Arn": self.arn, "Name": self.name, "CreatorRequestId": self.creator_request_id}
        if self.managed:
            answer.update(ManagedOwnerName=MANAGED_OWNER_NAME, ManagedListType="THREAT")
        return answer

    def summary(self):
        return {"Id": self.id, "Name": self.name, "Status": self.status, "StatusMessage": self.status_message}


class FirewallRuleGroup(BaseModel):
    def __init__(self, account_id, region, name, creator_request_id):
        self.id = _new_id("rslvr-frg")
        self.arn = f"arn:{get_partition(region)}:route53resolver:{region}:{account_id}:firewall-rule-group/{self.id}"
        self.name = name
        self.creator_request_id = creator_request_id
        self.owner_id = account_id
        self.rules = {}  # rule.key -> FirewallRule
        self.policy = None
        self.status, self.status_message = "COMPLETE", "Created Firewall Rule Group"
        self.creation_time = self.modification_time = _timestamp()

    def metadata(self):
        return {
            "Id": self.id,
            "Arn": self.arn,
            "Name": self.name,
            "OwnerId": self.owner_id,
            "CreatorRequestId": self.creator_request_id,
            "ShareStatus": "NOT_SHARED",
        }

    def description(self):
        return {
            **self.metadata(),
            "RuleCount": len(self.rules),
            "Status": self.status,
            "StatusMessage": self.status_message,
            "CreationTime": self.creation_time,
            "ModificationTime": self.modification_time,
        }


class FirewallRule(BaseModel):
    FIELDS = {
        "FirewallDomainListId": "domain_list_id",
        "FirewallThreatProtectionId": "threat_protection_id",
        "Name": "name",
        "Priority": "priority",
        "Action": "action",
        "BlockResponse": "block_response",
        "BlockOverrideDomain": "block_override_domain",
        "BlockOverrideDnsType": "block_override_dns_type",
        "BlockOverrideTtl": "block_override_ttl",
        "CreatorRequestId": "creator_request_id",
        "CreationTime": "creation_time",
        "ModificationTime": "modification_time",
        "FirewallDomainRedirectionAction": "redirection_action",
        "Qtype": "qtype",
        "DnsThreatProtection": "dns_threat_protection",
        "ConfidenceThreshold": "confidence_threshold",
    }

    def __init__(self, group_id, creator_request_id):
        self.group_id = group_id
        for attribute in self.FIELDS.values():
            setattr(self, attribute, None)
        self.creator_request_id = creator_request_id
        self.creation_time = self.modification_time = _timestamp()

    @property
    def key(self):
        """A rule's identity in its group: (domain list, qtype), or its threat protection id."""
        if self.threat_protection_id:
            return ("threat", self.threat_protection_id)
        return ("list", self.domain_list_id, self.qtype)

    def description(self):
        answer = {"FirewallRuleGroupId": self.group_id}
        for member, attribute in self.FIELDS.items():
            value = getattr(self, attribute)
            if value is not None:
                answer[member] = value
        return answer


class FirewallRuleGroupAssociation(BaseModel, _Asynchronous):
    def __init__(self, account_id, region, group_id, vpc_id, priority, name, mutation_protection, creator_request_id):
        self.id = _new_id("rslvr-frgassoc")
        self.arn = (
            f"arn:{get_partition(region)}:route53resolver:{region}:{account_id}"
            f":firewall-rule-group-association/{self.id}"
        )
        self.group_id = group_id
        self.vpc_id = vpc_id
        self.priority = priority
        self.name = name
        self.mutation_protection = mutation_protection
        self.creator_request_id = creator_request_id
        self.creation_time = self.modification_time = _timestamp()
        self.begin(ASSOCIATION_CREATING, ASSOCIATION_DONE)

    def description(self):
        return {
            "Id": self.id,
            "Arn": self.arn,
            "FirewallRuleGroupId": self.group_id,
            "VpcId": self.vpc_id,
            "Name": self.name,
            "Priority": self.priority,
            "MutationProtection": self.mutation_protection,
            "Status": self.status,
            "StatusMessage": self.status_message,
            "CreatorRequestId": self.creator_request_id,
            "CreationTime": self.creation_time,
            "ModificationTime": self.modification_time,
        }


class FirewallConfig(BaseModel):
    def __init__(self, account_id, vpc_id):
        self.id = _new_id("rslvr-fc")
        self.resource_id = vpc_id
        self.owner_id = account_id
        self.fail_open = "DISABLED"

    def description(self):
        return {
            "Id": self.id,
            "ResourceId": self.resource_id,
            "OwnerId": self.owner_id,
            "FirewallFailOpen": self.fail_open,
        }


class Route53ResolverBackend(MotoRoute53ResolverBackend):
    """moto's Route 53 Resolver backend with DNS Firewall added."""

    # Default quotas per account and Region (reference §3.13).
    MAX_DOMAIN_LISTS = 1000
    MAX_DOMAINS = 100_000
    MAX_IMPORT_FILE_DOMAINS = 250_000
    MAX_DOMAINS_PER_UPDATE = 1000
    MAX_RULE_GROUPS = 1000
    MAX_RULES_PER_GROUP = 100
    MAX_ASSOCIATIONS_PER_VPC = 5
    MAX_TAGS = 200

    def __init__(self, region_name, account_id):
        super().__init__(region_name, account_id)
        self.firewall_domain_lists = {}
        self.firewall_rule_groups = {}
        self.firewall_rule_group_associations = {}
        self.firewall_configs = {}  # VPC id -> FirewallConfig
        for name in MANAGED_DOMAIN_LISTS:
            managed = FirewallDomainList(account_id, region_name, name, name, managed=True)
            self.firewall_domain_lists[managed.id] = managed

    # -- shared helpers ---------------------------------------------------------------------

    def _tag_new_resource(self, arn, tags):
        if tags:
            error = self.tagger.validate_tags(tags, limit=self.MAX_TAGS)
            if error:
                raise TagValidationException(error)
            self.tagger.tag_resource(arn, tags)

    @staticmethod
    def _replayed(resources, creator_request_id, same_request):
        """The live resource created earlier with this CreatorRequestId, if any.

        AWS does not document a reused CreatorRequestId for firewall resources. A retry of the
        same request gets the first answer back; reusing the token for a different request is
        refused, which catches clients that derive tokens carelessly.
        """
        for resource in resources:
            if resource.creator_request_id == creator_request_id and not getattr(resource, "gone", False):
                if not same_request(resource):
                    raise field_error(
                        "creatorRequestId", creator_request_id, "be unique: it was already used for a different request"
                    )
                return resource
        return None

    def _vpc(self, vpc_id):
        if vpc_id not in self.ec2_backend.vpcs:
            raise not_found(vpc_id, "VPC")
        return vpc_id

    def _matched_arn(self, resource_arn):
        firewall = (
            list(self.firewall_domain_lists.values())
            + list(self.firewall_rule_groups.values())
            + list(self.firewall_rule_group_associations.values())
            + list(self.resolver_query_log_configs.values())
        )
        if any(resource.arn == resource_arn and not getattr(resource, "gone", False) for resource in firewall):
            return
        super()._matched_arn(resource_arn)

    # -- domain lists -----------------------------------------------------------------------

    def create_firewall_domain_list(self, creator_request_id, name, tags):
        lists = self.firewall_domain_lists.values()
        replay = self._replayed(lists, creator_request_id, lambda existing: existing.name == name)
        if replay:
            return replay
        own = [fdl for fdl in lists if not fdl.managed and fdl.status != "DELETING"]
        if len(own) >= self.MAX_DOMAIN_LISTS:
            raise LimitExceededException(
                f"You have reached the maximum of {self.MAX_DOMAIN_LISTS} firewall domain lists in this Region.",
                "FirewallDomainList",
            )
        fdl = FirewallDomainList(self.account_id, self.region_name, name, creator_request_id)
        self._tag_new_resource(fdl.arn, tags)
        self.firewall_domain_lists[fdl.id] = fdl
        return fdl

    def _read_domain_list(self, list_id):
        fdl = self.firewall_domain_lists.get(list_id)
        if fdl is None or not fdl.settle():
            self.firewall_domain_lists.pop(list_id, None)
            raise not_found(list_id, "FirewallDomainList")
        return fdl

    def _settled_domain_lists(self):
        for fdl in list(self.firewall_domain_lists.values()):
            if not fdl.settle():
                del self.firewall_domain_lists[fdl.id]
        return list(self.firewall_domain_lists.values())

    def _domain_list_to_change(self, list_id):
        fdl = self.firewall_domain_lists.get(list_id)
        if fdl is None or fdl.gone:
            raise not_found(list_id, "FirewallDomainList")
        if fdl.managed:
            raise AccessDeniedException(
                f"The firewall domain list '{list_id}' is managed by AWS. You can't change or delete it."
            )
        if fdl.changing:
            raise ConflictException(
                f"The firewall domain list '{list_id}' is {fdl.status}. The requested state transition isn't valid; "
                "wait until it is COMPLETE and try again."
            )
        return fdl

    def get_firewall_domain_list(self, list_id):
        return self._read_domain_list(list_id)

    def list_firewall_domain_lists(self, next_token=None, max_results=None):
        lists = self._settled_domain_lists()
        return _page(lists, next_token, max_results, _scope("ListFirewallDomainLists"))

    def _domain_total(self, excluding):
        return sum(
            len(fdl.domains)
            for fdl in self.firewall_domain_lists.values()
            if fdl is not excluding and fdl.status != "DELETING"
        )

    def _check_domain_quota(self, fdl, new_size):
        if self._domain_total(fdl) + new_size > self.MAX_DOMAINS:
            raise LimitExceededException(
                f"The request would exceed the maximum of {self.MAX_DOMAINS} domains across all firewall domain lists "
                "in this Region.",
                "FirewallDomain",
            )

    @staticmethod
    def _normalised(domains, field):
        normalised = []
        for index, domain in enumerate(domains, start=1):
            stored = normalise_domain(domain)
            if stored is None:
                raise field_error(
                    f"{field}.{index}.member",
                    domain,
                    "be a domain name of labels made of letters, digits and hyphens, separated by periods, "
                    "optionally starting with '*' as the leftmost label, at most 255 characters",
                )
            normalised.append(stored)
        return normalised

    def update_firewall_domains(self, list_id, operation, domains):
        fdl = self._domain_list_to_change(list_id)
        if len(domains) > self.MAX_DOMAINS_PER_UPDATE:
            limit = self.MAX_DOMAINS_PER_UPDATE
            raise field_error("domains", f"[{len(domains)} domains]", f"have length less than or equal to {limit}")
        if operation == "DENY":
            raise field_error("operation", operation, "be ADD, REMOVE or REPLACE: DENY is for AutoAllowlist lists only")
        wanted = dict.fromkeys(self._normalised(domains, "domains"))
        if operation == "ADD":
            added = sum(1 for domain in wanted if domain not in fdl.domains)
            self._check_domain_quota(fdl, len(fdl.domains) + added)
            fdl.domains.update(wanted)
        elif operation == "REMOVE":
            unknown = next((domain for domain in wanted if domain not in fdl.domains), None)
            if unknown is not None:
                raise ValidationException(rslvr(
                    "02502",
                    f"The following domains don't exist in the DNS Firewall domain list '{list_id}'. You can't delete "
                    f"a domain that isn't in a domain list. Example unknown domain: '{unknown}'.",
                ))
            for domain in wanted:
                del fdl.domains[domain]
        else:
            self._check_domain_quota(fdl, len(wanted))
            fdl.domains = wanted
        fdl.modification_time = _timestamp()
        fdl.begin(LIST_UPDATING, LIST_DONE)
        return fdl

    def import_firewall_domains(self, list_id, operation, domain_file_url):
        fdl = self._domain_list_to_change(list_id)
        match = _S3_URL.fullmatch(domain_file_url)
        if match is None:
            raise field_error("domainFileUrl", domain_file_url, "be the URL of an S3 object: s3://bucket/key")
        lines, failure = self._read_domain_file(*match.groups())
        if failure is None:
            if len(lines) > self.MAX_IMPORT_FILE_DOMAINS:
                raise LimitExceededException(
                    f"The file has {len(lines)} domains; an import file can hold at most "
                    f"{self.MAX_IMPORT_FILE_DOMAINS}.",
                    "FirewallDomain",
                )
            wanted = {}
            for number, line in enumerate(lines, start=1):
                stored = normalise_domain(line)
                if stored is None:
                    failure = f"Line {number} of {domain_file_url} is not a valid domain: '{line[:100]}'."
                    break
                wanted[stored] = None
        if failure is None:
            self._check_domain_quota(fdl, len(wanted))
            fdl.domains = wanted
            fdl.modification_time = _timestamp()
            fdl.begin(LIST_IMPORTING, LIST_DONE)
        else:
            fdl.begin(LIST_IMPORTING, ("COMPLETE_IMPORT_FAILED", failure[:255]))
        return fdl

    def _read_domain_file(self, bucket_name, key_name):
        """The domain lines of an S3 object in this account and Region, or a failure message.

        Blank lines and lines starting with '#' are skipped: a choice, the format is documented
        only as one domain per line.
        """
        s3 = s3_backends[self.account_id][get_partition(self.region_name)]
        bucket = s3.buckets.get(bucket_name)
        if bucket is None:
            return None, f"The S3 bucket '{bucket_name}' does not exist or is not in this account."
        if bucket.region_name != self.region_name:
            return None, (
                f"The S3 bucket '{bucket_name}' is in {bucket.region_name}; "
                f"it must be in {self.region_name}, the Region of the domain list."
            )
        key = bucket.keys.get(key_name)
        if key is None:
            return None, f"The S3 object '{key_name}' does not exist in bucket '{bucket_name}'."
        try:
            text = key.value.decode("utf-8")
        except UnicodeDecodeError:
            return None, f"The S3 object '{key_name}' is not UTF-8 text."
        lines = [line.strip() for line in text.splitlines()]
        return [line for line in lines if line and not line.startswith("#")], None

    def list_firewall_domains(self, list_id, next_token=None, max_results=None):
        fdl = self._read_domain_list(list_id)
        if fdl.managed:
            raise AccessDeniedException(f"The contents of the AWS managed domain list '{list_id}' can't be listed.")
        return _page(fdl.domains, next_token, max_results, _scope("ListFirewallDomains", list_id))

    def delete_firewall_domain_list(self, list_id):
        fdl = self._domain_list_to_change(list_id)
        for group in self.firewall_rule_groups.values():
            if any(rule.domain_list_id == list_id for rule in group.rules.values()):
                raise ConflictException(
                    f"The firewall domain list '{list_id}' is used by a rule in rule group '{group.id}'. "
                    "Delete the rule first."
                )
        self.tagger.delete_all_tags_for_resource(fdl.arn)
        fdl.begin(LIST_DELETING, None)
        return fdl

    # -- rule groups ------------------------------------------------------------------------

    def create_firewall_rule_group(self, creator_request_id, name, tags):
        groups = self.firewall_rule_groups.values()
        replay = self._replayed(groups, creator_request_id, lambda existing: existing.name == name)
        if replay:
            return replay
        if len(groups) >= self.MAX_RULE_GROUPS:
            raise LimitExceededException(
                f"You have reached the maximum of {self.MAX_RULE_GROUPS} firewall rule groups in this Region.",
                "FirewallRuleGroup",
            )
        group = FirewallRuleGroup(self.account_id, self.region_name, name, creator_request_id)
        self._tag_new_resource(group.arn, tags)
        self.firewall_rule_groups[group.id] = group
        return group

    def get_firewall_rule_group(self, group_id):
        group = self.firewall_rule_groups.get(group_id)
        if group is None:
            raise not_found(group_id, "FirewallRuleGroup")
        return group

    def list_firewall_rule_groups(self, next_token=None, max_results=None):
        groups = list(self.firewall_rule_groups.values())
        return _page(groups, next_token, max_results, _scope("ListFirewallRuleGroups"))

    def delete_firewall_rule_group(self, group_id):
        group = self.get_firewall_rule_group(group_id)
        # Associations still being removed count: callers wait until they are gone.
        associations = [
            a for a in self.firewall_rule_group_associations.values() if a.group_id == group_id and not a.gone
        ]
        if associations:
            raise ConflictException(
                f"The firewall rule group '{group_id}' is associated with VPC '{associations[0].vpc_id}' "
                f"(association '{associations[0].id}'). Disassociate it first."
            )
        if group.rules:
            raise ConflictException(rslvr(
                "02103", f"The firewall rule group '{group_id}' still contains rules. Delete the rules and try again."
            ))
        del self.firewall_rule_groups[group_id]
        self.tagger.delete_all_tags_for_resource(group.arn)
        # Rule groups are removed at once; the answer shows the group as being deleted.
        group.status, group.status_message = "DELETING", "Deleting the Firewall Rule Group"
        return group

    def _group_by_arn(self, arn):
        group = next((g for g in self.firewall_rule_groups.values() if g.arn == arn), None)
        if group is None:
            raise not_found(arn, "FirewallRuleGroup")
        return group

    def put_firewall_rule_group_policy(self, arn, policy):
        group = self._group_by_arn(arn)
        try:
            json.loads(policy)
        except ValueError:
            raise field_error("firewallRuleGroupPolicy", policy[:100], "be a JSON policy document") from None
        group.policy = policy
        return True

    def get_firewall_rule_group_policy(self, arn):
        return self._group_by_arn(arn).policy

    # -- rules ------------------------------------------------------------------------------

    def _domain_list_for_rule(self, list_id):
        fdl = self.firewall_domain_lists.get(list_id)
        if fdl is None or fdl.gone or fdl.status == "DELETING":
            raise not_found(list_id, "FirewallDomainList")
        return fdl

    @staticmethod
    def _check_rule(rule, sent):
        """Check a rule's fields together; ``sent`` holds the request's members for its messages."""
        if rule.action == "BLOCK":
            if rule.block_response is None:
                raise field_error("blockResponse", "null", "not be null when action is BLOCK")
        else:
            for member in ("BlockResponse", "BlockOverrideDomain", "BlockOverrideDnsType", "BlockOverrideTtl"):
                if sent.get(member) is not None:
                    raise field_error(
                        _field(member), sent[member], f"be null when action is {rule.action}"
                    )
        if rule.block_response == "OVERRIDE":
            for member in ("BlockOverrideDomain", "BlockOverrideDnsType", "BlockOverrideTtl"):
                if getattr(rule, FirewallRule.FIELDS[member]) is None:
                    raise field_error(_field(member), "null", "not be null when blockResponse is OVERRIDE")
        else:
            for member in ("BlockOverrideDomain", "BlockOverrideDnsType", "BlockOverrideTtl"):
                if sent.get(member) is not None:
                    raise field_error(
                        _field(member), sent[member], "be null unless blockResponse is OVERRIDE"
                    )
        if rule.qtype is not None and not valid_qtype(rule.qtype):
            raise field_error(
                "qtype", rule.qtype, f"be one of {', '.join(sorted(QTYPES))} or TYPE<n> with n from 1 to 65534"
            )
        if rule.dns_threat_protection is not None:
            if rule.confidence_threshold is None:
                raise field_error("confidenceThreshold", "null", "not be null when dnsThreatProtection is set")
            if rule.action == "ALLOW":
                raise field_error("action", "ALLOW", "be BLOCK or ALERT for a DNS Firewall Advanced rule")
        elif rule.confidence_threshold is not None:
            threshold = rule.confidence_threshold
            raise field_error("confidenceThreshold", threshold, "be null unless dnsThreatProtection is set")

    @staticmethod
    def _check_unique_in_group(group, rule, ignore=None):
        for other in group.rules.values():
            if other is ignore:
                continue
            if other.priority == rule.priority:
                raise field_error(
                    "priority", rule.priority, f"be unique in the rule group: rule '{other.name}' already has it"
                )
            if other.key == rule.key:
                raise field_error(
                    "firewallDomainListId",
                    rule.domain_list_id,
                    "be used at most once per qtype in a rule group: a rule for this list and qtype already exists",
                )

    def create_firewall_rule(self, params):
        group = self.get_firewall_rule_group(params["FirewallRuleGroupId"])
        if params.get("FirewallRuleType") is not None:
            raise field_error(
                "firewallRuleType", "{...}", "be absent: this emulator models domain-list and DnsThreatProtection rules"
            )
        list_id = params.get("FirewallDomainListId")
        threat = params.get("DnsThreatProtection")
        if (list_id is None) == (threat is None):
            raise field_error(
                "firewallDomainListId", list_id or "null", "be set, or dnsThreatProtection be set, but not both"
            )
        creator_request_id = params["CreatorRequestId"]
        replay = self._replayed(
            group.rules.values(),
            creator_request_id,
            lambda existing: (existing.domain_list_id, existing.dns_threat_protection, existing.priority)
            == (list_id, threat, params["Priority"]),
        )
        if replay:
            return replay
        if list_id is not None:
            self._domain_list_for_rule(list_id)
        rule = FirewallRule(group.id, creator_request_id)
        for member in ("FirewallDomainListId", "DnsThreatProtection", *RULE_ATTRIBUTES):
            if params.get(member) is not None:
                setattr(rule, FirewallRule.FIELDS[member], params[member])
        if threat is not None:
            rule.threat_protection_id = _new_id("rslvr-ftp")
        if rule.redirection_action is None:
            rule.redirection_action = "INSPECT_REDIRECTION_DOMAIN"
        self._check_rule(rule, params)
        self._check_unique_in_group(group, rule)
        if len(group.rules) >= self.MAX_RULES_PER_GROUP:
            raise LimitExceededException(
                f"The rule group '{group.id}' already has the maximum of {self.MAX_RULES_PER_GROUP} rules.",
                "FirewallRule",
            )
        group.rules[rule.key] = rule
        group.modification_time = _timestamp()
        return rule

    @staticmethod
    def _find_rule(group, params, updating):
        """The rule a request names: by FirewallThreatProtectionId, or by FirewallDomainListId and Qtype.

        The domain list and Qtype identify a rule; Qtype is also an attribute UpdateFirewallRule can
        change. When no rule has the list with the Qtype sent and the list is used by exactly one
        rule of the group, an update changes that rule's Qtype. Omitting Qtype for a rule that has
        one is refused, as AWS does.
        """
        threat_id = params.get("FirewallThreatProtectionId")
        list_id = params.get("FirewallDomainListId")
        if (threat_id is None) == (list_id is None):
            raise field_error(
                "firewallDomainListId", list_id or "null", "be set, or firewallThreatProtectionId be set, but not both"
            )
        if threat_id is not None:
            rule = group.rules.get(("threat", threat_id))
            if rule is None:
                raise not_found(threat_id, "FirewallRule")
            return rule
        qtype = params.get("Qtype")
        rule = group.rules.get(("list", list_id, qtype))
        if rule is not None:
            return rule
        candidates = [r for r in group.rules.values() if r.domain_list_id == list_id]
        if not candidates:
            raise not_found(list_id, "FirewallRule")
        if qtype is None:
            raise field_error(
                "qtype", "null", "be the qtype of the rule: the rules for this domain list in the group have a qtype"
            )
        if updating and len(candidates) == 1:
            return candidates[0]
        raise not_found(f"{list_id}/{qtype}", "FirewallRule")

    def update_firewall_rule(self, params):
        group = self.get_firewall_rule_group(params["FirewallRuleGroupId"])
        if params.get("FirewallRuleType") is not None:
            raise field_error(
                "firewallRuleType", "{...}", "be absent: the match source of a rule can't be changed"
            )
        current = self._find_rule(group, params, updating=True)
        rule = FirewallRule(group.id, current.creator_request_id)
        rule.__dict__.update(current.__dict__)
        if params.get("DnsThreatProtection") not in (None, current.dns_threat_protection):
            raise field_error(
                "dnsThreatProtection", params["DnsThreatProtection"], "be unchanged: delete and recreate the rule"
            )
        for member in RULE_ATTRIBUTES:
            if params.get(member) is not None:
                setattr(rule, FirewallRule.FIELDS[member], params[member])
        # Block fields can't be cleared through the API, so a change of action or block
        # response drops the ones that no longer apply.
        if rule.action != "BLOCK":
            rule.block_response = None
        if rule.block_response != "OVERRIDE":
            rule.block_override_domain = rule.block_override_dns_type = rule.block_override_ttl = None
        self._check_rule(rule, params)
        self._check_unique_in_group(group, rule, ignore=current)
        rule.modification_time = _timestamp()
        del group.rules[current.key]
        group.rules[rule.key] = rule
        group.modification_time = rule.modification_time
        return rule

    def delete_firewall_rule(self, params):
        group = self.get_firewall_rule_group(params["FirewallRuleGroupId"])
        rule = self._find_rule(group, params, updating=False)
        del group.rules[rule.key]
        group.modification_time = _timestamp()
        return rule

    def list_firewall_rules(self, group_id, priority=None, action=None, next_token=None, max_results=None):
        group = self.get_firewall_rule_group(group_id)
        rules = sorted(group.rules.values(), key=lambda rule: rule.priority)
        rules = [
            rule for rule in rules
            if (priority is None or rule.priority == priority) and (action is None or rule.action == action)
        ]
        return _page(rules, next_token, max_results, _scope("ListFirewallRules", group_id, priority, action))

    def _batch(self, entries, operation):
        """Apply ``operation`` to each entry; failures are reported per entry, as the Batch* calls do."""
        done, errors = [], []
        for entry in entries:
            try:
                done.append(operation(entry))
            except (ValidationException, ResourceNotFoundException, ConflictException, LimitExceededException,
                    AccessDeniedException) as error:
                errors.append({"FirewallRule": entry, "Code": error.error_type, "Message": error.message})
        return done, errors

    def batch_create_firewall_rule(self, entries):
        return self._batch(entries, self.create_firewall_rule)

    def batch_update_firewall_rule(self, entries):
        return self._batch(entries, self.update_firewall_rule)

    def batch_delete_firewall_rule(self, entries):
        return self._batch(entries, self.delete_firewall_rule)

    # -- rule group associations ------------------------------------------------------------

    def _settled_associations(self):
        for association in list(self.firewall_rule_group_associations.values()):
            if not association.settle():
                del self.firewall_rule_group_associations[association.id]
        return list(self.firewall_rule_group_associations.values())

    def _read_association(self, association_id):
        association = self.firewall_rule_group_associations.get(association_id)
        if association is None or not association.settle():
            self.firewall_rule_group_associations.pop(association_id, None)
            raise not_found(association_id, "FirewallRuleGroupAssociation")
        return association

    def _association_to_change(self, association_id, unprotecting=False):
        association = self.firewall_rule_group_associations.get(association_id)
        if association is None or association.gone:
            raise not_found(association_id, "FirewallRuleGroupAssociation")
        if association.changing:
            raise ConflictException(
                f"The firewall rule group association '{association_id}' is {association.status}. The requested state "
                "transition isn't valid; wait until it is COMPLETE and try again."
            )
        if association.mutation_protection == "ENABLED" and not unprotecting:
            raise ValidationException(rslvr(
                "02307",
                "The DNS Firewall rule group association is under mutation protection. "
                "Remove the mutation protection and try again.",
            ))
        return association

    @staticmethod
    def _check_association_priority(priority):
        if not 100 < priority < 9900:
            raise ValidationException(rslvr(
                "00000", 'The priority value you provided is reserved. Provide a number between "100" and "9900".'
            ))

    def _check_priority_free(self, vpc_id, priority, ignore=None):
        for other in self.firewall_rule_group_associations.values():
            if other is not ignore and not other.gone and other.vpc_id == vpc_id and other.priority == priority:
                raise ConflictException(
                    f"The priority {priority} is already used by firewall rule group association '{other.id}' "
                    f"on VPC '{vpc_id}'. Association priorities must be unique per VPC."
                )

    def associate_firewall_rule_group(self, creator_request_id, group_id, vpc_id, priority, name,
                                      mutation_protection, tags):
        associations = self.firewall_rule_group_associations.values()
        replay = self._replayed(
            associations,
            creator_request_id,
            lambda existing: (existing.group_id, existing.vpc_id, existing.priority) == (group_id, vpc_id, priority),
        )
        if replay:
            return replay
        self.get_firewall_rule_group(group_id)
        self._vpc(vpc_id)
        self._check_association_priority(priority)
        on_vpc = [a for a in associations if a.vpc_id == vpc_id and not a.gone]
        if any(a.group_id == group_id for a in on_vpc):
            raise ConflictException(rslvr(
                "02302", f"The firewall rule group '{group_id}' is already associated with the VPC '{vpc_id}'."
            ))
        self._check_priority_free(vpc_id, priority)
        if len(on_vpc) >= self.MAX_ASSOCIATIONS_PER_VPC:
            raise LimitExceededException(
                f"The VPC '{vpc_id}' already has the maximum of {self.MAX_ASSOCIATIONS_PER_VPC} "
                "firewall rule group associations.",
                "FirewallRuleGroupAssociation",
            )
        association = FirewallRuleGroupAssociation(
            self.account_id, self.region_name, group_id, vpc_id, priority, name,
            mutation_protection or "DISABLED", creator_request_id,
        )
        self._tag_new_resource(association.arn, tags)
        self.firewall_rule_group_associations[association.id] = association
        return association

    def update_firewall_rule_group_association(self, association_id, priority=None, mutation_protection=None,
                                               name=None):
        association = self._association_to_change(association_id, unprotecting=mutation_protection == "DISABLED")
        if priority is not None:
            self._check_association_priority(priority)
            self._check_priority_free(association.vpc_id, priority, ignore=association)
            association.priority = priority
        if mutation_protection is not None:
            association.mutation_protection = mutation_protection
        if name is not None:
            association.name = name
        association.modification_time = _timestamp()
        association.begin(ASSOCIATION_UPDATING, ASSOCIATION_DONE)
        return association

    def disassociate_firewall_rule_group(self, association_id):
        association = self._association_to_change(association_id)
        self.tagger.delete_all_tags_for_resource(association.arn)
        association.begin(ASSOCIATION_DELETING, None)
        return association

    def get_firewall_rule_group_association(self, association_id):
        return self._read_association(association_id)

    def list_firewall_rule_group_associations(self, group_id=None, vpc_id=None, priority=None, status=None,
                                              next_token=None, max_results=None):
        associations = [
            a for a in self._settled_associations()
            if (group_id is None or a.group_id == group_id)
            and (vpc_id is None or a.vpc_id == vpc_id)
            and (priority is None or a.priority == priority)
            and (status is None or a.status == status)
        ]
        scope = _scope("ListFirewallRuleGroupAssociations", group_id, vpc_id, priority, status)
        return _page(associations, next_token, max_results, scope)

    # -- firewall configs -------------------------------------------------------------------

    def _firewall_config(self, vpc_id):
        """A VPC's config; every VPC has one, DISABLED (fail closed) until changed."""
        config = self.firewall_configs.get(vpc_id)
        if config is None:
            config = self.firewall_configs[vpc_id] = FirewallConfig(self.account_id, vpc_id)
        return config

    def get_firewall_config(self, vpc_id):
        return self._firewall_config(self._vpc(vpc_id))

    def update_firewall_config(self, vpc_id, fail_open):
        config = self._firewall_config(self._vpc(vpc_id))
        config.fail_open = fail_open
        return config

    def list_firewall_configs(self, next_token=None, max_results=None):
        """Configs of every VPC of the account in the Region, whether read or changed before or not.

        AWS does not document which VPCs are listed. GetFirewallConfig answers for any VPC, so
        the list shows the same set.
        """
        configs = [self._firewall_config(vpc_id) for vpc_id in sorted(self.ec2_backend.vpcs)]
        return _page(configs, next_token, max_results or 10, _scope("ListFirewallConfigs"))

    # -- query logging: moto has create, get, list and associate; delete and disassociate here ----

    def delete_resolver_query_log_config(self, config_id):
        """Delete a query log config; AWS requires its VPCs to be disassociated first."""
        config = self.get_resolver_query_log_config(config_id)
        associated = [a for a in self.resolver_query_log_config_associations.values()
                      if a.resolver_query_log_config_id == config_id]
        if associated:
            vpcs = ", ".join(sorted(a.resource_id for a in associated))
            raise InvalidRequestException(
                f"The query logging configuration '{config_id}' is associated with {vpcs}. "
                "Disassociate all VPCs from it before deleting it."
            )
        del self.resolver_query_log_configs[config_id]
        self.tagger.delete_all_tags_for_resource(config.arn)
        # Deletion completes in the background; the answer shows it under way.
        config.status = "DELETING"
        return config

    def disassociate_resolver_query_log_config(self, config_id, resource_id):
        config = self.get_resolver_query_log_config(config_id)
        association = next(
            (a for a in self.resolver_query_log_config_associations.values()
             if a.resolver_query_log_config_id == config_id and a.resource_id == resource_id),
            None,
        )
        if association is None:
            raise QueryLogNotFoundException(
                f"The query logging configuration '{config_id}' is not associated with the VPC '{resource_id}'."
            )
        del self.resolver_query_log_config_associations[association.id]
        config.association_count -= 1
        association.status = "DELETING"
        return association


route53resolver_backends = BackendDict(Route53ResolverBackend, "route53resolver")
