"""The settled filter: when a gate may judge from its role's ensure tasks instead of reading again."""

import pytest
from ansible_collections.mlperimeter.aws.plugins.filter.task_results import settled

OK = {"changed": False, "policy": {"arn": "arn:aws:iam::123456789012:policy/p"}}


def loop(*items):
    return {"changed": any(i.get("changed") for i in items), "results": list(items), "msg": "All items completed"}


def test_results_that_ran_and_changed_nothing_are_settled():
    assert settled([OK, loop(dict(OK, item="a"), dict(OK, item="b"))]) is True


@pytest.mark.parametrize("result", [
    {"changed": True},
    {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"},
    {"changed": False, "failed": True, "msg": "boom"},
    {},
    None,
    loop(dict(OK, item="a"), {"changed": True, "item": "b"}),
    loop(dict(OK, item="a"), {"changed": False, "skipped": True, "item": "b"}),
    {"changed": False, "skipped": True, "results": []},
    {"changed": False, "results": []},
])
def test_a_change_a_skip_or_a_failure_anywhere_is_not_settled(result):
    assert settled([OK, result]) is False


def test_no_results_is_not_settled():
    assert settled([]) is False
