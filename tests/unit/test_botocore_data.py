"""botocore's JSON is parsed once per interpreter once the collection's modules share their loaders' cache,
as in the warm interpreter of the mitogen strategy, where every task makes a session of its own."""

import boto3
import botocore.loaders
import pytest
from ansible_collections.mlperimeter.aws.plugins.module_utils import botocore_data


@pytest.fixture
def parsed_files(monkeypatch):
    """The paths botocore's file loader parses, in order; Loader and the shared caches restored afterwards."""
    loader_init = botocore.loaders.Loader.__init__
    monkeypatch.setattr(botocore.loaders.Loader, "__init__", getattr(loader_init, "__wrapped__", loader_init))
    monkeypatch.setattr(botocore_data, "_CACHES", {})
    parsed = []
    load_file = botocore.loaders.JSONFileLoader.load_file

    def counting(self, file_path):
        parsed.append(file_path)
        return load_file(self, file_path)

    monkeypatch.setattr(botocore.loaders.JSONFileLoader, "load_file", counting)
    return parsed


def new_ec2_client():
    return boto3.session.Session().client("ec2", region_name="us-east-1", aws_access_key_id="x",
                                          aws_secret_access_key="x")


def test_without_sharing_each_session_parses_the_model_again(parsed_files):
    new_ec2_client()
    first = len(parsed_files)
    new_ec2_client()
    assert first > 0
    assert len(parsed_files) == 2 * first


def test_shared_sessions_parse_each_file_once_and_build_the_same_client(parsed_files):
    botocore_data.share_parsed_models()
    first = new_ec2_client()
    parsed_once = list(parsed_files)
    second = new_ec2_client()

    assert parsed_files == parsed_once
    assert any(path.endswith("ec2/2016-11-15/service-2") for path in parsed_once)
    assert second is not first
    assert second.meta.service_model.operation_names == first.meta.service_model.operation_names
    assert second.meta.endpoint_url == "https://ec2.us-east-1.amazonaws.com"


def test_sharing_twice_wraps_the_loader_once(parsed_files):
    botocore_data.share_parsed_models()
    wrapped = botocore.loaders.Loader.__init__
    botocore_data.share_parsed_models()
    assert botocore.loaders.Loader.__init__ is wrapped


def test_loaders_with_other_search_paths_keep_their_own_cache(parsed_files, tmp_path):
    botocore_data.share_parsed_models()
    default = botocore.loaders.Loader()
    other = botocore.loaders.Loader(extra_search_paths=[str(tmp_path)])
    assert default._cache is botocore.loaders.Loader()._cache
    assert other._cache is not default._cache
