"""Amazon WorkSpaces Secure Browser (``workspaces-web``) for the mlperimeter modules.

Everything the Secure Browser modules share lives here, so the modules stay glue:

* the service's error class and handler, and every API call wrapped with
  the collection's ``retries.jittered_backoff()``;
* ``nextToken`` paging (WorkSpaces Web has boto3 paginators for only three of its lists);
* look-ups: a portal by display name and the project's tag, a portal's settings
  objects through the ARNs in its slots, a portal's identity providers;
* normalising: AWS's answers and the tasks' sub-options are turned into one
  *canonical* shape (the API's camelCase members, lists sorted where AWS gives
  order no meaning, ``browserPolicy`` parsed), so comparing is ``==``;
* the difference between desired and current, and the create, update,
  associate, disassociate and delete steps;
* validation of a task's input before any call, naming the field and the value.

Settings objects have no names: a portal's associations are how they are found
again. A settings object that another portal also uses is never edited: the
portal gets its own copy (current members plus the task's) and its association
is switched to it.
"""

import contextlib
import copy
import ipaddress
import json
import re
import time

with contextlib.suppress(ImportError):  # the modules report a missing botocore
    import botocore

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)
from ansible_collections.mlperimeter.aws.plugins.module_utils.retries import jittered_backoff

SERVICE = "workspaces-web"
MANAGED_TAG_KEY = "mlperimeter:managed"
MANAGED_TAG_VALUE = "true"

# Associations and portal updates may meet a portal another change is still
# deploying (409); those are retried too, briefly.
CONFLICT_CODES = ["ConflictException"]

# The statuses GetPortal answers (model enum).
PENDING = "Pending"
ACTIVE = "Active"
INCOMPLETE = "Incomplete"
IMMUTABLE_MEMBERS = ("customerManagedKey", "additionalEncryptionContext")


class AnsibleSecureBrowserError(AnsibleAWSError):
    """A failed WorkSpaces Secure Browser call or a request the module refuses."""


class SecureBrowserErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleSecureBrowserError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("ResourceNotFoundException")


# ----- settings types ----------------------------------------------------------------------


class Kind:
    """One settings type: its option name, its model member and its operations."""

    def __init__(self, option, member, api, list_op, list_key, kms, label):
        self.option = option  # the module's sub-option and the snake_case name in results
        self.member = member  # model member, ARN resource type and portal slot prefix
        self.arn_member = f"{member}Arn"
        self.api = api  # boto3's snake name in get_/create_/update_/delete_/associate_/disassociate_
        self.list_op = list_op
        self.list_key = list_key  # the List operation's result key
        self.kms = kms  # whether the type takes customerManagedKey / additionalEncryptionContext
        self.label = label  # for messages

    def op(self, verb):
        return self.list_op if verb == "list" else f"{verb}_{self.api}"


KINDS = {
    kind.option: kind
    for kind in (
        Kind("browser_settings", "browserSettings", "browser_settings", "list_browser_settings",
             "browserSettings", True, "browser settings"),
        Kind("user_settings", "userSettings", "user_settings", "list_user_settings",
             "userSettings", True, "user settings"),
        Kind("network_settings", "networkSettings", "network_settings", "list_network_settings",
             "networkSettings", False, "network settings"),
        Kind("ip_access_settings", "ipAccessSettings", "ip_access_settings", "list_ip_access_settings",
             "ipAccessSettings", True, "IP access settings"),
        Kind("user_access_logging", "userAccessLoggingSettings", "user_access_logging_settings",
             "list_user_access_logging_settings", "userAccessLoggingSettings", False,
             "user access logging settings"),
        Kind("session_logger", "sessionLogger", "session_logger", "list_session_loggers",
             "sessionLoggers", True, "session logger"),
        Kind("trust_store", "trustStore", "trust_store", "list_trust_stores",
             "trustStores", False, "trust store"),
        Kind("data_protection_settings", "dataProtectionSettings", "data_protection_settings",
             "list_data_protection_settings", "dataProtectionSettings", True, "data protection settings"),
    )
}
# The settings types the portal module manages through sub-options.
MANAGED_KINDS = (
    "browser_settings",
    "user_settings",
    "network_settings",
    "ip_access_settings",
    "user_access_logging",
    "session_logger",
)


# ----- calls ------------------------------------------------------------------------------


# Fewer, longer waits than the collection's default: the service is slow to settle.
@jittered_backoff(retries=6, delay=2, max_delay=30)
def _call(client, operation, /, **kwargs):
    return getattr(client, operation)(**kwargs)


@jittered_backoff(CONFLICT_CODES, retries=6, delay=2, max_delay=30)
def _call_conflict_retry(client, operation, /, **kwargs):
    return getattr(client, operation)(**kwargs)


def call(client, operation, what, /, *, retry_conflict=False, **kwargs):
    """Call ``operation`` with retries; raise AnsibleSecureBrowserError saying what failed.
    (Positional-only, since the API has members named ``description``.)"""
    caller = _call_conflict_retry if retry_conflict else _call
    try:
        return caller(client, operation, **kwargs)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise AnsibleSecureBrowserError(message=f"Failed to {what}", exception=e) from e


def paginate(client, operation, result_key, what, /, **kwargs):
    """Every item of a List operation, following ``nextToken`` by hand."""
    items = []
    token = None
    while True:
        args = dict(kwargs)
        if token:
            args["nextToken"] = token
        page = call(client, operation, what, **args)
        items.extend(page.get(result_key) or [])
        token = page.get("nextToken")
        if not token:
            return items


def is_not_found(error):
    """Whether an AnsibleSecureBrowserError comes from ResourceNotFoundException."""
    cause = getattr(error, "exception", None)
    return isinstance(cause, botocore.exceptions.ClientError) and (
        cause.response["Error"]["Code"] == "ResourceNotFoundException"
    )


def _missing_is_none(client, operation, what, /, **kwargs):
    try:
        return call(client, operation, what, **kwargs)
    except AnsibleSecureBrowserError as e:
        if is_not_found(e):
            return None
        raise


# ----- look-ups ---------------------------------------------------------------------------


def list_portals(client):
    return paginate(client, "list_portals", "portals", "list Secure Browser portals")


def get_portal(client, portal_arn):
    answer = _missing_is_none(client, "get_portal", f"get portal {portal_arn}", portalArn=portal_arn)
    return answer["portal"] if answer else None


def get_tags(client, arn):
    answer = call(client, "list_tags_for_resource", f"list the tags of {arn}", resourceArn=arn)
    return boto3_tag_list_to_ansible_dict(answer.get("tags") or [])


def is_managed(tags):
    return (tags or {}).get(MANAGED_TAG_KEY) == MANAGED_TAG_VALUE


def find_portals_by_name(client, display_name):
    """Every portal with ``display_name`` (display names are not unique), with its tags."""
    found = []
    for summary in list_portals(client):
        if summary.get("displayName") == display_name:
            found.append((summary, get_tags(client, summary["portalArn"])))
    return found


def find_managed_portal(client, display_name):
    """The project's portal with ``display_name``, or None.

    Refuses to guess: two managed portals with the same display name, or only
    portals that the project does not manage, are errors that say what to do.
    """
    found = find_portals_by_name(client, display_name)
    managed = [summary for summary, tags in found if is_managed(tags)]
    if len(managed) > 1:
        arns = ", ".join(sorted(p["portalArn"] for p in managed))
        raise AnsibleSecureBrowserError(
            message=(
                f"{len(managed)} portals tagged {MANAGED_TAG_KEY}={MANAGED_TAG_VALUE} have the display name "
                f"{display_name!r} ({arns}); refusing to guess which one this task means. "
                "Delete or rename all but one."
            )
        )
    if managed:
        return managed[0]["portalArn"]
    if found:
        arns = ", ".join(sorted(summary["portalArn"] for summary, _tags in found))
        raise AnsibleSecureBrowserError(
            message=(
                f"Portal(s) with the display name {display_name!r} exist ({arns}) but are not tagged "
                f"{MANAGED_TAG_KEY}={MANAGED_TAG_VALUE}; refusing to take over a portal this project did not "
                "create. Tag it to adopt it, or choose another display_name."
            )
        )
    return None


def get_settings(client, kind, arn):
    """A settings object (the Get answer), or None when the ARN names nothing."""
    kind = KINDS[kind]
    answer = _missing_is_none(client, kind.op("get"), f"get {kind.label} {arn}", **{kind.arn_member: arn})
    return answer[kind.member] if answer else None


def read_portal_settings(client, portal, kinds=tuple(KINDS)):
    """{kind: settings object or None} for a portal's slots."""
    settings = {}
    for name in kinds:
        arn = portal.get(KINDS[name].arn_member)
        settings[name] = get_settings(client, name, arn) if arn else None
    return settings


def list_identity_providers(client, portal_arn):
    return paginate(
        client, "list_identity_providers", "identityProviders",
        f"list the identity providers of {portal_arn}", portalArn=portal_arn,
    )


def get_identity_provider(client, arn):
    answer = _missing_is_none(client, "get_identity_provider", f"get identity provider {arn}", identityProviderArn=arn)
    return answer["identityProvider"] if answer else None


def service_provider_metadata(client, portal_arn):
    answer = _missing_is_none(
        client, "get_portal_service_provider_metadata", f"get the SAML metadata of {portal_arn}", portalArn=portal_arn
    )
    return (answer or {}).get("serviceProviderSamlMetadata")


def read_portal_state(client, portal_arn):
    """(portal, tags, {kind: settings object or None}, identity provider summaries); portal None when absent."""
    portal = get_portal(client, portal_arn) if portal_arn else None
    if portal is None:
        return None, {}, {kind: None for kind in KINDS}, []
    return (portal, get_tags(client, portal_arn), read_portal_settings(client, portal),
            list_identity_providers(client, portal_arn))


def portal_result(client, portal, tags, settings, identity_providers, *, with_metadata=True):
    """A portal with its tags, associated settings objects and identity providers,
    snake_case, as the modules return it."""
    result = portal_to_ansible(portal)
    result["tags"] = dict(tags)
    for name in KINDS:
        result[name] = settings_to_ansible(settings[name]) if settings.get(name) else None
    result["identity_providers"] = [camel_dict_to_snake_dict(summary) for summary in identity_providers]
    if with_metadata and portal.get("authenticationType") == "Standard":
        result["service_provider_saml_metadata"] = service_provider_metadata(client, portal["portalArn"])
    return result


def describe_portal(client, portal_arn, *, with_metadata=True):
    """``portal_result`` of a portal read afresh; None when it does not exist."""
    portal, tags, settings, idps = read_portal_state(client, portal_arn)
    if portal is None:
        return None
    return portal_result(client, portal, tags, settings, idps, with_metadata=with_metadata)


def portal_to_ansible(portal):
    return camel_dict_to_snake_dict(portal, ignore_list=["additionalEncryptionContext"])


def settings_to_ansible(settings):
    return camel_dict_to_snake_dict(settings, ignore_list=["additionalEncryptionContext", "tags"])


# ----- normalising ------------------------------------------------------------------------


def _drop_none(value):
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def _sorted_unique(values):
    return sorted(set(values or []))


def parse_browser_policy(policy):
    """``browserPolicy`` as a JSON value (AWS stores and answers it as a string)."""
    if policy is None:
        return None
    if isinstance(policy, (dict, list)):
        return policy
    return json.loads(policy)


def _canonical_content_filter(policy):
    policy = policy or {}
    canonical = {}
    for member in ("blockedCategories", "allowedUrls", "blockedUrls"):
        values = _sorted_unique(policy.get(member))
        if values:  # the model's lists have min 1: an empty list is the member left out
            canonical[member] = values
    return canonical


def _cookie_key(spec):
    return (spec.get("domain") or "", spec.get("name") or "", spec.get("path") or "")


def _canonical_cookies(config):
    if config is None:
        return None
    canonical = {}
    for member in ("allowlist", "blocklist"):
        specs = [_drop_none({k: spec.get(k) for k in ("domain", "name", "path")}) for spec in config.get(member) or []]
        canonical[member] = sorted(specs, key=_cookie_key)
    return canonical


def _canonical_toolbar(config):
    if config is None:
        return None
    canonical = _drop_none({k: config.get(k) for k in ("toolbarType", "visualMode", "maxDisplayResolution")})
    hidden = _sorted_unique(config.get("hiddenToolbarItems"))
    if hidden:
        canonical["hiddenToolbarItems"] = hidden
    return canonical


def _canonical_ip_rules(rules):
    canonical = [_drop_none({"ipRange": rule.get("ipRange"), "description": rule.get("description")})
                 for rule in rules or []]
    return sorted(canonical, key=lambda rule: (rule["ipRange"], rule.get("description") or ""))


def _canonical_event_filter(event_filter):
    if event_filter is None:
        return None
    if event_filter.get("include"):
        return {"include": _sorted_unique(event_filter["include"])}
    return {"all": {}}


def _canonical_log_configuration(config):
    if config is None:
        return None
    s3 = (config or {}).get("s3")
    if s3 is None:
        return {}
    return {"s3": _drop_none({k: s3.get(k) for k in ("bucket", "keyPrefix", "bucketOwner",
                                                      "logFileFormat", "folderStructure")})}


# Per type: each creatable member and how to make it canonical. Members a Get
# answer carries but that cannot be created or compared (ARNs, dates,
# associatedPortalArns, branding output) are not listed.
CANONICAL = {
    "browser_settings": {
        "browserPolicy": parse_browser_policy,
        "webContentFilteringPolicy": _canonical_content_filter,
    },
    "user_settings": {
        "copyAllowed": None,
        "pasteAllowed": None,
        "downloadAllowed": None,
        "uploadAllowed": None,
        "printAllowed": None,
        "deepLinkAllowed": None,
        "webAuthnAllowed": None,
        "disconnectTimeoutInMinutes": None,
        "idleDisconnectTimeoutInMinutes": None,
        "toolbarConfiguration": _canonical_toolbar,
        "cookieSynchronizationConfiguration": _canonical_cookies,
    },
    "network_settings": {
        "vpcId": None,
        "subnetIds": _sorted_unique,
        "securityGroupIds": _sorted_unique,
    },
    "ip_access_settings": {
        "displayName": None,
        "description": None,
        "ipRules": _canonical_ip_rules,
    },
    "user_access_logging": {
        "kinesisStreamArn": None,
    },
    "session_logger": {
        "displayName": None,
        "eventFilter": _canonical_event_filter,
        "logConfiguration": _canonical_log_configuration,
    },
}


def normalise_settings(kind, settings):
    """AWS's answer for a settings object in canonical form (creatable members only)."""
    if settings is None:
        return None
    canonical = {}
    for member, canon in CANONICAL[kind].items():
        value = settings.get(member)
        if kind == "browser_settings" and member == "webContentFilteringPolicy":
            canonical[member] = canon(value)  # absent and empty are the same policy
            continue
        if value is None:
            continue
        canonical[member] = canon(value) if canon else value
    if KINDS[kind].kms:
        for member in IMMUTABLE_MEMBERS:
            if settings.get(member) is not None:
                canonical[member] = settings[member]
    return canonical


def desired_settings(kind, options, *, customer_managed_key=None, additional_encryption_context=None):
    """A task's sub-option in canonical form: only the members the task sets."""
    if options is None:
        return None
    o = options
    if kind == "browser_settings":
        desired = {}
        if o.get("browser_policy") is not None:
            desired["browserPolicy"] = parse_browser_policy(o["browser_policy"])
        if o.get("web_content_filtering_policy") is not None:
            wcf = o["web_content_filtering_policy"]
            desired["webContentFilteringPolicy"] = _canonical_content_filter({
                "blockedCategories": wcf.get("blocked_categories"),
                "allowedUrls": wcf.get("allowed_urls"),
                "blockedUrls": wcf.get("blocked_urls"),
            })
    elif kind == "user_settings":
        desired = _drop_none({
            "copyAllowed": o.get("copy_allowed"),
            "pasteAllowed": o.get("paste_allowed"),
            "downloadAllowed": o.get("download_allowed"),
            "uploadAllowed": o.get("upload_allowed"),
            "printAllowed": o.get("print_allowed"),
            "deepLinkAllowed": o.get("deep_link_allowed"),
            "webAuthnAllowed": o.get("web_authn_allowed"),
            "disconnectTimeoutInMinutes": o.get("disconnect_timeout_in_minutes"),
            "idleDisconnectTimeoutInMinutes": o.get("idle_disconnect_timeout_in_minutes"),
        })
        toolbar = o.get("toolbar_configuration")
        if toolbar is not None:
            desired["toolbarConfiguration"] = _canonical_toolbar({
                "toolbarType": toolbar.get("toolbar_type"),
                "visualMode": toolbar.get("visual_mode"),
                "maxDisplayResolution": toolbar.get("max_display_resolution"),
                "hiddenToolbarItems": toolbar.get("hidden_toolbar_items"),
            })
        cookies = o.get("cookie_synchronization_configuration")
        if cookies is not None:
            desired["cookieSynchronizationConfiguration"] = _canonical_cookies({
                "allowlist": cookies.get("allowlist"),
                "blocklist": cookies.get("blocklist"),
            })
    elif kind == "network_settings":
        desired = {
            "vpcId": o["vpc_id"],
            "subnetIds": _sorted_unique(o["subnet_ids"]),
            "securityGroupIds": _sorted_unique(o["security_group_ids"]),
        }
    elif kind == "ip_access_settings":
        desired = _drop_none({"displayName": o.get("display_name"), "description": o.get("description")})
        desired["ipRules"] = _canonical_ip_rules(
            [{"ipRange": rule["ip_range"], "description": rule.get("description")} for rule in o["rules"]]
        )
    elif kind == "user_access_logging":
        desired = {"kinesisStreamArn": o["kinesis_stream_arn"]}
    elif kind == "session_logger":
        desired = _drop_none({"displayName": o.get("display_name")})
        events = o.get("events")
        desired["eventFilter"] = {"include": _sorted_unique(events)} if events else {"all": {}}
        desired["logConfiguration"] = _canonical_log_configuration({"s3": {
            "bucket": o["bucket"],
            "keyPrefix": o.get("key_prefix"),
            "bucketOwner": o.get("bucket_owner"),
            "logFileFormat": o.get("log_file_format"),
            "folderStructure": o.get("folder_structure"),
        }})
    else:
        raise ValueError(kind)
    if KINDS[kind].kms:
        if customer_managed_key is not None:
            desired["customerManagedKey"] = customer_managed_key
        if additional_encryption_context is not None:
            desired["additionalEncryptionContext"] = additional_encryption_context
    return desired


def _comparable_current(kind, member, desired_value, current_value):
    """The current value as the task's value should be compared with it."""
    # The service fills in the session logger's bucketOwner when the task leaves it out.
    if (kind == "session_logger" and member == "logConfiguration" and current_value and desired_value
            and "bucketOwner" not in desired_value.get("s3", {}) and "s3" in current_value):
        current_value = {"s3": {k: v for k, v in current_value["s3"].items() if k != "bucketOwner"}}
    return current_value


def diff_settings(kind, desired, current):
    """(changed mutable members, changed immutable members): {member: desired value}.

    Only the members the task sets are compared; a structure the task sets is
    compared whole (AWS replaces it whole).
    """
    mutable, immutable = {}, {}
    current = current or {}
    for member, value in desired.items():
        have = _comparable_current(kind, member, value, current.get(member))
        if value != have:
            (immutable if member in IMMUTABLE_MEMBERS else mutable)[member] = value
    return mutable, immutable


def merge_settings(current, desired):
    """What a settings object looks like once the task's members are applied."""
    merged = copy.deepcopy(current or {})
    merged.update(copy.deepcopy(desired))
    return merged


def to_api(kind, canonical):
    """Canonical members as request parameters."""
    params = copy.deepcopy(canonical)
    if kind == "browser_settings" and "browserPolicy" in params:
        params["browserPolicy"] = json.dumps(params["browserPolicy"], sort_keys=True)
    return params


def normalise_portal(portal, tags=None):
    """The portal's own settings in canonical form."""
    if portal is None:
        return None
    canonical = {
        k: portal.get(k)
        for k in ("displayName", "authenticationType", "instanceType", "maxConcurrentSessions", *IMMUTABLE_MEMBERS)
        if portal.get(k) is not None
    }
    if tags is not None:
        canonical["tags"] = dict(tags)
    return canonical


PORTAL_MUTABLE = ("displayName", "authenticationType", "instanceType", "maxConcurrentSessions")


def desired_portal(params):
    return _drop_none({
        "displayName": params.get("display_name"),
        "authenticationType": params.get("authentication_type"),
        "instanceType": params.get("instance_type"),
        "maxConcurrentSessions": params.get("max_concurrent_sessions"),
        "customerManagedKey": params.get("customer_managed_key"),
        "additionalEncryptionContext": params.get("additional_encryption_context"),
    })


def diff_portal(desired, current):
    """(UpdatePortal members that differ, create-only members that differ)."""
    current = current or {}
    mutable = {k: v for k, v in desired.items() if k in PORTAL_MUTABLE and current.get(k) != v}
    immutable = {k: v for k, v in desired.items() if k in IMMUTABLE_MEMBERS and current.get(k) != v}
    return mutable, immutable


def desired_tags(tags):
    """The task's tags plus the project's marker, which look-ups rely on."""
    merged = dict(tags or {})
    merged[MANAGED_TAG_KEY] = MANAGED_TAG_VALUE
    return merged


def diff_tags(current, desired, purge):
    """(tags to set, keys to remove); the project's marker is never removed."""
    to_set, to_remove = compare_aws_tags(current or {}, desired or {}, purge_tags=purge)
    return to_set, [key for key in to_remove if key != MANAGED_TAG_KEY]


def snake_view(canonical):
    """A canonical shape as diffs and results show it (snake_case keys, policies untouched)."""
    if canonical is None:
        return None
    return camel_dict_to_snake_dict(
        canonical, ignore_list=["browserPolicy", "additionalEncryptionContext", "tags"]
    )


# ----- identity providers -----------------------------------------------------------------

SECRET_DETAIL_KEYS = ("client_secret", "private_key")
REDACTED = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def redact_details(details):
    return {k: (REDACTED if k in SECRET_DETAIL_KEYS and v else v) for k, v in (details or {}).items()}


def diff_identity_provider(desired, current):
    """Members of UpdateIdentityProvider that differ. Details are compared only on
    the keys the task sets (the service may add keys of its own)."""
    changes = {}
    current = current or {}
    for member in ("identityProviderName", "identityProviderType"):
        if desired.get(member) is not None and desired[member] != current.get(member):
            changes[member] = desired[member]
    details = desired.get("identityProviderDetails")
    if details is not None:
        have = current.get("identityProviderDetails") or {}
        # Details depend on the type: a new type sends them again.
        if "identityProviderType" in changes or any(have.get(key) != value for key, value in details.items()):
            changes["identityProviderDetails"] = details
    return changes


# ----- validation -------------------------------------------------------------------------

VPC_ID = re.compile(r"vpc-[0-9a-f]{8}(?:[0-9a-f]{9})?")
SUBNET_ID = re.compile(r"subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})")
SECURITY_GROUP_ID = re.compile(r"sg-(?:[0-9a-f]{8}|[0-9a-f]{17})")
KMS_KEY_ARN = re.compile(r"arn:[\w+=/,.@-]+:kms:[a-zA-Z0-9\-]*:[a-zA-Z0-9]{12}:key/[\w+=/,.@-]+")
KINESIS_STREAM_ARN = re.compile(r"arn:[\w+=/,.@-]+:kinesis:[a-zA-Z0-9\-]*:[0-9]{12}:stream/(.+)")
KINESIS_STREAM_PREFIX = "amazon-workspaces-web-"
PORTAL_ARN = re.compile(r"arn:[\w+=/,.@-]+:workspaces-web:[a-zA-Z0-9\-]*:[0-9]{12}:portal/[a-fA-F0-9\-]{36}")
# The model's UrlPattern, matched whole as the service does.
URL_PATTERN = re.compile(
    r"((([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(\*|[\w%._\-\+~#=@]+)?(\/[^@\s]*)?(?:\?([^*\s]+(?:\*?)))?)|"
    r"(\*|[\w%._\-\+~#=@]+\.[\w%._\-\+~#=@]+)(?::(\d{1,5}))?(\/[^@\s]*)?(?:\?([^*\s]+(?:\*?)))?|"
    r"(([a-zA-Z][a-zA-Z0-9+.-]*):(\/\/)?\*))"
)
S3_BUCKET = re.compile(r"[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9]")
S3_KEY_PREFIX = re.compile(r"[\d\w\-_/!().*']+")
SAFE_NAME = re.compile(r"[ _\-\d\w]+")
ACCOUNT_ID = re.compile(r"[0-9]{12}")
COOKIE_DOMAIN = re.compile(r"(\.?)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9][a-z0-9-]{0,61}[a-z0-9]")
IDP_NAME = re.compile(r"[^_]\S[^_]+")
OIDC_REQUIRED = ("client_id", "client_secret", "attributes_request_method", "oidc_issuer", "authorize_scopes")
SOCIAL_REQUIRED = {
    "Google": ("client_id", "client_secret", "authorize_scopes"),
    "LoginWithAmazon": ("client_id", "client_secret", "authorize_scopes"),
    "Facebook": ("client_id", "client_secret", "authorize_scopes"),
    "SignInWithApple": ("client_id", "team_id", "key_id", "private_key", "authorize_scopes"),
    "OIDC": OIDC_REQUIRED,
}


def _problem(field, value, message):
    return f"{field}={value!r}: {message}"


def _range(problems, field, value, low, high):
    if value is not None and not low <= value <= high:
        problems.append(_problem(field, value, f"must be between {low} and {high}"))


def _pattern(problems, field, value, regex, what):
    if value is not None and not regex.fullmatch(value):
        problems.append(_problem(field, value, f"is not {what}"))


def _ipv4_cidr(problems, field, value):
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as e:
        problems.append(_problem(field, value, f"is not an IPv4 address or CIDR range ({e})"))
        return
    if network.version != 4:
        problems.append(_problem(field, value, "is IPv6; Secure Browser IP access controls are IPv4 only"))


def validate_browser_policy(field, policy):
    """Problems with a browser policy: JSON object in Chrome's ``chromePolicies`` form."""
    try:
        parsed = parse_browser_policy(policy)
    except ValueError as e:
        return [_problem(field, policy, f"is not valid JSON ({e})")]
    if not isinstance(parsed, dict):
        return [_problem(field, policy, "must be a JSON object")]
    problems = []
    other = sorted(set(parsed) - {"chromePolicies"})
    if other or not isinstance(parsed.get("chromePolicies"), dict):
        problems.append(_problem(
            field, policy,
            'must be {"chromePolicies": {"<PolicyName>": {"value": ...}}} '
            f"(unexpected top-level keys: {', '.join(other) or 'none'}; chromePolicies missing or not an object)",
        ))
        return problems
    for name, entry in parsed["chromePolicies"].items():
        if not isinstance(entry, dict) or "value" not in entry:
            problems.append(_problem(f"{field}.chromePolicies.{name}", entry, 'must be an object {"value": ...}'))
    if len(json.dumps(parsed)) > 131072:
        problems.append(_problem(field, "...", "is longer than 131072 characters"))
    return problems


def validate_portal_params(params):
    """Every problem with a secure_browser_portal task's input, before any call."""
    p = params
    problems = []
    if p.get("display_name") is not None and not 1 <= len(p["display_name"]) <= 64:
        problems.append(_problem("display_name", p["display_name"], "must be 1 to 64 characters"))
    _range(problems, "max_concurrent_sessions", p.get("max_concurrent_sessions"), 1, 5000)
    _pattern(problems, "customer_managed_key", p.get("customer_managed_key"), KMS_KEY_ARN, "a KMS key ARN")
    if p.get("additional_encryption_context") and not p.get("customer_managed_key"):
        problems.append(_problem("additional_encryption_context", p["additional_encryption_context"],
                                 "needs customer_managed_key"))

    browser = p.get("browser_settings")
    if browser is not None:
        if browser.get("browser_policy") is None and browser.get("web_content_filtering_policy") is None:
            problems.append(_problem("browser_settings", browser,
                                     "needs browser_policy, web_content_filtering_policy or both"))
        if browser.get("browser_policy") is not None:
            problems.extend(validate_browser_policy("browser_settings.browser_policy", browser["browser_policy"]))
        wcf = browser.get("web_content_filtering_policy") or {}
        for member in ("allowed_urls", "blocked_urls"):
            values = wcf.get(member) or []
            if len(values) > 1000:
                problems.append(_problem(f"browser_settings.web_content_filtering_policy.{member}",
                                         len(values), "has more than 1000 entries"))
            for index, url in enumerate(values):
                field = f"browser_settings.web_content_filtering_policy.{member}[{index}]"
                if url.startswith("*."):
                    problems.append(_problem(field, url, f"is not a URL pattern; write {url[2:]!r} (a host "
                                                         "pattern already matches its subdomains)"))
                elif not URL_PATTERN.fullmatch(url):
                    problems.append(_problem(field, url, "is not a URL pattern (host, .host, scheme://host/path or *)"))

    user = p.get("user_settings")
    if user is not None:
        _range(problems, "user_settings.disconnect_timeout_in_minutes",
               user.get("disconnect_timeout_in_minutes"), 1, 600)
        _range(problems, "user_settings.idle_disconnect_timeout_in_minutes",
               user.get("idle_disconnect_timeout_in_minutes"), 0, 60)
        cookies = user.get("cookie_synchronization_configuration") or {}
        for member in ("allowlist", "blocklist"):
            specs = cookies.get(member) or []
            if len(specs) > 10:
                problems.append(_problem(f"user_settings.cookie_synchronization_configuration.{member}",
                                         len(specs), "has more than 10 entries"))
            for index, spec in enumerate(specs):
                field = f"user_settings.cookie_synchronization_configuration.{member}[{index}]"
                _pattern(problems, f"{field}.domain", spec.get("domain"), COOKIE_DOMAIN, "a cookie domain")
                if spec.get("path") is not None and not spec["path"].startswith("/"):
                    problems.append(_problem(f"{field}.path", spec["path"], "must start with /"))

    network = p.get("network_settings")
    if network is not None:
        _pattern(problems, "network_settings.vpc_id", network.get("vpc_id"), VPC_ID, "a VPC id (vpc-...)")
        subnets = network.get("subnet_ids") or []
        if not 2 <= len(set(subnets)) <= 5:
            problems.append(_problem("network_settings.subnet_ids", subnets,
                                     f"needs 2 to 5 distinct subnets in at least two Availability Zones, "
                                     f"got {len(set(subnets))}"))
        for index, subnet in enumerate(subnets):
            _pattern(problems, f"network_settings.subnet_ids[{index}]", subnet, SUBNET_ID, "a subnet id (subnet-...)")
        groups = network.get("security_group_ids") or []
        if not 1 <= len(set(groups)) <= 5:
            problems.append(_problem("network_settings.security_group_ids", groups,
                                     f"needs 1 to 5 distinct security groups, got {len(set(groups))}"))
        for index, group in enumerate(groups):
            _pattern(problems, f"network_settings.security_group_ids[{index}]", group, SECURITY_GROUP_ID,
                     "a security group id (sg-...)")

    ip_access = p.get("ip_access_settings")
    if ip_access is not None:
        rules = ip_access.get("rules") or []
        if not 1 <= len(rules) <= 100:
            problems.append(_problem("ip_access_settings.rules", len(rules), "needs 1 to 100 rules"))
        seen = set()
        for index, rule in enumerate(rules):
            field = f"ip_access_settings.rules[{index}]"
            _ipv4_cidr(problems, f"{field}.ip_range", rule.get("ip_range"))
            if rule.get("ip_range") in seen:
                problems.append(_problem(f"{field}.ip_range", rule["ip_range"], "is listed twice"))
            seen.add(rule.get("ip_range"))
            if rule.get("description") is not None and not 1 <= len(rule["description"]) <= 256:
                problems.append(_problem(f"{field}.description", rule["description"], "must be 1 to 256 characters"))
        if ip_access.get("display_name") is not None and not 1 <= len(ip_access["display_name"]) <= 64:
            problems.append(_problem("ip_access_settings.display_name", ip_access["display_name"],
                                     "must be 1 to 64 characters"))

    logging = p.get("user_access_logging")
    if logging is not None:
        arn = logging.get("kinesis_stream_arn")
        match = KINESIS_STREAM_ARN.fullmatch(arn or "")
        if not match:
            problems.append(_problem("user_access_logging.kinesis_stream_arn", arn, "is not a Kinesis stream ARN"))
        elif not match.group(1).startswith(KINESIS_STREAM_PREFIX):
            problems.append(_problem("user_access_logging.kinesis_stream_arn", arn,
                                     f"names a stream whose name does not begin with {KINESIS_STREAM_PREFIX}"))

    logger = p.get("session_logger")
    if logger is not None:
        _pattern(problems, "session_logger.bucket", logger.get("bucket"), S3_BUCKET, "an S3 bucket name")
        _pattern(problems, "session_logger.key_prefix", logger.get("key_prefix"), S3_KEY_PREFIX, "an S3 key prefix")
        _pattern(problems, "session_logger.bucket_owner", logger.get("bucket_owner"), ACCOUNT_ID,
                 "a 12-digit account id")
        name = logger.get("display_name")
        if name is not None and (len(name) > 64 or not SAFE_NAME.fullmatch(name)):
            problems.append(_problem("session_logger.display_name", name,
                                     "must be 1 to 64 letters, digits, spaces, _ or -"))
    return problems


def validate_identity_provider_params(params):
    p = params
    problems = []
    if p.get("portal_arn") is not None:
        _pattern(problems, "portal_arn", p["portal_arn"], PORTAL_ARN, "a Secure Browser portal ARN")
    name = p.get("name")
    if name is not None and (len(name) > 32 or not IDP_NAME.fullmatch(name)):
        problems.append(_problem("name", name, "must be 3 to 32 characters and not begin or end with _"))
    if p.get("state") == "present":
        kind = p.get("type")
        details = p.get("details") or {}
        if kind == "SAML":
            sources = [key for key in ("MetadataFile", "MetadataURL") if details.get(key)]
            if len(sources) != 1:
                problems.append(_problem("details", sorted(details), "a SAML provider needs exactly one of "
                                                                      "MetadataFile or MetadataURL"))
            if details.get("RequestSigningAlgorithm", "rsa-sha256") != "rsa-sha256":
                problems.append(_problem("details.RequestSigningAlgorithm", details["RequestSigningAlgorithm"],
                                         "must be rsa-sha256"))
            if details.get("MetadataURL") and not str(details["MetadataURL"]).startswith("https://"):
                problems.append(_problem("details.MetadataURL", details["MetadataURL"], "must be an https:// URL"))
        elif kind in SOCIAL_REQUIRED:
            missing = [key for key in SOCIAL_REQUIRED[kind] if not details.get(key)]
            if missing:
                problems.append(_problem("details", sorted(details), f"a {kind} provider needs {', '.join(missing)}"))
    return problems


# ----- steps ------------------------------------------------------------------------------


def _tag_list(tags):
    return ansible_dict_to_boto3_tag_list(tags or {})


def create_settings(client, kind, canonical, tags):
    k = KINDS[kind]
    params = to_api(kind, canonical)
    if not params.get("webContentFilteringPolicy", True):
        del params["webContentFilteringPolicy"]  # an empty policy is no policy
    answer = call(client, k.op("create"), f"create {k.label}", tags=_tag_list(tags), **params)
    return answer[k.arn_member]


def update_settings(client, kind, arn, changes):
    k = KINDS[kind]
    call(client, k.op("update"), f"update {k.label} {arn}", **{k.arn_member: arn}, **to_api(kind, changes))


def delete_settings(client, kind, arn):
    k = KINDS[kind]
    try:
        call(client, k.op("delete"), f"delete {k.label} {arn}", **{k.arn_member: arn})
    except AnsibleSecureBrowserError as e:
        # Delete and Disassociate are idempotent: something already gone is done.
        if not is_not_found(e):
            raise


def associate(client, kind, portal_arn, arn):
    k = KINDS[kind]
    call(client, k.op("associate"), f"associate {k.label} {arn} with {portal_arn}", retry_conflict=True,
         portalArn=portal_arn, **{k.arn_member: arn})


def disassociate(client, kind, portal_arn):
    k = KINDS[kind]
    try:
        call(client, k.op("disassociate"), f"disassociate the {k.label} of {portal_arn}", retry_conflict=True,
             portalArn=portal_arn)
    except AnsibleSecureBrowserError as e:
        # Delete and Disassociate are idempotent: something already gone is done.
        if not is_not_found(e):
            raise


def ensure_tags(client, arn, current, desired, purge, *, check_mode):
    """Reconcile a resource's tags; True when they change (or would)."""
    to_set, to_remove = diff_tags(current, desired, purge)
    if not to_set and not to_remove:
        return False
    if check_mode:
        return True
    if to_remove:
        call(client, "untag_resource", f"untag {arn}", resourceArn=arn, tagKeys=to_remove)
    if to_set:
        call(client, "tag_resource", f"tag {arn}", resourceArn=arn, tags=_tag_list(to_set))
    return True


def others_using(settings, portal_arn):
    """The portals other than ``portal_arn`` that a settings object serves."""
    return sorted(arn for arn in (settings or {}).get("associatedPortalArns") or [] if arn != portal_arn)


def plan_settings(kind, current, desired, portal_arn, *, replace_immutable):
    """What to do for one settings type of a portal.

    Returns (action, members, reason): action is one of ``none``, ``create``
    (the portal has none), ``update`` (in place, members = the changes),
    ``copy`` (another portal uses it: create this portal's own, members = the
    whole new object), ``replace`` (a create-only member differs and
    ``replace_immutable`` allows a new object) or ``refuse``.
    """
    if desired is None:
        return "none", {}, None
    current_canonical = normalise_settings(kind, current)
    if current is None:
        return "create", desired, None
    mutable, immutable = diff_settings(kind, desired, current_canonical)
    if not mutable and not immutable:
        return "none", {}, None
    merged = merge_settings(current_canonical, desired)
    if immutable:
        names = ", ".join(camel_to_option(m) for m in sorted(immutable))
        if not replace_immutable:
            return "refuse", immutable, (
                f"{kind}: {names} cannot be changed on an existing {KINDS[kind].label} object "
                f"({current[KINDS[kind].arn_member]}); set replace_immutable: true to create a new one for this "
                "portal and switch the association"
            )
        return "replace", merged, f"{names} can only be set at creation"
    users = others_using(current, portal_arn)
    if users:
        return "copy", merged, f"the current object is also used by {', '.join(users)}"
    return "update", mutable, None


def camel_to_option(member):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", member).lower()


def apply_settings(client, kind, action, members, current, portal_arn, tags):
    """Carry out a plan_settings decision; the ARN the portal ends up with."""
    if action == "none":
        return (current or {}).get(KINDS[kind].arn_member)
    if action == "update":
        arn = current[KINDS[kind].arn_member]
        update_settings(client, kind, arn, members)
        return arn
    # create, copy, replace: a new object for this portal, then the association moves.
    new_arn = create_settings(client, kind, members, tags)
    if current is not None and portal_arn is not None:
        disassociate(client, kind, portal_arn)
    if portal_arn is not None:
        associate(client, kind, portal_arn, new_arn)
    if action == "replace" and not others_using(current, portal_arn):
        delete_settings(client, kind, current[KINDS[kind].arn_member])
    return new_arn


def wait_for_portal(client, portal_arn, timeout, *, sleep=5):
    """Poll GetPortal until the portal is usable for its authentication type.

    IAM Identity Center portals are usable when ``Active``. A Standard portal is
    ``Active`` once it has an identity provider; without one it settles at
    ``Incomplete``, which is not an error but is reported to the caller.
    """
    deadline = time.monotonic() + timeout
    while True:
        portal = get_portal(client, portal_arn)
        if portal is None:
            raise AnsibleSecureBrowserError(message=f"Portal {portal_arn} disappeared while waiting for it")
        status = portal.get("portalStatus")
        if status == ACTIVE or (
            status == INCOMPLETE
            and portal.get("authenticationType", "Standard") == "Standard"
            and not list_identity_providers(client, portal_arn)
        ):
            return portal
        if time.monotonic() >= deadline:
            raise AnsibleSecureBrowserError(
                message=(
                    f"Portal {portal_arn} is {status} ({portal.get('statusReason') or 'no reason given'}) "
                    f"after {timeout} seconds; it is usable when Active"
                )
            )
        time.sleep(sleep)


def wait_for_portal_deleted(client, portal_arn, timeout, *, sleep=5):
    deadline = time.monotonic() + timeout
    while get_portal(client, portal_arn) is not None:
        if time.monotonic() >= deadline:
            raise AnsibleSecureBrowserError(message=f"Portal {portal_arn} still exists {timeout} seconds after delete")
        time.sleep(sleep)


def needs_identity_provider(portal, identity_providers):
    return portal.get("authenticationType", "Standard") == "Standard" and not identity_providers


def identity_provider_warning(display_name, status):
    return (
        f"Portal {display_name!r} uses Standard authentication and has no identity provider yet, so nobody can sign "
        f"in (status {status}). Add one with mlperimeter.aws.secure_browser_identity_provider "
        "(the portal's SAML metadata is in portal.service_provider_saml_metadata), or set authentication_type: "
        "IAM_Identity_Center."
    )
