#!/usr/bin/python

# Copyright: Contributors to the mlperimeter project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: secure_browser_portal
version_added: 0.1.0
short_description: Manage an Amazon WorkSpaces Secure Browser portal and its settings
description:
  - Manage one Amazon WorkSpaces Secure Browser (C(workspaces-web)) portal, with the settings objects
    associated with it, as one task.
  - The portal is found by O(display_name) among the portals tagged C(mlperimeter:managed=true); the module
    always adds that tag. Two such portals with the same display name are an error, and so is a portal of
    that name that does not carry the tag (the module does not take over portals it did not create).
  - Settings objects have no names; they are found through the portal's associations. For each settings
    sub-option the module creates the object when the portal has none, updates it in place when only this
    portal uses it, and when another portal also uses it, creates one for this portal (the current object's
    members plus the task's) and switches the association, leaving the other portal's object untouched.
  - B(Omitting a settings sub-option leaves that settings type alone);
    the portal keeps whatever object is associated, or none.
    Within a sub-option, members left out are not compared and not changed, except the five
    C(*_allowed) flags of O(user_settings), which default to C(Disabled).
    A structure that is given (for example O(user_settings.toolbar_configuration)) is compared and sent whole.
  - The customer-managed key and encryption context can only be set when a portal or settings object is
    created. A task that asks for other values is refused, naming the attribute, unless
    O(replace_immutable=true).
  - With O(state=absent) the portal is deleted, with its identity provider and every settings object that
    no other portal uses; settings objects other portals use are kept.
  - Use M(mlperimeter.aws.secure_browser_identity_provider) for the identity provider of a C(Standard) portal.
author:
  - mlperimeter contributors
options:
  display_name:
    description:
      - The portal's display name (1 to 64 characters), by which the module finds it.
    type: str
    required: true
  state:
    description:
      - Whether the portal should exist.
    type: str
    choices: [present, absent]
    default: present
  authentication_type:
    description:
      - How users sign in. C(IAM_Identity_Center) is wired up on the IAM Identity Center side; C(Standard) needs
        an identity provider before anyone can sign in (the module warns while it has none).
      - When creating and left out, AWS uses C(Standard). When left out on an existing portal, it is unchanged.
    type: str
    choices: [IAM_Identity_Center, Standard]
  instance_type:
    description:
      - The streaming instance type. Left out, AWS's value (or the current one) is kept.
    type: str
    choices: [standard.regular, standard.large, standard.xlarge]
  max_concurrent_sessions:
    description:
      - The most concurrent sessions (1 to 5000, bounded by the instance type's quota).
    type: int
  customer_managed_key:
    description:
      - ARN of the KMS key that encrypts the portal and the settings objects that take one (browser, user and
        IP access settings and the session logger).
      - Create-only. A different value for an existing portal or settings object is refused unless
        O(replace_immutable=true).
    type: str
  additional_encryption_context:
    description:
      - Encryption context used with O(customer_managed_key). Create-only, like the key.
    type: dict
  replace_immutable:
    description:
      - Allow replacing what cannot be changed in place. A settings object is replaced by a new one for this
        portal (the old one is deleted when no other portal uses it). B(The portal itself is deleted and created
        again), which gives it a new endpoint and deletes its identity provider.
    type: bool
    default: false
  browser_settings:
    description:
      - The portal's browser settings. Left out, they are left alone. At least one of the two members is needed.
    type: dict
    suboptions:
      browser_policy:
        description:
          - 'Chrome policies, as C({"chromePolicies": {"<PolicyName>": {"value": ...}}}). Compared as JSON, never
            as text. AWS''s baseline policy applies on top and is not shown.'
        type: json
      web_content_filtering_policy:
        description:
          - URL and category filtering whose blocks reach the session logger. Compared and sent whole;
            the lists are unordered.
        type: dict
        suboptions:
          blocked_categories:
            description: Categories of sites to block.
            type: list
            elements: str
            choices: [Cults, Gambling, Nudity, Pornography, SexEducation, Tasteless, Violence, DownloadSites,
                      ImageSharing, PeerToPeer, StreamingMediaAndDownloads, GenerativeAI, CriminalActivity,
                      Hacking, HateAndIntolerance, IllegalDrug, IllegalSoftware, SchoolCheating, SelfHarm, Weapons,
                      Chat, Games, InstantMessaging, ProfessionalNetwork, SocialNetworking, WebBasedEmail,
                      ParkedDomains]
          allowed_urls:
            description:
              - URL patterns to allow (at most 1000), for example C(aws.amazon.com), which also matches its
                subdomains. C(*.example.com) is refused; write C(example.com).
            type: list
            elements: str
          blocked_urls:
            description: URL patterns to block (at most 1000); C(*) blocks everything not allowed.
            type: list
            elements: str
  user_settings:
    description:
      - What users may do in a session. Left out, the user settings are left alone.
    type: dict
    suboptions:
      copy_allowed:
        description: Copy text from the session to the local device.
        type: str
        choices: [Enabled, Disabled]
        default: Disabled
      paste_allowed:
        description: Paste text from the local device into the session.
        type: str
        choices: [Enabled, Disabled]
        default: Disabled
      download_allowed:
        description: Download files from the session to the local device.
        type: str
        choices: [Enabled, Disabled]
        default: Disabled
      upload_allowed:
        description: Upload files from the local device into the session.
        type: str
        choices: [Enabled, Disabled]
        default: Disabled
      print_allowed:
        description: Print from the session to the local device.
        type: str
        choices: [Enabled, Disabled]
        default: Disabled
      deep_link_allowed:
        description: Open URLs given on the portal URL (C(?deepLinks=)) when the session starts.
        type: str
        choices: [Enabled, Disabled]
      web_authn_allowed:
        description: WebAuthn redirection into the session.
        type: str
        choices: [Enabled, Disabled]
      disconnect_timeout_in_minutes:
        description: How long a disconnected session is kept for the user to reconnect (1 to 600).
        type: int
      idle_disconnect_timeout_in_minutes:
        description: Idle minutes before the session is disconnected (0 to 60; 0 turns it off).
        type: int
      toolbar_configuration:
        description: The session toolbar, fixed for users. Compared and sent whole.
        type: dict
        suboptions:
          toolbar_type:
            description: Toolbar type.
            type: str
            choices: [Floating, Docked]
          visual_mode:
            description: Toolbar theme.
            type: str
            choices: [Dark, Light]
          hidden_toolbar_items:
            description: Toolbar items users do not see.
            type: list
            elements: str
            choices: [Windows, DualMonitor, FullScreen, Webcam, Microphone]
          max_display_resolution:
            description: The highest display resolution.
            type: str
            choices: [size4096X2160, size3840X2160, size3440X1440, size2560X1440, size1920X1080, size1280X720,
                      size1024X768, size800X600]
      cookie_synchronization_configuration:
        description:
          - Cookies the single sign-on extension copies from the local browser into the session. Compared and sent
            whole; the lists are unordered.
        type: dict
        suboptions:
          allowlist:
            description: Cookies to synchronise (at most 10).
            type: list
            elements: dict
            required: true
            suboptions:
              domain:
                description: Cookie domain, optionally with a leading dot.
                type: str
                required: true
              name:
                description: Cookie name.
                type: str
              path:
                description: Cookie path, starting with C(/).
                type: str
          blocklist:
            description: Cookies never to synchronise (at most 10).
            type: list
            elements: dict
            suboptions:
              domain:
                description: Cookie domain, optionally with a leading dot.
                type: str
                required: true
              name:
                description: Cookie name.
                type: str
              path:
                description: Cookie path, starting with C(/).
                type: str
  network_settings:
    description:
      - The VPC the portal's browsers run in. Left out, the network settings are left alone.
    type: dict
    suboptions:
      vpc_id:
        description: The VPC id.
        type: str
        required: true
      subnet_ids:
        description: 2 to 5 subnets, at least two of them in different Availability Zones. Unordered.
        type: list
        elements: str
        required: true
      security_group_ids:
        description: 1 to 5 security groups. Unordered.
        type: list
        elements: str
        required: true
  ip_access_settings:
    description:
      - The IPv4 ranges users may open the portal from. Left out, the IP access settings are left alone.
    type: dict
    suboptions:
      display_name:
        description: A name for the IP access settings (1 to 64 characters).
        type: str
      description:
        description: A description (1 to 256 characters).
        type: str
      rules:
        description: 1 to 100 rules, compared as a set.
        type: list
        elements: dict
        required: true
        suboptions:
          ip_range:
            description: An IPv4 address or CIDR range (host bits clear).
            type: str
            required: true
            aliases: [cidr]
          description:
            description: What the range is (1 to 256 characters).
            type: str
  user_access_logging:
    description:
      - User access logging to a Kinesis data stream. Left out, it is left alone.
    type: dict
    suboptions:
      kinesis_stream_arn:
        description: ARN of the stream; its name must begin with C(amazon-workspaces-web-).
        type: str
        required: true
  session_logger:
    description:
      - Session events (blocked URLs, clipboard, file transfer and print attempts, ...) delivered to S3.
        Left out, the session logger is left alone.
    type: dict
    suboptions:
      display_name:
        description: A name (letters, digits, spaces, C(_) and C(-)).
        type: str
      events:
        description: The events to record. Left out or empty, all events are recorded, including future ones.
        type: list
        elements: str
        choices: [WebsiteInteract, FileDownloadFromSecureBrowserToRemoteDisk, FileTransferFromRemoteToLocalDisk,
                  FileTransferFromLocalToRemoteDisk, FileUploadFromRemoteDiskToSecureBrowser, ContentPasteToWebsite,
                  ContentTransferFromLocalToRemoteClipboard, ContentCopyFromWebsite, UrlLoad, TabOpen, TabClose,
                  PrintJobSubmit, SessionConnect, SessionStart, SessionDisconnect, SessionEnd,
                  UrlBlockByContentFilter]
      bucket:
        description: The S3 bucket.
        type: str
        required: true
      key_prefix:
        description: Key prefix in the bucket.
        type: str
      bucket_owner:
        description: The bucket owner's account id. Left out, AWS fills it in and it is not compared.
        type: str
      log_file_format:
        description: Log file format.
        type: str
        choices: [JSONLines, Json]
        default: JSONLines
      folder_structure:
        description: Folder structure in the bucket.
        type: str
        choices: [Flat, NestedByDate]
        default: NestedByDate
  wait:
    description:
      - Wait until the portal is usable for its authentication type (C(Active); a C(Standard) portal without
        an identity provider settles at C(Incomplete), which is reported but not an error).
    type: bool
    default: true
  wait_timeout:
    description: How many seconds to wait. AWS documents up to 15 minutes for an authentication type change.
    type: int
    default: 900
attributes:
  check_mode:
    support: full
    description: Reads only and reports in RV(changes) and the diff what would be done.
  diff_mode:
    support: full
    description: Before and after of the portal's attributes, tags and every managed settings type.
  idempotent:
    support: full
    description: A second run with the same arguments changes nothing.
notes:
  - Trust stores and data protection settings are not managed by this module; they are kept as associated
    (and deleted with the portal when no other portal uses them).
  - S3 log configuration has no Region member in the API; the bucket's Region is AWS's to find.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Ensure the perimeter's Secure Browser portal, with every transfer to the user's device off
  mlperimeter.aws.secure_browser_portal:
    display_name: mlperimeter
    authentication_type: IAM_Identity_Center
    instance_type: standard.regular
    max_concurrent_sessions: 10
    network_settings:
      vpc_id: vpc-0123456789abcdef0
      subnet_ids: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]
      security_group_ids: [sg-0123456789abcdef0]
    user_settings: {}  # copy, paste, download, upload and print default to Disabled
    browser_settings:
      browser_policy:
        chromePolicies:
          DownloadRestrictions: {value: 3}
          DeveloperToolsAvailability: {value: 2}
      web_content_filtering_policy:
        blocked_urls: ["*"]
        allowed_urls: [aws.amazon.com, sagemaker.aws]
    session_logger:
      bucket: example-secure-browser-logs
      key_prefix: sessions/
    tags:
      "mlperimeter:control": A1

- name: Remove a portal and the settings only it used
  mlperimeter.aws.secure_browser_portal:
    display_name: old-portal
    state: absent
"""

RETURN = r"""
portal:
  description:
    - The portal as GetPortal answers it, in snake_case, with its C(tags), each associated settings object
      under its type (C(browser_settings), C(user_settings), C(network_settings), C(ip_access_settings),
      C(user_access_logging), C(session_logger), C(trust_store), C(data_protection_settings); C(null) when none),
      its C(identity_providers) and, for C(Standard) portals, C(service_provider_saml_metadata).
    - Empty when the portal is absent (or would only be created in check mode).
  returned: always
  type: dict
  sample:
    portal_arn: arn:aws:workspaces-web:eu-west-1:111111111111:portal/0123abcd-0123-4567-89ab-0123456789ab
    portal_status: Active
    portal_endpoint: 0123abcd-0123-4567-89ab-0123456789ab.workspaces-web.com
    authentication_type: IAM_Identity_Center
    user_settings:
      copy_allowed: Disabled
      paste_allowed: Disabled
      download_allowed: Disabled
      upload_allowed: Disabled
      print_allowed: Disabled
changes:
  description: What the task did (or would do in check mode), one line each.
  returned: always
  type: list
  elements: str
  sample: ["create portal", "user_settings: update copy_allowed"]
needs_identity_provider:
  description: Whether the portal uses C(Standard) authentication and has no identity provider yet.
  returned: when state is present
  type: bool
deleted_settings:
  description: ARNs of the settings objects deleted with the portal.
  returned: when state is absent
  type: list
  elements: str
kept_settings:
  description: ARNs of settings objects kept because other portals use them.
  returned: when state is absent
  type: list
  elements: str
"""

from ansible_collections.mlperimeter.aws.plugins.module_utils import secure_browser as sb
from ansible_collections.mlperimeter.aws.plugins.module_utils.modules import MLPerimeterAWSModule
from ansible_collections.mlperimeter.aws.plugins.module_utils.secure_browser import AnsibleSecureBrowserError

ENABLED = ["Enabled", "Disabled"]
COOKIE_SPEC = dict(domain=dict(type="str", required=True), name=dict(type="str"), path=dict(type="str"))


def state_view(portal, tags, settings):
    """Every setting of a portal in canonical form, snake_case, as the diff shows it."""
    if portal is None:
        return {}
    view = {"portal": sb.snake_view(sb.normalise_portal(portal, tags))}
    for kind in sb.MANAGED_KINDS:
        current = settings.get(kind)
        if current is None:
            view[kind] = None
        else:
            view[kind] = dict(arn=current.get(sb.KINDS[kind].arn_member),
                              **sb.snake_view(sb.normalise_settings(kind, current)))
    return view


def plan_all_settings(desired_by_kind, settings, portal_arn, *, replace_immutable):
    plans = {}
    refusals = []
    for kind in sb.MANAGED_KINDS:
        action, members, reason = sb.plan_settings(
            kind, settings[kind], desired_by_kind[kind], portal_arn, replace_immutable=replace_immutable
        )
        if action == "refuse":
            refusals.append(reason)
        plans[kind] = (action, members, reason)
    return plans, refusals


def describe_change(kind, action, members, reason):
    if action == "create":
        return f"{kind}: create (the portal has none)"
    if action == "update":
        return f"{kind}: update {', '.join(sb.camel_to_option(m) for m in sorted(members))}"
    if action == "copy":
        return f"{kind}: create this portal's own ({reason}) and switch the association"
    if action == "replace":
        return f"{kind}: replace ({reason}) and switch the association"
    return None


def predicted_view(before, portal_desired, tags_desired, purge, settings, plans):
    """What the diff's after looks like, computed without calls (check mode)."""
    after = {"portal": dict(before.get("portal") or {})}
    after["portal"].update(sb.snake_view({k: v for k, v in portal_desired.items()}))
    if tags_desired is not None:
        current_tags = dict(after["portal"].get("tags") or {})
        to_set, to_remove = sb.diff_tags(current_tags, tags_desired, purge)
        current_tags.update(to_set)
        for key in to_remove:
            current_tags.pop(key, None)
        after["portal"]["tags"] = current_tags
    for kind in sb.MANAGED_KINDS:
        action, members, _reason = plans[kind]
        current = sb.normalise_settings(kind, settings[kind])
        if action == "none":
            after[kind] = before.get(kind)
            continue
        merged = sb.merge_settings(current, members)
        arn = settings[kind].get(sb.KINDS[kind].arn_member) if action == "update" else "(new)"
        after[kind] = dict(arn=arn, **sb.snake_view(merged))
    return after


def delete_portal(client, portal, *, wait, wait_timeout):
    """Release a portal's associations and identity providers, then delete it."""
    portal_arn = portal["portalArn"]
    for idp in sb.list_identity_providers(client, portal_arn):
        sb.call(client, "delete_identity_provider", f"delete identity provider {idp['identityProviderArn']}",
                identityProviderArn=idp["identityProviderArn"])
    for kind in sb.KINDS.values():
        if portal.get(kind.arn_member):
            sb.disassociate(client, kind.option, portal_arn)
    sb.call(client, "delete_portal", f"delete portal {portal_arn}", retry_conflict=True, portalArn=portal_arn)
    if wait:
        sb.wait_for_portal_deleted(client, portal_arn, wait_timeout)


def create_portal(client, portal_desired, tags):
    answer = sb.call(client, "create_portal", f"create portal {portal_desired['displayName']!r}",
                     tags=sb.ansible_dict_to_boto3_tag_list(tags), **portal_desired)
    return answer["portalArn"]


def ensure_present(client, params, *, check_mode):
    display_name = params["display_name"]
    replace_immutable = params["replace_immutable"]
    portal_arn = sb.find_managed_portal(client, display_name)
    portal, tags, settings, idps = sb.read_portal_state(client, portal_arn)
    before = state_view(portal, tags, settings)

    portal_desired = sb.desired_portal(params)
    if params["tags"] is None:
        tags_desired, purge = sb.desired_tags({}), False
    else:
        tags_desired, purge = sb.desired_tags(params["tags"]), params["purge_tags"]
    desired_by_kind = {
        kind: sb.desired_settings(
            kind, params.get(kind),
            customer_managed_key=params.get("customer_managed_key"),
            additional_encryption_context=params.get("additional_encryption_context"),
        )
        for kind in sb.MANAGED_KINDS
    }

    changes = []
    replace_portal = False
    portal_updates = {}
    if portal is not None:
        portal_updates, immutable = sb.diff_portal(portal_desired, sb.normalise_portal(portal))
        if immutable:
            names = ", ".join(sb.camel_to_option(m) for m in sorted(immutable))
            if not replace_immutable:
                raise AnsibleSecureBrowserError(message=(
                    f"{names} of portal {display_name!r} ({portal_arn}) cannot be changed: AWS sets it only when a "
                    f"portal is created (current: {portal.get('customerManagedKey')!r}, "
                    f"{portal.get('additionalEncryptionContext')!r}). Set replace_immutable: true to delete and "
                    "recreate the portal (new endpoint; its identity provider is deleted)."
                ))
            replace_portal = True
    plans, refusals = plan_all_settings(desired_by_kind, settings, portal_arn, replace_immutable=replace_immutable)
    if refusals:
        raise AnsibleSecureBrowserError(message="Refusing to change what AWS sets only at creation: "
                                                + "; ".join(refusals))

    if portal is None:
        changes.append("create portal")
    elif replace_portal:
        changes.append("replace portal (customer_managed_key / additional_encryption_context changed)")
    elif portal_updates:
        changes.append(f"update portal: {', '.join(sb.camel_to_option(m) for m in sorted(portal_updates))}")
    tag_changes = portal is None or any(sb.diff_tags(tags, tags_desired, purge))
    if portal is not None and not replace_portal and tag_changes:
        changes.append("portal: update tags")
    for kind in sb.MANAGED_KINDS:
        text = describe_change(kind, *plans[kind])
        if text:
            changes.append(text)

    warnings = []
    if check_mode:
        if portal is not None and not replace_portal:
            for kind in settings_tag_changes(client, params, settings, portal_arn, tags_desired, purge):
                changes.append(f"{kind}: update tags")
        after = predicted_view(before, portal_desired, tags_desired, purge, settings, plans)
        result_portal = sb.portal_result(client, portal, tags, settings, idps) if portal is not None else {}
        auth = portal_desired.get("authenticationType") or (portal or {}).get("authenticationType", "Standard")
        need_idp = auth == "Standard" and (replace_portal or not idps)
        status = (portal or {}).get("portalStatus") if not replace_portal else None
    else:
        portal_arn = _apply(client, params, portal, settings, plans, portal_desired, portal_updates, tags,
                            tags_desired, purge, replace_portal, changes)
        if params["wait"] and (changes or portal.get("portalStatus") == sb.PENDING):
            sb.wait_for_portal(client, portal_arn, params["wait_timeout"])
        if changes or portal.get("portalStatus") == sb.PENDING:
            new_portal, new_tags, new_settings, new_idps = sb.read_portal_state(client, portal_arn)
        else:  # nothing changed: what was read is what there is
            new_portal, new_tags, new_settings, new_idps = portal, tags, settings, idps
        after = state_view(new_portal, new_tags, new_settings)
        result_portal = sb.portal_result(client, new_portal, new_tags, new_settings, new_idps)
        need_idp = sb.needs_identity_provider(new_portal, new_idps)
        status = new_portal.get("portalStatus")
    if replace_portal:
        warnings.append(f"Portal {display_name!r} is replaced: it gets a new endpoint and its identity provider "
                        "is deleted; add the identity provider again.")
    if need_idp:
        warnings.append(sb.identity_provider_warning(display_name, status or "Incomplete"))
    return dict(
        changed=bool(changes),
        changes=changes,
        portal=result_portal,
        needs_identity_provider=need_idp,
        diff=dict(before=before, after=after),
        warnings=warnings,
    )


def _apply(client, params, portal, settings, plans, portal_desired, portal_updates, tags, tags_desired, purge,
           replace_portal, changes):
    """Carry out the plan; the portal's ARN."""
    if replace_portal:
        delete_portal(client, portal, wait=True, wait_timeout=params["wait_timeout"])
    if portal is None or replace_portal:
        create_tags = dict(tags_desired)
        if replace_portal and params["tags"] is None:
            create_tags.update(tags)
        portal_arn = create_portal(client, portal_desired, create_tags)
        slots = {}
    else:
        portal_arn = portal["portalArn"]
        if portal_updates:
            sb.call(client, "update_portal", f"update portal {portal_arn}", retry_conflict=True,
                    portalArn=portal_arn, **portal_updates)
        sb.ensure_tags(client, portal_arn, tags, tags_desired, purge, check_mode=False)
        slots = {kind: portal.get(sb.KINDS[kind].arn_member) for kind in sb.KINDS}

    for kind in sb.MANAGED_KINDS:
        action, members, _reason = plans[kind]
        current = settings[kind]
        current_arn = (current or {}).get(sb.KINDS[kind].arn_member)
        if action == "update":
            sb.update_settings(client, kind, current_arn, members)
            arn = current_arn
        elif action in ("create", "copy", "replace"):
            arn = sb.create_settings(client, kind, members, tags_desired)
        else:
            arn = current_arn
        if arn and slots.get(kind) != arn:
            if slots.get(kind):
                sb.disassociate(client, kind, portal_arn)
            sb.associate(client, kind, portal_arn, arn)
        if action == "replace" and not sb.others_using(current, (portal or {}).get("portalArn")):
            sb.delete_settings(client, kind, current_arn)
        # The portal's tags also go on the settings objects only it uses.
        if (action in ("none", "update") and arn and desired_given(params, kind)
                and not sb.others_using(current, (portal or {}).get("portalArn"))
                and sb.ensure_tags(client, arn, sb.get_tags(client, arn), tags_desired, purge, check_mode=False)):
            changes.append(f"{kind}: update tags")
    if replace_portal:
        # Settings types the task does not manage stay with the (new) portal.
        for kind in sb.KINDS:
            if kind not in sb.MANAGED_KINDS and portal.get(sb.KINDS[kind].arn_member):
                sb.associate(client, kind, portal_arn, portal[sb.KINDS[kind].arn_member])
    return portal_arn


def desired_given(params, kind):
    return params.get(kind) is not None


def settings_tag_changes(client, params, settings, portal_arn, tags_desired, purge):
    """Settings types whose tags would change (check mode)."""
    found = []
    for kind in sb.MANAGED_KINDS:
        current = settings[kind]
        if current is None or not desired_given(params, kind) or sb.others_using(current, portal_arn):
            continue
        arn = current[sb.KINDS[kind].arn_member]
        if any(sb.diff_tags(sb.get_tags(client, arn), tags_desired, purge)):
            found.append(kind)
    return found


def ensure_absent(client, display_name, *, check_mode, wait, wait_timeout):
    found = sb.find_portals_by_name(client, display_name)
    managed = [summary for summary, tags in found if sb.is_managed(tags)]
    warnings = []
    if not managed:
        if found:
            warnings.append(f"Portal(s) named {display_name!r} exist but are not tagged "
                            f"{sb.MANAGED_TAG_KEY}={sb.MANAGED_TAG_VALUE}; left alone.")
        return dict(changed=False, changes=[], portal={}, deleted_settings=[], kept_settings=[],
                    diff=dict(before={}, after={}), warnings=warnings)
    portal_arn = sb.find_managed_portal(client, display_name)  # refuses when ambiguous
    portal, tags, settings, _idps = sb.read_portal_state(client, portal_arn)
    before = state_view(portal, tags, settings)
    deleted, kept = [], []
    for kind, current in settings.items():
        if current is None:
            continue
        arn = current[sb.KINDS[kind].arn_member]
        (kept if sb.others_using(current, portal_arn) else deleted).append((kind, arn))
    changes = ["delete portal"] + [f"{kind}: delete {arn}" for kind, arn in deleted]
    changes += [f"{kind}: keep {arn} (used by other portals)" for kind, arn in kept]
    if not check_mode:
        delete_portal(client, portal, wait=wait, wait_timeout=wait_timeout)
        for kind, arn in deleted:
            sb.delete_settings(client, kind, arn)
    return dict(
        changed=True,
        changes=changes,
        portal={},
        deleted_settings=[arn for _kind, arn in deleted],
        kept_settings=[arn for _kind, arn in kept],
        diff=dict(before=before, after={}),
        warnings=warnings,
    )


def do(module):
    problems = sb.validate_portal_params(module.params)
    if problems:
        module.fail_json(msg="Invalid secure_browser_portal arguments: " + "; ".join(problems), problems=problems)
    client = module.client(sb.SERVICE)
    params = module.params
    if params["state"] == "absent":
        result = ensure_absent(client, params["display_name"], check_mode=module.check_mode, wait=params["wait"],
                               wait_timeout=params["wait_timeout"])
    else:
        result = ensure_present(client, params, check_mode=module.check_mode)
    for warning in result.pop("warnings"):
        module.warn(warning)
    module.exit_json(**result)


def main():
    argument_spec = dict(
        display_name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        authentication_type=dict(type="str", choices=["IAM_Identity_Center", "Standard"]),
        instance_type=dict(type="str", choices=["standard.regular", "standard.large", "standard.xlarge"]),
        max_concurrent_sessions=dict(type="int"),
        customer_managed_key=dict(type="str", no_log=False),
        additional_encryption_context=dict(type="dict"),
        replace_immutable=dict(type="bool", default=False),
        browser_settings=dict(type="dict", options=dict(
            browser_policy=dict(type="json"),
            web_content_filtering_policy=dict(type="dict", options=dict(
                blocked_categories=dict(type="list", elements="str", choices=[
                    "Cults", "Gambling", "Nudity", "Pornography", "SexEducation", "Tasteless", "Violence",
                    "DownloadSites", "ImageSharing", "PeerToPeer", "StreamingMediaAndDownloads", "GenerativeAI",
                    "CriminalActivity", "Hacking", "HateAndIntolerance", "IllegalDrug", "IllegalSoftware",
                    "SchoolCheating", "SelfHarm", "Weapons", "Chat", "Games", "InstantMessaging",
                    "ProfessionalNetwork", "SocialNetworking", "WebBasedEmail", "ParkedDomains",
                ]),
                allowed_urls=dict(type="list", elements="str"),
                blocked_urls=dict(type="list", elements="str"),
            )),
        )),
        user_settings=dict(type="dict", options=dict(
            copy_allowed=dict(type="str", choices=ENABLED, default="Disabled"),
            paste_allowed=dict(type="str", choices=ENABLED, default="Disabled"),
            download_allowed=dict(type="str", choices=ENABLED, default="Disabled"),
            upload_allowed=dict(type="str", choices=ENABLED, default="Disabled"),
            print_allowed=dict(type="str", choices=ENABLED, default="Disabled"),
            deep_link_allowed=dict(type="str", choices=ENABLED),
            web_authn_allowed=dict(type="str", choices=ENABLED),
            disconnect_timeout_in_minutes=dict(type="int"),
            idle_disconnect_timeout_in_minutes=dict(type="int"),
            toolbar_configuration=dict(type="dict", options=dict(
                toolbar_type=dict(type="str", choices=["Floating", "Docked"]),
                visual_mode=dict(type="str", choices=["Dark", "Light"]),
                hidden_toolbar_items=dict(type="list", elements="str",
                                          choices=["Windows", "DualMonitor", "FullScreen", "Webcam", "Microphone"]),
                max_display_resolution=dict(type="str", choices=[
                    "size4096X2160", "size3840X2160", "size3440X1440", "size2560X1440", "size1920X1080",
                    "size1280X720", "size1024X768", "size800X600",
                ]),
            )),
            cookie_synchronization_configuration=dict(type="dict", options=dict(
                allowlist=dict(type="list", elements="dict", required=True, options=COOKIE_SPEC),
                blocklist=dict(type="list", elements="dict", options=COOKIE_SPEC),
            )),
        )),
        network_settings=dict(type="dict", options=dict(
            vpc_id=dict(type="str", required=True),
            subnet_ids=dict(type="list", elements="str", required=True),
            security_group_ids=dict(type="list", elements="str", required=True),
        )),
        ip_access_settings=dict(type="dict", options=dict(
            display_name=dict(type="str"),
            description=dict(type="str"),
            rules=dict(type="list", elements="dict", required=True, options=dict(
                ip_range=dict(type="str", required=True, aliases=["cidr"]),
                description=dict(type="str"),
            )),
        )),
        user_access_logging=dict(type="dict", options=dict(
            kinesis_stream_arn=dict(type="str", required=True),
        )),
        session_logger=dict(type="dict", options=dict(
            display_name=dict(type="str"),
            events=dict(type="list", elements="str", choices=[
                "WebsiteInteract", "FileDownloadFromSecureBrowserToRemoteDisk", "FileTransferFromRemoteToLocalDisk",
                "FileTransferFromLocalToRemoteDisk", "FileUploadFromRemoteDiskToSecureBrowser",
                "ContentPasteToWebsite", "ContentTransferFromLocalToRemoteClipboard", "ContentCopyFromWebsite",
                "UrlLoad", "TabOpen", "TabClose", "PrintJobSubmit", "SessionConnect", "SessionStart",
                "SessionDisconnect", "SessionEnd", "UrlBlockByContentFilter",
            ]),
            bucket=dict(type="str", required=True),
            key_prefix=dict(type="str", no_log=False),
            bucket_owner=dict(type="str"),
            log_file_format=dict(type="str", choices=["JSONLines", "Json"], default="JSONLines"),
            folder_structure=dict(type="str", choices=["Flat", "NestedByDate"], default="NestedByDate"),
        )),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=900),
    )
    module = MLPerimeterAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        do(module)
    except AnsibleSecureBrowserError as e:
        module.fail_json_aws_error(e)


if __name__ == "__main__":
    main()
