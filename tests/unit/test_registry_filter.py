"""The account registry's filters: VPC CIDR collisions and entry labels."""

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.mlperimeter.aws.plugins.filter.registry import registry_cidr_collisions, registry_entry_label

ENTRIES = [
    {"account_id": "222222222222", "name": "ml-research", "vpc_cidr": "10.30.0.0/16"},
    {"account_id": "333333333333", "name": "ml-forecasting", "vpc_cidr": "10.40.0.0/16"},
    {"account_id": "444444444444", "name": "ml-genomics"},
]


@pytest.mark.parametrize(("cidr", "colliding"), [
    ("10.30.0.0/16", ["222222222222"]),
    ("10.30.128.0/17", ["222222222222"]),
    ("10.0.0.0/8", ["222222222222", "333333333333"]),
    ("10.31.0.0/16", []),
    ("192.168.0.0/24", []),
    ("10.40.5.7/16", ["333333333333"]),
])
def test_collisions_are_the_entries_whose_cidr_overlaps(cidr, colliding):
    assert [e["account_id"] for e in registry_cidr_collisions(ENTRIES, cidr)] == colliding


def test_entries_without_a_cidr_never_collide():
    assert registry_cidr_collisions([ENTRIES[2]], "0.0.0.0/0") == []


@pytest.mark.parametrize("cidr", ["10.30.0.0/33", "ten.thirty", "", None])
def test_a_malformed_cidr_is_refused_naming_the_field(cidr):
    with pytest.raises(AnsibleFilterError, match=r"vpc_cidr must be a CIDR such as 10.30.0.0/16; got"):
        registry_cidr_collisions(ENTRIES, cidr)


def test_a_malformed_registered_cidr_names_its_account():
    with pytest.raises(AnsibleFilterError, match="vpc_cidr of registered account 555555555555"):
        registry_cidr_collisions([{"account_id": "555555555555", "vpc_cidr": "10.30.0.0/99"}], "10.31.0.0/16")


@pytest.mark.parametrize(("entry", "label"), [
    (ENTRIES[0], "ml-research (222222222222, 10.30.0.0/16)"),
    (ENTRIES[2], "ml-genomics (444444444444)"),
    ({"account_id": "555555555555"}, "555555555555 (555555555555)"),
])
def test_labels_name_the_account_and_its_cidr(entry, label):
    assert registry_entry_label(entry) == label
