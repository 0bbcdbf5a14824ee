"""The per-service calls: retries, the busy-resource retry only where asked, not-found as None, paging, and a
failure raised as the service's error saying what failed."""

import botocore.exceptions
import pytest
from ansible_collections.mlperimeter.aws.plugins.module_utils import route53resolver as r53r
from ansible_collections.mlperimeter.aws.plugins.module_utils.service_calls import ServiceCalls


def client_error(code):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": code}}, "Operation")


class Client:
    """Answers ``get_thing`` with the errors given first, then ``{"Thing": 1}``."""

    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls = 0

    def get_thing(self, **kwargs):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"Thing": 1, **kwargs}


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)


CALLS = ServiceCalls(r53r.Route53ResolverErrorHandler, conflict_codes=["ConflictException"])


def test_a_throttled_call_is_retried():
    client = Client(client_error("ThrottlingException"), client_error("ThrottlingException"))
    assert CALLS.call(client, "get_thing", "get the thing", Id="t-1") == {"Thing": 1, "Id": "t-1"}
    assert client.calls == 3


def test_a_busy_resource_is_retried_only_where_asked():
    client = Client(client_error("ConflictException"))
    assert CALLS.call(client, "get_thing", "get the thing", retry_conflict=True) == {"Thing": 1}

    with pytest.raises(r53r.AnsibleRoute53ResolverError, match="get the thing"):
        CALLS.call(Client(client_error("ConflictException")), "get_thing", "get the thing")


def test_get_or_none_answers_none_for_a_missing_resource_and_raises_the_rest():
    assert CALLS.get_or_none(Client(client_error("ResourceNotFoundException")), "get_thing", "get the thing") is None
    with pytest.raises(r53r.AnsibleRoute53ResolverError, match="get the thing"):
        CALLS.get_or_none(Client(client_error("AccessDeniedException")), "get_thing", "get the thing")


def test_paginate_gathers_every_page():
    class Pages:
        def get_paginator(self, operation):
            assert operation == "list_things"
            return self

        def paginate(self, **kwargs):
            assert kwargs == {"Filter": "x"}
            return self

        def build_full_result(self):
            return {"Things": [1, 2, 3]}

    assert CALLS.paginate(Pages(), "list_things", "Things", "list the things", Filter="x") == [1, 2, 3]
