"""The base every mlperimeter module builds on.

``AnsibleAWSModule`` brings region, profile, keys, ``endpoint_url``, CA bundle and
retries; this subclass names the collection in the user agent, so AWS and the
emulator's call log can tell our calls apart, and has botocore parse each service
model once per interpreter (``botocore_data``).
"""

from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlperimeter.aws.plugins.module_utils.botocore_data import share_parsed_models

COLLECTION_NAME = "mlperimeter.aws"
COLLECTION_VERSION = "0.1.0"


class MLPerimeterAWSModule(AnsibleAWSModule):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        set_collection_info(collection_name=COLLECTION_NAME, collection_version=COLLECTION_VERSION)
        share_parsed_models()
