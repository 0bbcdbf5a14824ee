import json

from moto.ssoadmin.responses import SSOAdminResponse as MotoSSOAdminResponse

from .models import ssoadmin_backends


class SSOAdminResponse(MotoSSOAdminResponse):
    @property
    def ssoadmin_backend(self):
        return ssoadmin_backends[self.current_account][self.region]

    def provision_permission_set(self):
        status = self.ssoadmin_backend.provision_permission_set(
            instance_arn=self._get_param("InstanceArn"),
            permission_set_arn=self._get_param("PermissionSetArn"),
            target_id=self._get_param("TargetId"),
            target_type=self._get_param("TargetType"),
        )
        return json.dumps({"PermissionSetProvisioningStatus": status})

    def describe_permission_set_provisioning_status(self):
        status = self.ssoadmin_backend.describe_permission_set_provisioning_status(
            instance_arn=self._get_param("InstanceArn"),
            provision_permission_set_request_id=self._get_param("ProvisionPermissionSetRequestId"),
        )
        return json.dumps({"PermissionSetProvisioningStatus": status})

    def list_permission_set_provisioning_status(self):
        statuses, token = self.ssoadmin_backend.list_permission_set_provisioning_status(
            instance_arn=self._get_param("InstanceArn"),
            status=(self._get_param("Filter") or {}).get("Status"),
            max_results=self._get_param("MaxResults"),
            next_token=self._get_param("NextToken"),
        )
        return json.dumps(_with_token({"PermissionSetsProvisioningStatus": statuses}, token))

    def list_accounts_for_provisioned_permission_set(self):
        accounts, token = self.ssoadmin_backend.list_accounts_for_provisioned_permission_set(
            instance_arn=self._get_param("InstanceArn"),
            permission_set_arn=self._get_param("PermissionSetArn"),
            provisioning_status=self._get_param("ProvisioningStatus"),
            max_results=self._get_param("MaxResults"),
            next_token=self._get_param("NextToken"),
        )
        return json.dumps(_with_token({"AccountIds": accounts}, token))

    def list_permission_sets_provisioned_to_account(self):
        arns, token = self.ssoadmin_backend.list_permission_sets_provisioned_to_account(
            instance_arn=self._get_param("InstanceArn"),
            account_id=self._get_param("AccountId"),
            provisioning_status=self._get_param("ProvisioningStatus"),
            max_results=self._get_param("MaxResults"),
            next_token=self._get_param("NextToken"),
        )
        return json.dumps(_with_token({"PermissionSets": arns}, token))

    def tag_resource(self):
        self.ssoadmin_backend.tag_resource(
            instance_arn=self._get_param("InstanceArn"),
            resource_arn=self._get_param("ResourceArn"),
            tags=self._get_param("Tags") or [],
        )
        return "{}"

    def untag_resource(self):
        self.ssoadmin_backend.untag_resource(
            instance_arn=self._get_param("InstanceArn"),
            resource_arn=self._get_param("ResourceArn"),
            tag_keys=self._get_param("TagKeys") or [],
        )
        return "{}"

    def list_tags_for_resource(self):
        tags, token = self.ssoadmin_backend.list_tags_for_resource(
            instance_arn=self._get_param("InstanceArn"),
            resource_arn=self._get_param("ResourceArn"),
            next_token=self._get_param("NextToken"),
        )
        return json.dumps(_with_token({"Tags": tags}, token))


def _with_token(answer, token):
    if token:
        answer["NextToken"] = token
    return answer
