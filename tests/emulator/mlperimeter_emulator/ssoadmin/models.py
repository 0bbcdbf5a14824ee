"""IAM Identity Center administration: moto's backend with permission sets provisioned account by account.

moto provisions a permission set to the caller's own account whatever ``TargetType`` and
``TargetId`` say, answers ``ListAccountsForProvisionedPermissionSet`` with the caller's account,
ignores ``ProvisioningStatus`` and ``AccountId`` filters, and lacks
``DescribePermissionSetProvisioningStatus`` and ``ListPermissionSetProvisioningStatus``, and
lacks ``TagResource``, ``UntagResource`` and ``ListTagsForResource``.

Here each account holds its own provisioned copy of a permission set. Every change to a
permission set (policies, inline policy, settings) makes the copies already provisioned out of
date until they are provisioned again, which is what ``LATEST_PERMISSION_SET_NOT_PROVISIONED``
reports. Provisioning fails, as in AWS, when a customer-managed policy the permission set
references does not exist in the target account. A provisioning request answers
``IN_PROGRESS`` and has finished by the time its status is read.
"""

import base64
import re

from moto.core.base_backend import BackendDict
from moto.core.common_models import BaseModel
from moto.core.utils import unix_time
from moto.iam.models import iam_backends
from moto.moto_api._internal import mock_random
from moto.ssoadmin.models import SSOAdminBackend as MotoSSOAdminBackend
from moto.utilities.utils import get_partition

from .exceptions import ResourceNotFoundException, ValidationException

TARGET_TYPES = ["AWS_ACCOUNT", "ALL_PROVISIONED_ACCOUNTS"]
PROVISIONING_STATUSES = ["LATEST_PERMISSION_SET_PROVISIONED", "LATEST_PERMISSION_SET_NOT_PROVISIONED"]
REQUEST_STATUSES = ["IN_PROGRESS", "FAILED", "SUCCEEDED"]
ACCOUNT_ID = re.compile(r"\d{12}")
DEFAULT_SESSION_DURATION = "PT1H"
MAX_TAGS = 50


def check_enum(value, field, allowed):
    if value is not None and value not in allowed:
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(allowed)}]"
        )


def page(items, max_results, next_token, default=100):
    """One page of ``items`` and the token of the next; tokens are opaque offsets."""
    start = int(base64.b64decode(next_token).decode()) if next_token else 0
    size = int(max_results or default)
    end = start + size
    token = base64.b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], token


class ProvisioningRequest(BaseModel):
    def __init__(self, permission_set_arn, account_id, failure_reason):
        self.request_id = str(mock_random.uuid4())
        self.permission_set_arn = permission_set_arn
        self.account_id = account_id
        self.failure_reason = failure_reason
        self.created_date = unix_time()

    @property
    def status(self):
        return "FAILED" if self.failure_reason else "SUCCEEDED"

    def to_json(self, status=None):
        answer = {
            "CreatedDate": self.created_date,
            "PermissionSetArn": self.permission_set_arn,
            "RequestId": self.request_id,
            "Status": status or self.status,
        }
        if self.account_id:
            answer["AccountId"] = self.account_id
        if self.failure_reason and status is None:
            answer["FailureReason"] = self.failure_reason
        return answer

    def metadata(self):
        return {"CreatedDate": self.created_date, "RequestId": self.request_id, "Status": self.status}


class SSOAdminBackend(MotoSSOAdminBackend):
    def __init__(self, region_name, account_id):
        super().__init__(region_name, account_id)
        self.revisions = {}                # permission set ARN -> revision of its definition
        self.provisioned = {}              # (permission set ARN, account) -> revision provisioned there
        self.provisioning_requests = {}    # request id -> ProvisioningRequest

    def _instance(self, instance_arn):
        for instance in self.instances:
            if instance.instance_arn == instance_arn:
                return instance
        raise ResourceNotFoundException(f"Could not find Identity Center instance {instance_arn}")

    def _changed(self, permission_set_arn):
        self.revisions[permission_set_arn] = self.revisions.get(permission_set_arn, 1) + 1

    def _revision(self, permission_set_arn):
        return self.revisions.get(permission_set_arn, 1)

    # moto's responses pass the number 3600 when SessionDuration is not sent; AWS's is an ISO 8601
    # duration, one hour when not given, and an update keeps what it is not sent.

    def create_permission_set(self, name, description, instance_arn, session_duration, relay_state, tags):
        if not isinstance(session_duration, str):
            session_duration = DEFAULT_SESSION_DURATION
        return super().create_permission_set(name, description, instance_arn, session_duration, relay_state, tags)

    # Every change to a permission set leaves the provisioned copies behind.

    def update_permission_set(self, instance_arn, permission_set_arn, description, session_duration, relay_state):
        current = self._find_permission_set(instance_arn, permission_set_arn)
        answer = super().update_permission_set(
            instance_arn, permission_set_arn,
            current.description if description is None else description,
            session_duration if isinstance(session_duration, str) else current.session_duration,
            current.relay_state if relay_state is None else relay_state,
        )
        self._changed(permission_set_arn)
        return answer

    def put_inline_policy_to_permission_set(self, instance_arn, permission_set_arn, inline_policy):
        super().put_inline_policy_to_permission_set(instance_arn, permission_set_arn, inline_policy)
        self._changed(permission_set_arn)

    def delete_inline_policy_from_permission_set(self, instance_arn, permission_set_arn):
        super().delete_inline_policy_from_permission_set(instance_arn, permission_set_arn)
        self._changed(permission_set_arn)

    def attach_managed_policy_to_permission_set(self, instance_arn, permission_set_arn, managed_policy_arn):
        super().attach_managed_policy_to_permission_set(instance_arn, permission_set_arn, managed_policy_arn)
        self._changed(permission_set_arn)

    def detach_managed_policy_from_permission_set(self, instance_arn, permission_set_arn, managed_policy_arn):
        super().detach_managed_policy_from_permission_set(instance_arn, permission_set_arn, managed_policy_arn)
        self._changed(permission_set_arn)

    def attach_customer_managed_policy_reference_to_permission_set(
        self, instance_arn, permission_set_arn, customer_managed_policy_reference
    ):
        super().attach_customer_managed_policy_reference_to_permission_set(
            instance_arn, permission_set_arn, customer_managed_policy_reference)
        self._changed(permission_set_arn)

    def detach_customer_managed_policy_reference_from_permission_set(
        self, instance_arn, permission_set_arn, customer_managed_policy_reference
    ):
        super().detach_customer_managed_policy_reference_from_permission_set(
            instance_arn, permission_set_arn, customer_managed_policy_reference)
        self._changed(permission_set_arn)

    def delete_permission_set(self, instance_arn, permission_set_arn):
        answer = super().delete_permission_set(instance_arn, permission_set_arn)
        self.provisioned = {key: rev for key, rev in self.provisioned.items() if key[0] != permission_set_arn}
        self.revisions.pop(permission_set_arn, None)
        return answer

    # Tags of permission sets. They are not part of what is provisioned: changing them leaves no copy behind.

    def _tagged(self, instance_arn, resource_arn):
        for permission_set in self.permission_sets:
            same_instance = instance_arn in (None, permission_set.instance_arn)
            if permission_set.permission_set_arn == resource_arn and same_instance:
                return permission_set
        raise ResourceNotFoundException(f"Could not find resource {resource_arn}")

    def tag_resource(self, instance_arn, resource_arn, tags):
        permission_set = self._tagged(instance_arn, resource_arn)
        merged = {t["Key"]: t["Value"] for t in permission_set.tags or []}
        merged.update({t["Key"]: t["Value"] for t in tags})
        if len(merged) > MAX_TAGS:
            raise ValidationException(f"A permission set can have at most {MAX_TAGS} tags; this request makes "
                                      f"{len(merged)}")
        permission_set.tags = [{"Key": k, "Value": v} for k, v in merged.items()]

    def untag_resource(self, instance_arn, resource_arn, tag_keys):
        permission_set = self._tagged(instance_arn, resource_arn)
        permission_set.tags = [t for t in permission_set.tags or [] if t["Key"] not in tag_keys]

    def list_tags_for_resource(self, instance_arn, resource_arn, next_token=None):
        permission_set = self._tagged(instance_arn, resource_arn)
        return page(list(permission_set.tags or []), None, next_token)

    # Provisioning

    def _missing_policies(self, permission_set, account_id):
        policies = iam_backends[account_id][get_partition(self.region_name)].managed_policies
        missing = []
        for reference in permission_set.customer_managed_policies:
            arn = f"arn:{get_partition(self.region_name)}:iam::{account_id}:policy{reference.path}{reference.name}"
            if arn not in policies:
                missing.append(f"{reference.path}{reference.name}")
        return missing

    def _provision_to(self, permission_set, account_id):
        missing = self._missing_policies(permission_set, account_id)
        if missing:
            return (
                f"Received a 404 status error: customer managed policy {', '.join(missing)} referenced by "
                f"permission set {permission_set.name} does not exist in account {account_id}"
            )
        self.provisioned[(permission_set.permission_set_arn, account_id)] = self._revision(
            permission_set.permission_set_arn)
        return None

    def provision_permission_set(self, instance_arn, permission_set_arn, target_id=None, target_type=None):
        if target_type is None:
            raise ValidationException("TargetType is required")
        check_enum(target_type, "targetType", TARGET_TYPES)
        self._instance(instance_arn)
        permission_set = self._find_permission_set(instance_arn, permission_set_arn)
        if target_type == "AWS_ACCOUNT":
            if not target_id:
                raise ValidationException("TargetId is required when TargetType is AWS_ACCOUNT")
            if not ACCOUNT_ID.fullmatch(target_id):
                raise ValidationException(
                    f"1 validation error detected: Value '{target_id}' at 'targetId' failed to satisfy "
                    "constraint: Member must satisfy regular expression pattern: \\d{12}"
                )
            request = ProvisioningRequest(permission_set_arn, target_id, self._provision_to(permission_set, target_id))
        else:
            if target_id:
                raise ValidationException("TargetId must not be given when TargetType is ALL_PROVISIONED_ACCOUNTS")
            accounts = sorted(account for arn, account in self.provisioned if arn == permission_set_arn)
            failures = [reason for reason in (self._provision_to(permission_set, a) for a in accounts) if reason]
            request = ProvisioningRequest(permission_set_arn, None, "; ".join(failures) or None)
        self.provisioning_requests[request.request_id] = request
        return request.to_json(status="IN_PROGRESS")

    def describe_permission_set_provisioning_status(self, instance_arn, provision_permission_set_request_id):
        self._instance(instance_arn)
        request = self.provisioning_requests.get(provision_permission_set_request_id)
        if request is None:
            raise ResourceNotFoundException(
                f"Could not find provisioning request with id {provision_permission_set_request_id}")
        return request.to_json()

    def list_permission_set_provisioning_status(self, instance_arn, status=None, max_results=None, next_token=None):
        self._instance(instance_arn)
        check_enum(status, "filter.status", REQUEST_STATUSES)
        requests = sorted(self.provisioning_requests.values(), key=lambda r: (r.created_date, r.request_id))
        matching = [r.metadata() for r in requests if status is None or r.status == status]
        return page(matching, max_results, next_token)

    def _accounts_of(self, permission_set_arn, provisioning_status):
        current = self._revision(permission_set_arn)
        accounts = []
        for (arn, account), revision in sorted(self.provisioned.items()):
            if arn != permission_set_arn:
                continue
            latest = revision == current
            if (provisioning_status is None
                    or (provisioning_status == "LATEST_PERMISSION_SET_PROVISIONED") == latest):
                accounts.append(account)
        return accounts

    def list_accounts_for_provisioned_permission_set(
        self, instance_arn, permission_set_arn, provisioning_status=None, max_results=None, next_token=None
    ):
        check_enum(provisioning_status, "provisioningStatus", PROVISIONING_STATUSES)
        self._instance(instance_arn)
        self._find_permission_set(instance_arn, permission_set_arn)
        return page(self._accounts_of(permission_set_arn, provisioning_status), max_results, next_token)

    def list_permission_sets_provisioned_to_account(
        self, instance_arn, account_id=None, provisioning_status=None, max_results=None, next_token=None
    ):
        if not account_id:
            raise ValidationException("AccountId is required")
        check_enum(provisioning_status, "provisioningStatus", PROVISIONING_STATUSES)
        self._instance(instance_arn)
        arns = [
            ps.permission_set_arn for ps in self.permission_sets
            if ps.instance_arn == instance_arn
            and account_id in self._accounts_of(ps.permission_set_arn, provisioning_status)
        ]
        return page(arns, max_results, next_token)


ssoadmin_backends = BackendDict(SSOAdminBackend, "sso-admin")
