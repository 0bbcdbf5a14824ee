"""Calling the emulator in contract tests: every answer checked against botocore's output shape."""

import re

import pytest
from botocore.exceptions import ClientError

from support.shapes import assert_output_shape


def _method(operation):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def call(client, method, **kwargs):
    """Call the client ``method`` (snake_case) and check the answer against its output shape."""
    response = getattr(client, method)(**kwargs)
    assert_output_shape(client, client.meta.method_to_api_mapping[method], response)
    return response


def call_operation(client, operation, **params):
    """Call ``operation`` (as the API names it) and check the answer against its output shape."""
    response = getattr(client, _method(operation))(**params)
    assert_output_shape(client, operation, response)
    return response


def refused(client, operation, code, *fragments, **params):
    """Call ``operation``, expect error ``code``, and check the message names each fragment."""
    with pytest.raises(ClientError) as raised:
        getattr(client, _method(operation))(**params)
    error = raised.value.response["Error"]
    assert error["Code"] == code, error
    for fragment in fragments:
        assert fragment.lower() in error["Message"].lower(), error["Message"]
    return error["Message"]
