"""SageMaker AI: moto's backend with Studio domains, user profiles, spaces and apps as AWS has them.

moto's domains have made-up identifiers and URLs, accept any enum value and
network, and cannot be updated; user profiles, apps and presigned URLs are
missing, and so are spaces. AddTags adds a second tag of a key instead of replacing
its value. Models lose ``EnableNetworkIsolation`` and processing jobs their
``ProcessingResources``. Everything else is moto's.
"""

import re

from moto.core.base_backend import BackendDict
from moto.core.utils import utcnow
from moto.ec2.exceptions import InvalidSubnetIdError
from moto.ec2.models import ec2_backends
from moto.moto_api._internal import mock_random
from moto.sagemaker.models import BaseObject, SageMakerModelBackend
from moto.sagemaker.utils import arn_formatter
from moto.utilities.paginator import paginate

from .exceptions import ConstraintViolation, ResourceInUseException, ResourceNotFound, ValidationError

AUTH_MODES = ["SSO", "IAM"]
APP_NETWORK_ACCESS_TYPES = ["PublicInternetOnly", "VpcOnly"]
APP_SECURITY_GROUP_MANAGEMENT = ["Service", "Customer"]
HOME_EFS_CREATION = ["Enabled", "Disabled"]
TAG_PROPAGATION = ["ENABLED", "DISABLED"]
ENABLED_DISABLED = ["Enabled", "Disabled"]
APP_TYPES = [
    "JupyterServer", "KernelGateway", "DetailedProfiler", "TensorBoard", "CodeEditor", "JupyterLab",
    "RStudioServerPro", "RSessionGateway", "Canvas",
]
# Apps in these states keep a domain's network configuration from changing.
ACTIVE_APP_STATES = ("InService", "Pending", "Deleting")

NAME_PATTERN = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
ROLE_ARN_PATTERN = r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
MAX_USER_SECURITY_GROUPS = 5
MAX_DOMAIN_SECURITY_GROUPS = 3

PAGINATION_MODEL = {
    "list_user_profiles": {
        "input_token": "next_token", "limit_key": "max_results", "limit_default": 10, "unique_attribute": "arn",
    },
    "list_apps": {
        "input_token": "next_token", "limit_key": "max_results", "limit_default": 10, "unique_attribute": "arn",
    },
    "list_spaces": {
        "input_token": "next_token", "limit_key": "max_results", "limit_default": 10, "unique_attribute": "arn",
    },
}


def check_enum(value, path, allowed):
    if value is not None and value not in allowed:
        raise ConstraintViolation(value, path, f"Member must satisfy enum value set: [{', '.join(allowed)}]")


def check_pattern(value, path, pattern):
    if value is not None and not re.fullmatch(pattern, value):
        raise ConstraintViolation(value, path, f"Member must satisfy regular expression pattern: {pattern}")


def check_max_length(values, path, maximum):
    if values is not None and len(values) > maximum:
        raise ConstraintViolation(
            values, path, f"Member must have length less than or equal to {maximum}"
        )


def merge(current, update):
    """UpdateDomain replaces the top-level members it is sent and keeps the others."""
    merged = dict(current or {})
    merged.update(update or {})
    return merged


def drop_none(values):
    return {key: value for key, value in values.items() if value is not None}


class Domain(BaseObject):
    def __init__(self, account_id, region_name, name, auth_mode, vpc_id, subnet_ids, app_network_access_type,
                 default_user_settings, domain_settings, default_space_settings, app_security_group_management,
                 home_efs_file_system_kms_key_id, kms_key_id, home_efs_file_system_creation, tag_propagation, tags):
        self.id = f"d-{mock_random.get_random_string(12, lower_case=True)}"
        self.account_id = account_id
        self.region_name = region_name
        self.arn = arn_formatter("domain", self.id, account_id, region_name)
        self.domain_name = name
        self.auth_mode = auth_mode
        self.vpc_id = vpc_id
        self.subnet_ids = list(subnet_ids or [])
        self.app_network_access_type = app_network_access_type or "PublicInternetOnly"
        self.default_user_settings = default_user_settings
        self.domain_settings = domain_settings
        self.default_space_settings = default_space_settings
        self.app_security_group_management = app_security_group_management
        self.kms_key_id = kms_key_id
        self.home_efs_file_system_kms_key_id = home_efs_file_system_kms_key_id or kms_key_id
        self.home_efs_file_system_creation = home_efs_file_system_creation
        self.tag_propagation = tag_propagation
        self.tags = list(tags or [])
        self.home_efs_file_system_id = None
        if home_efs_file_system_creation != "Disabled":
            self.home_efs_file_system_id = f"fs-{mock_random.get_random_hex(17)}"
        self.security_group_id_for_domain_boundary = f"sg-{mock_random.get_random_hex(17)}"
        self.single_sign_on_managed_application_instance_id = None
        self.single_sign_on_application_arn = None
        if auth_mode == "SSO":
            instance = f"ssoins-{mock_random.get_random_hex(16)}"
            self.single_sign_on_managed_application_instance_id = instance
            self.single_sign_on_application_arn = (
                f"arn:aws:sso::{account_id}:application/{instance}/apl-{mock_random.get_random_hex(16)}"
            )
        self.url = f"https://{self.id}.studio.{region_name}.sagemaker.aws"
        self.status = "InService"
        self.creation_time = self.last_modified_time = utcnow()

    def describe(self):
        return drop_none({
            "DomainArn": self.arn,
            "DomainId": self.id,
            "DomainName": self.domain_name,
            "HomeEfsFileSystemId": self.home_efs_file_system_id,
            "SingleSignOnManagedApplicationInstanceId": self.single_sign_on_managed_application_instance_id,
            "SingleSignOnApplicationArn": self.single_sign_on_application_arn,
            "Status": self.status,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "SecurityGroupIdForDomainBoundary": self.security_group_id_for_domain_boundary,
            "AuthMode": self.auth_mode,
            "DefaultUserSettings": self.default_user_settings,
            "DomainSettings": self.domain_settings,
            "AppNetworkAccessType": self.app_network_access_type,
            "HomeEfsFileSystemKmsKeyId": self.home_efs_file_system_kms_key_id,
            "SubnetIds": self.subnet_ids,
            "Url": self.url,
            "VpcId": self.vpc_id,
            "KmsKeyId": self.kms_key_id,
            "AppSecurityGroupManagement": self.app_security_group_management,
            "HomeEfsFileSystemCreation": self.home_efs_file_system_creation,
            "TagPropagation": self.tag_propagation,
            "DefaultSpaceSettings": self.default_space_settings,
        })

    def summary(self):
        return {
            "DomainArn": self.arn,
            "DomainId": self.id,
            "DomainName": self.domain_name,
            "Status": self.status,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "Url": self.url,
        }


class UserProfile(BaseObject):
    def __init__(self, domain, name, user_settings, single_sign_on_user_identifier, single_sign_on_user_value, tags):
        self.domain_id = domain.id
        self.user_profile_name = name
        self.arn = arn_formatter("user-profile", f"{domain.id}/{name}", domain.account_id, domain.region_name)
        self.user_settings = user_settings
        self.single_sign_on_user_identifier = single_sign_on_user_identifier
        self.single_sign_on_user_value = single_sign_on_user_value
        self.home_efs_file_system_uid = str(mock_random.randint(200000, 299999))
        self.tags = list(tags or [])
        self.status = "InService"
        self.creation_time = self.last_modified_time = utcnow()

    def describe(self):
        return drop_none({
            "DomainId": self.domain_id,
            "UserProfileArn": self.arn,
            "UserProfileName": self.user_profile_name,
            "HomeEfsFileSystemUid": self.home_efs_file_system_uid,
            "Status": self.status,
            "LastModifiedTime": self.last_modified_time,
            "CreationTime": self.creation_time,
            "SingleSignOnUserIdentifier": self.single_sign_on_user_identifier,
            "SingleSignOnUserValue": self.single_sign_on_user_value,
            "UserSettings": self.user_settings,
        })

    def summary(self):
        return {
            "DomainId": self.domain_id,
            "UserProfileName": self.user_profile_name,
            "Status": self.status,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
        }


class Space(BaseObject):
    def __init__(self, domain, name, space_settings, ownership_settings, space_sharing_settings, display_name, tags):
        self.domain_id = domain.id
        self.space_name = name
        self.arn = arn_formatter("space", f"{domain.id}/{name}", domain.account_id, domain.region_name)
        self.space_settings = space_settings
        self.ownership_settings = ownership_settings
        self.space_sharing_settings = space_sharing_settings
        self.space_display_name = display_name
        self.home_efs_file_system_uid = str(mock_random.randint(200000, 299999))
        self.tags = list(tags or [])
        self.status = "InService"
        self.creation_time = self.last_modified_time = utcnow()

    def describe(self):
        return drop_none({
            "DomainId": self.domain_id,
            "SpaceArn": self.arn,
            "SpaceName": self.space_name,
            "HomeEfsFileSystemUid": self.home_efs_file_system_uid,
            "Status": self.status,
            "LastModifiedTime": self.last_modified_time,
            "CreationTime": self.creation_time,
            "SpaceSettings": self.space_settings,
            "OwnershipSettings": self.ownership_settings,
            "SpaceSharingSettings": self.space_sharing_settings,
            "SpaceDisplayName": self.space_display_name,
        })

    def summary(self):
        return drop_none({
            "DomainId": self.domain_id,
            "SpaceName": self.space_name,
            "Status": self.status,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "OwnershipSettingsSummary": self.ownership_settings,
            "SpaceSharingSettingsSummary": self.space_sharing_settings,
            "SpaceDisplayName": self.space_display_name,
        })


class App(BaseObject):
    def __init__(self, domain, user_profile_name, space_name, app_type, app_name, resource_spec, tags):
        self.domain_id = domain.id
        self.user_profile_name = user_profile_name
        self.space_name = space_name
        self.app_type = app_type
        self.app_name = app_name
        owner = user_profile_name or space_name
        self.arn = arn_formatter(
            "app", f"{domain.id}/{owner}/{app_type.lower()}/{app_name}", domain.account_id, domain.region_name
        )
        self.resource_spec = resource_spec
        self.tags = list(tags or [])
        self.status = "InService"
        self.creation_time = self.last_user_activity_timestamp = utcnow()

    @property
    def key(self):
        return (self.domain_id, self.user_profile_name or self.space_name, self.app_type, self.app_name)

    def describe(self):
        return drop_none({
            "AppArn": self.arn,
            "AppType": self.app_type,
            "AppName": self.app_name,
            "DomainId": self.domain_id,
            "UserProfileName": self.user_profile_name,
            "SpaceName": self.space_name,
            "Status": self.status,
            "LastUserActivityTimestamp": self.last_user_activity_timestamp,
            "CreationTime": self.creation_time,
            "ResourceSpec": self.resource_spec,
        })

    def summary(self):
        return drop_none({
            "DomainId": self.domain_id,
            "UserProfileName": self.user_profile_name,
            "SpaceName": self.space_name,
            "AppType": self.app_type,
            "AppName": self.app_name,
            "Status": self.status,
            "CreationTime": self.creation_time,
            "ResourceSpec": self.resource_spec,
        })


class SageMakerBackend(SageMakerModelBackend):
    def __init__(self, region_name, account_id):
        super().__init__(region_name, account_id)
        self.user_profiles = {}
        self.spaces = {}
        self.apps = {}

    # --- network configuration, checked against this account's EC2 ---

    def _check_network(self, vpc_id, subnet_ids=(), security_groups=()):
        """Subnets and security groups must exist and sit in ``vpc_id``; ``security_groups`` is (path, ids) pairs."""
        ec2 = ec2_backends[self.account_id][self.region_name]
        if vpc_id is not None and vpc_id not in ec2.vpcs:
            raise ValidationError(f"Invalid VpcId: VPC '{vpc_id}' does not exist.")
        for subnet_id in subnet_ids or []:
            try:
                subnet = ec2.get_subnet(subnet_id)
            except InvalidSubnetIdError:
                raise ValidationError(f"Invalid SubnetIds: subnet '{subnet_id}' does not exist.") from None
            if vpc_id is not None and subnet.vpc_id != vpc_id:
                raise ValidationError(f"Invalid SubnetIds: subnet '{subnet_id}' is not in VPC '{vpc_id}'.")
        for path, group_ids in security_groups:
            for group_id in group_ids or []:
                group = ec2.get_security_group_from_id(group_id)
                if group is None:
                    raise ValidationError(f"Invalid {path}: security group '{group_id}' does not exist.")
                if vpc_id is not None and group.vpc_id != vpc_id:
                    raise ValidationError(f"Invalid {path}: security group '{group_id}' is not in VPC '{vpc_id}'.")

    @staticmethod
    def _check_user_settings(settings, path):
        settings = settings or {}
        check_pattern(settings.get("ExecutionRole"), f"{path}.executionRole", ROLE_ARN_PATTERN)
        check_max_length(settings.get("SecurityGroups"), f"{path}.securityGroups", MAX_USER_SECURITY_GROUPS)

    # --- domains ---

    def _domain(self, domain_id):
        domain = self.domains.get(domain_id)
        if domain is None:
            raise ResourceNotFound(message=f"Cannot find Domain with ID {domain_id}")
        return domain

    def create_domain(self, domain_name, auth_mode, default_user_settings, subnet_ids, vpc_id, domain_settings,
                      tags, app_network_access_type, home_efs_file_system_kms_key_id, kms_key_id,
                      app_security_group_management, default_space_settings, home_efs_file_system_creation=None,
                      tag_propagation=None):
        check_pattern(domain_name, "domainName", NAME_PATTERN)
        check_enum(auth_mode, "authMode", AUTH_MODES)
        check_enum(app_network_access_type, "appNetworkAccessType", APP_NETWORK_ACCESS_TYPES)
        check_enum(app_security_group_management, "appSecurityGroupManagement", APP_SECURITY_GROUP_MANAGEMENT)
        check_enum(home_efs_file_system_creation, "homeEfsFileSystemCreation", HOME_EFS_CREATION)
        check_enum(tag_propagation, "tagPropagation", TAG_PROPAGATION)
        self._check_user_settings(default_user_settings, "defaultUserSettings")
        check_max_length((domain_settings or {}).get("SecurityGroupIds"), "domainSettings.securityGroupIds",
                         MAX_DOMAIN_SECURITY_GROUPS)
        # Outside SageMaker Unified Studio a domain always has a VPC; VpcOnly routes all its traffic there.
        if not subnet_ids or not vpc_id:
            mode = app_network_access_type or "PublicInternetOnly"
            raise ValidationError(f"SubnetIds and VpcId are required for a domain with AppNetworkAccessType {mode}.")
        self._check_network(vpc_id, subnet_ids, [
            ("DefaultUserSettings.SecurityGroups", (default_user_settings or {}).get("SecurityGroups")),
            ("DomainSettings.SecurityGroupIds", (domain_settings or {}).get("SecurityGroupIds")),
            ("DefaultSpaceSettings.SecurityGroups", (default_space_settings or {}).get("SecurityGroups")),
        ])
        if any(d.domain_name == domain_name for d in self.domains.values()):
            raise ResourceInUseException(
                message=f"Resource Already Exists: Domain with name {domain_name} already exists. "
                "Choose a different name."
            )
        domain = Domain(
            self.account_id, self.region_name, domain_name, auth_mode, vpc_id, subnet_ids, app_network_access_type,
            default_user_settings, domain_settings, default_space_settings, app_security_group_management,
            home_efs_file_system_kms_key_id, kms_key_id, home_efs_file_system_creation, tag_propagation, tags,
        )
        self.domains[domain.id] = domain
        return {"DomainArn": domain.arn, "DomainId": domain.id, "Url": domain.url}

    def describe_domain(self, domain_id):
        return self._domain(domain_id).describe()

    def update_domain(self, domain_id, default_user_settings=None, domain_settings_for_update=None,
                      app_security_group_management=None, default_space_settings=None, subnet_ids=None,
                      app_network_access_type=None, tag_propagation=None, home_efs_file_system_creation=None,
                      vpc_id=None):
        domain = self._domain(domain_id)
        if domain.status != "InService":
            raise ResourceInUseException(message=f"Domain {domain.arn} is in status {domain.status}.")
        check_enum(app_network_access_type, "appNetworkAccessType", APP_NETWORK_ACCESS_TYPES)
        check_enum(app_security_group_management, "appSecurityGroupManagement", APP_SECURITY_GROUP_MANAGEMENT)
        check_enum(home_efs_file_system_creation, "homeEfsFileSystemCreation", HOME_EFS_CREATION)
        check_enum(tag_propagation, "tagPropagation", TAG_PROPAGATION)
        self._check_user_settings(default_user_settings, "defaultUserSettings")
        settings_update = dict(domain_settings_for_update or {})
        check_max_length(settings_update.get("SecurityGroupIds"), "domainSettingsForUpdate.securityGroupIds",
                         MAX_DOMAIN_SECURITY_GROUPS)
        if subnet_ids is not None and not subnet_ids:
            raise ConstraintViolation(subnet_ids, "subnetIds", "Member must have length greater than or equal to 1")
        if vpc_id is not None and domain.vpc_id is not None and vpc_id != domain.vpc_id:
            raise ValidationError(
                f"VpcId can only be set on a domain created without a VPC; domain {domain_id} is in {domain.vpc_id}."
            )
        target_vpc = domain.vpc_id or vpc_id
        self._check_network(target_vpc, subnet_ids, [
            ("DefaultUserSettings.SecurityGroups", (default_user_settings or {}).get("SecurityGroups")),
            ("DomainSettingsForUpdate.SecurityGroupIds", settings_update.get("SecurityGroupIds")),
            ("DefaultSpaceSettings.SecurityGroups", (default_space_settings or {}).get("SecurityGroups")),
        ])
        if home_efs_file_system_creation == "Disabled" and domain.home_efs_file_system_creation != "Disabled":
            raise ValidationError("HomeEfsFileSystemCreation cannot be changed from Enabled to Disabled.")
        rstudio = "RStudioServerProDomainSettingsForUpdate"
        network_change = (
            app_network_access_type is not None and app_network_access_type != domain.app_network_access_type
        )
        if network_change:
            role_set = (domain.domain_settings or {}).get("RStudioServerProDomainSettings", {}).get(
                "DomainExecutionRoleArn"
            ) or settings_update.get(rstudio, {}).get("DomainExecutionRoleArn")
            if role_set:
                raise ValidationError(
                    "AppNetworkAccessType cannot be updated when "
                    "DomainSettings.RStudioServerProDomainSettings.DomainExecutionRoleArn is set."
                )
            if app_network_access_type == "VpcOnly" and not ((subnet_ids or domain.subnet_ids) and target_vpc):
                raise ValidationError("AppNetworkAccessType VpcOnly requires the domain to have SubnetIds and a VpcId.")
        removed_subnets = subnet_ids is not None and set(domain.subnet_ids) - set(subnet_ids)
        if network_change or removed_subnets:
            active = [a for a in self.apps.values() if a.domain_id == domain_id and a.status in ACTIVE_APP_STATES]
            if active:
                field = "AppNetworkAccessType" if network_change else "SubnetIds"
                raise ResourceInUseException(
                    message=f"{field} of domain {domain_id} cannot be updated while it has apps in status "
                    f"InService, Pending or Deleting: {', '.join(a.app_name for a in active)}."
                )

        if default_user_settings is not None:
            domain.default_user_settings = merge(domain.default_user_settings, default_user_settings)
        if settings_update:
            settings = merge(domain.domain_settings, settings_update)
            if rstudio in settings:
                settings["RStudioServerProDomainSettings"] = merge(
                    settings.get("RStudioServerProDomainSettings"), settings.pop(rstudio)
                )
            domain.domain_settings = settings
        if default_space_settings is not None:
            domain.default_space_settings = merge(domain.default_space_settings, default_space_settings)
        if app_security_group_management is not None:
            domain.app_security_group_management = app_security_group_management
        if subnet_ids is not None:
            domain.subnet_ids = list(subnet_ids)
        if vpc_id is not None:
            domain.vpc_id = vpc_id
        if app_network_access_type is not None:
            domain.app_network_access_type = app_network_access_type
        if tag_propagation is not None:
            domain.tag_propagation = tag_propagation
        if home_efs_file_system_creation == "Enabled" and domain.home_efs_file_system_id is None:
            domain.home_efs_file_system_id = f"fs-{mock_random.get_random_hex(17)}"
        if home_efs_file_system_creation is not None:
            domain.home_efs_file_system_creation = home_efs_file_system_creation
        domain.last_modified_time = utcnow()
        return domain.arn

    def delete_domain(self, domain_id, retention_policy):
        self._domain(domain_id)
        profiles = [p.user_profile_name for p in self.user_profiles.values() if p.domain_id == domain_id]
        if profiles:
            raise ResourceInUseException(
                message=f"Domain {domain_id} cannot be deleted while it has user profiles: {', '.join(profiles)}."
            )
        spaces = [space.space_name for space in self.spaces.values() if space.domain_id == domain_id]
        if spaces:
            raise ResourceInUseException(
                message=f"Domain {domain_id} cannot be deleted while it has spaces: {', '.join(spaces)}."
            )
        del self.domains[domain_id]
        for key in [k for k, app in self.apps.items() if app.domain_id == domain_id]:
            del self.apps[key]

    # --- user profiles ---

    def _user_profile(self, domain_id, name):
        profile = self.user_profiles.get((domain_id, name))
        if profile is None:
            raise ResourceNotFound(message=f"User profile {name} does not exist in domain {domain_id}")
        return profile

    def create_user_profile(self, domain_id, user_profile_name, single_sign_on_user_identifier,
                            single_sign_on_user_value, tags, user_settings):
        domain = self._domain(domain_id)
        check_pattern(user_profile_name, "userProfileName", NAME_PATTERN)
        self._check_user_settings(user_settings, "userSettings")
        self._check_network(domain.vpc_id, (), [("UserSettings.SecurityGroups", (user_settings or {}).get(
            "SecurityGroups"))])
        if domain.auth_mode == "SSO" and not (single_sign_on_user_identifier and single_sign_on_user_value):
            raise ValidationError(
                "SingleSignOnUserIdentifier and SingleSignOnUserValue are required for domains in SSO auth mode."
            )
        if domain.auth_mode == "IAM" and (single_sign_on_user_identifier or single_sign_on_user_value):
            raise ValidationError(
                "SingleSignOnUserIdentifier and SingleSignOnUserValue are only supported for domains in SSO auth mode."
            )
        if (domain_id, user_profile_name) in self.user_profiles:
            raise ResourceInUseException(
                message=f"User profile {user_profile_name} already exists in domain {domain_id}"
            )
        profile = UserProfile(
            domain, user_profile_name, user_settings, single_sign_on_user_identifier, single_sign_on_user_value, tags
        )
        self.user_profiles[(domain_id, user_profile_name)] = profile
        return profile

    def describe_user_profile(self, domain_id, user_profile_name):
        return self._user_profile(domain_id, user_profile_name).describe()

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_user_profiles(self, domain_id_equals=None, user_profile_name_contains=None):
        return [
            p for p in self.user_profiles.values()
            if domain_id_equals in (None, p.domain_id)
            and (not user_profile_name_contains or user_profile_name_contains in p.user_profile_name)
        ]

    def delete_user_profile(self, domain_id, user_profile_name):
        self._user_profile(domain_id, user_profile_name)
        active = self._active_apps(domain_id, user_profile_name=user_profile_name)
        if active:
            raise ResourceInUseException(
                message=f"User profile {user_profile_name} cannot be deleted while it has apps: {', '.join(active)}."
            )
        del self.user_profiles[(domain_id, user_profile_name)]

    def _active_apps(self, domain_id, **owner):
        """Names of the apps not deleted in a domain that belong to ``owner`` (a user profile or a space)."""
        return [
            a.app_name for a in self.apps.values()
            if a.domain_id == domain_id and a.status != "Deleted"
            and all(getattr(a, attribute) == value for attribute, value in owner.items())
        ]

    # --- spaces ---

    def _space(self, domain_id, name):
        space = self.spaces.get((domain_id, name))
        if space is None:
            raise ResourceNotFound(message=f"Space {name} does not exist in domain {domain_id}")
        return space

    def create_space(self, domain_id, space_name, tags, space_settings, ownership_settings, space_sharing_settings,
                     space_display_name):
        domain = self._domain(domain_id)
        check_pattern(space_name, "spaceName", NAME_PATTERN)
        owner = (ownership_settings or {}).get("OwnerUserProfileName")
        if owner is not None:
            self._user_profile(domain_id, owner)
        if (domain_id, space_name) in self.spaces:
            raise ResourceInUseException(message=f"Space {space_name} already exists in domain {domain_id}")
        space = Space(domain, space_name, space_settings, ownership_settings, space_sharing_settings,
                      space_display_name, tags)
        self.spaces[(domain_id, space_name)] = space
        return space

    def describe_space(self, domain_id, space_name):
        return self._space(domain_id, space_name).describe()

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_spaces(self, domain_id_equals=None, space_name_contains=None):
        return [
            space for space in self.spaces.values()
            if domain_id_equals in (None, space.domain_id)
            and (not space_name_contains or space_name_contains in space.space_name)
        ]

    def delete_space(self, domain_id, space_name):
        self._space(domain_id, space_name)
        active = self._active_apps(domain_id, space_name=space_name)
        if active:
            raise ResourceInUseException(
                message=f"Space {space_name} cannot be deleted while it has apps: {', '.join(active)}."
            )
        del self.spaces[(domain_id, space_name)]

    # --- tags: AddTags overwrites the value of a key the resource already has ---

    def add_tags(self, arn, tags):
        resource = self._get_resource_from_arn(arn)
        keys = {tag["Key"] for tag in tags}
        resource.tags = [tag for tag in resource.tags if tag["Key"] not in keys] + list(tags)
        return resource.tags

    # --- apps and presigned URLs ---

    def create_app(self, domain_id, user_profile_name, space_name, app_type, app_name, tags, resource_spec):
        domain = self._domain(domain_id)
        check_enum(app_type, "appType", APP_TYPES)
        if bool(user_profile_name) == bool(space_name):
            raise ValidationError("Exactly one of UserProfileName and SpaceName must be specified.")
        if user_profile_name:
            self._user_profile(domain_id, user_profile_name)
        else:
            self._space(domain_id, space_name)
        app = App(domain, user_profile_name, space_name, app_type, app_name, resource_spec, tags)
        existing = self.apps.get(app.key)
        if existing is not None and existing.status != "Deleted":
            raise ResourceInUseException(message=f"App {existing.arn} already exists")
        self.apps[app.key] = app
        return app

    def _app(self, domain_id, user_profile_name, space_name, app_type, app_name):
        app = self.apps.get((domain_id, user_profile_name or space_name, app_type, app_name))
        if app is None:
            raise ResourceNotFound(message=f"App {app_name} of type {app_type} does not exist in domain {domain_id}")
        return app

    def describe_app(self, domain_id, user_profile_name, space_name, app_type, app_name):
        return self._app(domain_id, user_profile_name, space_name, app_type, app_name).describe()

    @paginate(pagination_model=PAGINATION_MODEL)
    def list_apps(self, domain_id_equals=None, user_profile_name_equals=None, space_name_equals=None):
        return [
            a for a in self.apps.values()
            if domain_id_equals in (None, a.domain_id)
            and user_profile_name_equals in (None, a.user_profile_name)
            and space_name_equals in (None, a.space_name)
        ]

    def delete_app(self, domain_id, user_profile_name, space_name, app_type, app_name):
        app = self._app(domain_id, user_profile_name, space_name, app_type, app_name)
        if app.status == "Deleted":
            raise ResourceNotFound(message=f"App {app.arn} has already been deleted")
        app.status = "Deleted"

    def create_presigned_domain_url(self, domain_id, user_profile_name, space_name=None, landing_uri=None):
        domain = self._domain(domain_id)
        if domain.auth_mode != "IAM":
            raise ValidationError(f"Presigned domain URLs are only supported for domains in IAM auth mode; "
                                  f"domain {domain_id} is in {domain.auth_mode} mode.")
        self._user_profile(domain_id, user_profile_name)
        token = mock_random.token_urlsafe(48)
        url = f"{domain.url}/auth?token={token}"
        if landing_uri:
            url += f"&landing_uri={landing_uri}"
        return url

    # --- jobs, models and notebooks: what moto drops or does not check ---

    def _get_resource_from_arn(self, arn):
        resource_type, _, name = arn.split(":", 5)[-1].partition("/")
        if resource_type == "user-profile":
            resource = self.user_profiles.get(tuple(name.split("/", 1)))
        elif resource_type == "space":
            resource = self.spaces.get(tuple(name.split("/", 1)))
        elif resource_type == "app":
            resource = next((a for a in self.apps.values() if a.arn == arn), None)
        else:
            resource = super()._get_resource_from_arn(arn)
        if resource is None:
            raise ResourceNotFound(message=f"Resource {arn} does not exist")
        return resource

    def create_model(self, model_name, execution_role_arn, primary_container, vpc_config, containers, tags,
                     enable_network_isolation=False):
        model = super().create_model(model_name, execution_role_arn, primary_container, vpc_config, containers, tags)
        model.enable_network_isolation = bool(enable_network_isolation)
        # moto stores a missing VpcConfig as {}, which DescribeModel cannot carry (its members are required).
        model.vpc_config = vpc_config or None
        return model

    def create_processing_job(self, processing_resources=None, environment=None, **kwargs):
        job = super().create_processing_job(**kwargs)
        job.processing_resources = processing_resources
        job.environment = environment
        return job

    def create_notebook_instance(self, notebook_instance_name, instance_type, role_arn, subnet_id=None,
                                 security_group_ids=None, direct_internet_access=None, root_access=None, **kwargs):
        check_enum(direct_internet_access, "directInternetAccess", ENABLED_DISABLED)
        check_enum(root_access, "rootAccess", ENABLED_DISABLED)
        if direct_internet_access == "Disabled" and not subnet_id:
            raise ValidationError("DirectInternetAccess can only be Disabled when a SubnetId is specified.")
        if security_group_ids and not subnet_id:
            raise ValidationError("SecurityGroupIds can only be specified together with a SubnetId.")
        if subnet_id:
            ec2 = ec2_backends[self.account_id][self.region_name]
            try:
                vpc_id = ec2.get_subnet(subnet_id).vpc_id
            except InvalidSubnetIdError:
                raise ValidationError(f"Invalid SubnetId: subnet '{subnet_id}' does not exist.") from None
            self._check_network(vpc_id, (), [("SecurityGroupIds", security_group_ids)])
        return super().create_notebook_instance(
            notebook_instance_name, instance_type, role_arn, subnet_id=subnet_id,
            security_group_ids=security_group_ids, direct_internet_access=direct_internet_access or "Enabled",
            root_access=root_access, **kwargs,
        )


sagemaker_backends = BackendDict(SageMakerBackend, "sagemaker")
