from moto.core.responses import ActionResult, EmptyResult
from moto.sagemaker.responses import SageMakerResponse as MotoSageMakerResponse

from .models import sagemaker_backends


class SageMakerResponse(MotoSageMakerResponse):
    @property
    def sagemaker_backend(self):
        return sagemaker_backends[self.current_account][self.region]

    def create_domain(self):
        return ActionResult(self.sagemaker_backend.create_domain(
            domain_name=self._get_param("DomainName"),
            auth_mode=self._get_param("AuthMode"),
            default_user_settings=self._get_param("DefaultUserSettings"),
            domain_settings=self._get_param("DomainSettings"),
            subnet_ids=self._get_param("SubnetIds"),
            vpc_id=self._get_param("VpcId"),
            tags=self._get_param("Tags"),
            app_network_access_type=self._get_param("AppNetworkAccessType"),
            home_efs_file_system_kms_key_id=self._get_param("HomeEfsFileSystemKmsKeyId"),
            kms_key_id=self._get_param("KmsKeyId"),
            app_security_group_management=self._get_param("AppSecurityGroupManagement"),
            default_space_settings=self._get_param("DefaultSpaceSettings"),
            home_efs_file_system_creation=self._get_param("HomeEfsFileSystemCreation"),
            tag_propagation=self._get_param("TagPropagation"),
        ))

    def update_domain(self):
        arn = self.sagemaker_backend.update_domain(
            domain_id=self._get_param("DomainId"),
            default_user_settings=self._get_param("DefaultUserSettings"),
            domain_settings_for_update=self._get_param("DomainSettingsForUpdate"),
            app_security_group_management=self._get_param("AppSecurityGroupManagement"),
            default_space_settings=self._get_param("DefaultSpaceSettings"),
            subnet_ids=self._get_param("SubnetIds"),
            app_network_access_type=self._get_param("AppNetworkAccessType"),
            tag_propagation=self._get_param("TagPropagation"),
            home_efs_file_system_creation=self._get_param("HomeEfsFileSystemCreation"),
            vpc_id=self._get_param("VpcId"),
        )
        return ActionResult({"DomainArn": arn})

    def create_user_profile(self):
        profile = self.sagemaker_backend.create_user_profile(
            domain_id=self._get_param("DomainId"),
            user_profile_name=self._get_param("UserProfileName"),
            single_sign_on_user_identifier=self._get_param("SingleSignOnUserIdentifier"),
            single_sign_on_user_value=self._get_param("SingleSignOnUserValue"),
            tags=self._get_param("Tags"),
            user_settings=self._get_param("UserSettings"),
        )
        return ActionResult({"UserProfileArn": profile.arn})

    def describe_user_profile(self):
        return ActionResult(self.sagemaker_backend.describe_user_profile(
            domain_id=self._get_param("DomainId"), user_profile_name=self._get_param("UserProfileName"),
        ))

    def list_user_profiles(self):
        profiles, next_token = self.sagemaker_backend.list_user_profiles(
            domain_id_equals=self._get_param("DomainIdEquals"),
            user_profile_name_contains=self._get_param("UserProfileNameContains"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return ActionResult({"UserProfiles": [p.summary() for p in profiles], "NextToken": next_token})

    def delete_user_profile(self):
        self.sagemaker_backend.delete_user_profile(
            domain_id=self._get_param("DomainId"), user_profile_name=self._get_param("UserProfileName"),
        )
        return EmptyResult()

    def create_space(self):
        space = self.sagemaker_backend.create_space(
            domain_id=self._get_param("DomainId"),
            space_name=self._get_param("SpaceName"),
            tags=self._get_param("Tags"),
            space_settings=self._get_param("SpaceSettings"),
            ownership_settings=self._get_param("OwnershipSettings"),
            space_sharing_settings=self._get_param("SpaceSharingSettings"),
            space_display_name=self._get_param("SpaceDisplayName"),
        )
        return ActionResult({"SpaceArn": space.arn})

    def describe_space(self):
        return ActionResult(self.sagemaker_backend.describe_space(
            domain_id=self._get_param("DomainId"), space_name=self._get_param("SpaceName"),
        ))

    def list_spaces(self):
        spaces, next_token = self.sagemaker_backend.list_spaces(
            domain_id_equals=self._get_param("DomainIdEquals"),
            space_name_contains=self._get_param("SpaceNameContains"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return ActionResult({"Spaces": [space.summary() for space in spaces], "NextToken": next_token})

    def delete_space(self):
        self.sagemaker_backend.delete_space(
            domain_id=self._get_param("DomainId"), space_name=self._get_param("SpaceName"),
        )
        return EmptyResult()

    def _app_key(self):
        return {
            "domain_id": self._get_param("DomainId"),
            "user_profile_name": self._get_param("UserProfileName"),
            "space_name": self._get_param("SpaceName"),
            "app_type": self._get_param("AppType"),
            "app_name": self._get_param("AppName"),
        }

    def create_app(self):
        app = self.sagemaker_backend.create_app(
            tags=self._get_param("Tags"), resource_spec=self._get_param("ResourceSpec"), **self._app_key(),
        )
        return ActionResult({"AppArn": app.arn})

    def describe_app(self):
        return ActionResult(self.sagemaker_backend.describe_app(**self._app_key()))

    def list_apps(self):
        apps, next_token = self.sagemaker_backend.list_apps(
            domain_id_equals=self._get_param("DomainIdEquals"),
            user_profile_name_equals=self._get_param("UserProfileNameEquals"),
            space_name_equals=self._get_param("SpaceNameEquals"),
            next_token=self._get_param("NextToken"),
            max_results=self._get_param("MaxResults"),
        )
        return ActionResult({"Apps": [a.summary() for a in apps], "NextToken": next_token})

    def delete_app(self):
        self.sagemaker_backend.delete_app(**self._app_key())
        return EmptyResult()

    def create_presigned_domain_url(self):
        url = self.sagemaker_backend.create_presigned_domain_url(
            domain_id=self._get_param("DomainId"),
            user_profile_name=self._get_param("UserProfileName"),
            space_name=self._get_param("SpaceName"),
            landing_uri=self._get_param("LandingUri"),
        )
        return ActionResult({"AuthorizedUrl": url})

    def create_model(self):
        model = self.sagemaker_backend.create_model(
            model_name=self._get_param("ModelName"),
            execution_role_arn=self._get_param("ExecutionRoleArn"),
            primary_container=self._get_param("PrimaryContainer"),
            vpc_config=self._get_param("VpcConfig"),
            containers=self._get_param("Containers"),
            tags=self._get_param("Tags"),
            enable_network_isolation=self._get_param("EnableNetworkIsolation"),
        )
        return ActionResult(model.response_create)

    def create_processing_job(self):
        job = self.sagemaker_backend.create_processing_job(
            app_specification=self._get_param("AppSpecification"),
            experiment_config=self._get_param("ExperimentConfig"),
            network_config=self._get_param("NetworkConfig"),
            processing_inputs=self._get_param("ProcessingInputs"),
            processing_job_name=self._get_param("ProcessingJobName"),
            processing_output_config=self._get_param("ProcessingOutputConfig"),
            processing_resources=self._get_param("ProcessingResources"),
            environment=self._get_param("Environment"),
            role_arn=self._get_param("RoleArn"),
            stopping_condition=self._get_param("StoppingCondition"),
            tags=self._get_param("Tags"),
        )
        return ActionResult({"ProcessingJobArn": job.arn})
