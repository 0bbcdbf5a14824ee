"""Where the emulator replaces or extends moto.

``BACKEND_OVERRIDES`` maps a moto service name to the module and attribute of the
``BackendDict`` that serves it instead of moto's own. Each override lives in a
sub-package laid out as moto lays out its services (``models``, ``responses``,
``urls``, ``exceptions``), subclassing moto's backend and responses where moto
already has part of the service.

``PATCH_MODULES`` are imported once at start-up; each fixes an API inside a moto
service that is too large to replace (EC2), through moto's own extension points.
"""

BACKEND_OVERRIDES = {
    "route53resolver": ("mlperimeter_emulator.route53resolver.models", "route53resolver_backends"),
    "workspaces-web": ("mlperimeter_emulator.workspacesweb.models", "workspacesweb_backends"),
    "sagemaker": ("mlperimeter_emulator.sagemaker.models", "sagemaker_backends"),
    "sso-admin": ("mlperimeter_emulator.ssoadmin.models", "ssoadmin_backends"),
}

PATCH_MODULES = [
    "mlperimeter_emulator.ec2.patches",
    "mlperimeter_emulator.ec2.deletion",
    "mlperimeter_emulator.route53.patches",
    "mlperimeter_emulator.organizations.patches",
]
