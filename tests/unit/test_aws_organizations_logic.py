"""The aws_organizations inventory plugin's pure parts: sanitised names, OU path matching, tag filters, wave
ordering, option checks and the hosts and groups a set of accounts makes, without AWS."""

import pytest
from ansible_collections.mlperimeter.aws.plugins.inventory import aws_organizations as inv
from ansible_collections.mlperimeter.aws.plugins.module_utils import organizations

DEFAULTS = {
    "ou_paths": ["/Root/ML"], "tag_filters": {}, "access_accounts": [], "role_tag": "mlperimeter:role",
    "default_role": "ml", "hostname_tag": "mlperimeter:hostname", "region_tag": "mlperimeter:region",
    "default_region": "eu-central-1", "wave_tag": "mlperimeter:wave", "wave_order_tag": "mlperimeter:wave-order",
    "default_wave": "wave_unassigned",
}


def settings(**options):
    return inv.read_settings({**DEFAULTS, **options}.get)


def account(account_id, name, path="/Root/ML", **tags):
    return {"id": account_id, "name": name, "arn": f"arn:aws:organizations::123456789012:account/o-x/{account_id}",
            "ou_path": path, "tags": tags}


@pytest.mark.parametrize("text, host", [
    ("ML Research", "ml-research"),
    ("ml_research--prod", "ml-research-prod"),
    ("  Data Science (EU)  ", "data-science-eu"),
    ("Équipe ML", "quipe-ml"),
    ("***", ""),
])
def test_host_names(text, host):
    assert inv.host_name(text) == host


@pytest.mark.parametrize("text, group", [
    ("wave1_canary", "wave1_canary"),
    ("Wave 2 - Research", "wave_2_research"),
    ("2", "wave_2"),
    ("3-late", "wave_3_late"),
    ("_canary_", "canary"),
])
def test_group_names(text, group):
    assert inv.group_name(text) == group


@pytest.mark.parametrize("path, group", [
    ("/Root", "ou_root"),
    ("/Root/ML/Research", "ou_root_ml_research"),
    ("/Root/Infrastructure/Access", "ou_root_infrastructure_access"),
])
def test_ou_groups(path, group):
    assert inv.ou_group(path) == group


def test_ou_ancestry():
    assert inv.ou_ancestry("/Root/ML/Research") == ["/Root", "/Root/ML", "/Root/ML/Research"]
    assert inv.ou_ancestry("/Root") == ["/Root"]


@pytest.mark.parametrize("path, prefixes, under", [
    ("/Root/ML", ["/Root/ML"], True),
    ("/Root/ML/Research", ["/Root/ML"], True),
    ("/Root/ML/Research/Deep", ["/Root/ML"], True),
    ("/Root/MLOps", ["/Root/ML"], False),
    ("/Root", ["/Root/ML"], False),
    ("/Root/Infrastructure/Access", ["/Root/ML", "/Root/Infrastructure/Access"], True),
    ("/Root/Infrastructure/Identity", ["/Root/ML", "/Root/Infrastructure/Access"], False),
    ("/Root/ml", ["/Root/ML"], False),
])
def test_path_under(path, prefixes, under):
    assert organizations.path_under(path, prefixes) is under


@pytest.mark.parametrize("path, prefixes, leads", [
    ("/Root", ["/Root/ML"], True),
    ("/Root/Infrastructure", ["/Root/Infrastructure/Access"], True),
    ("/Root/ML", ["/Root/ML"], False),
    ("/Root/Workloads", ["/Root/ML"], False),
    ("/Root/M", ["/Root/ML"], False),
])
def test_path_leads_to(path, prefixes, leads):
    assert organizations.path_leads_to(path, prefixes) is leads


@pytest.mark.parametrize("orders, expected", [
    ({"wave2": [2], "wave1_canary": [1], "wave3": [3]}, ["wave1_canary", "wave2", "wave3"]),
    ({"broad": [2, 2], "canary": [1]}, ["canary", "broad"]),
    # the smallest order any account of the wave carries places the wave
    ({"late": [9, 1], "middle": [5]}, ["late", "middle"]),
    # waves without an order come last, by name; ties by name
    ({"zeta": [None], "alpha": [None], "canary": [1]}, ["canary", "alpha", "zeta"]),
    ({"b": [1], "a": [1]}, ["a", "b"]),
    ({"first": [-1], "second": [None, 0]}, ["first", "second"]),
    ({}, []),
])
def test_order_waves(orders, expected):
    assert inv.order_waves(orders) == expected


@pytest.mark.parametrize("tags, filters, kept", [
    ({"team": "research"}, {}, True),
    ({"team": "research"}, {"team": "research"}, True),
    ({"team": "research"}, {"team": ["genomics", "research"]}, True),
    ({"team": "research"}, {"team": "genomics"}, False),
    ({}, {"team": "research"}, False),
    ({"team": "research", "env": "prod"}, {"team": "research", "env": "dev"}, False),
    ({"mlperimeter:managed": "true"}, {"mlperimeter:managed": True}, True),
    ({"tier": "2"}, {"tier": 2}, True),
])
def test_tags_match(tags, filters, kept):
    assert inv.tags_match(tags, filters) is kept


@pytest.mark.parametrize("options, message", [
    ({"ou_paths": []}, "ou_paths: name at least one organizational unit"),
    ({"ou_paths": ["Root/ML"]}, "ou_paths: 'Root/ML' is not a path of OU names"),
    ({"ou_paths": ["/Root//ML"]}, "ou_paths: '/Root//ML' is not a path"),
    ({"ou_paths": ["/"]}, "ou_paths: '/' is not a path"),
    ({"ou_paths": [7]}, "ou_paths: 7 is not a path"),
    ({"default_region": "Frankfurt"}, "default_region: 'Frankfurt' is not a Region name"),
    ({"tag_filters": {"team": [["nested"]]}}, "tag_filters: the value of 'team' must be a string or a list"),
    ({"wave_tag": " "}, "wave_tag: must not be empty"),
    ({"default_wave": "!!"}, "default_wave: '!!' has no letter or digit"),
])
def test_bad_options(options, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        settings(**options)


def test_settings_normalise_paths_and_the_default_wave():
    read = settings(ou_paths=["/Root/ML/", "/Root/Infrastructure/Access"], default_wave="Wave 9")
    assert read.ou_paths == ("/Root/ML", "/Root/Infrastructure/Access")
    assert read.default_wave == "wave_9"


def test_plan_makes_hosts_groups_and_waves():
    accounts = [
        account("111111111111", "IT Access", "/Root/Infrastructure/Access", **{"mlperimeter:role": "access"}),
        account("222222222222", "ML Research", **{"mlperimeter:wave": "canary", "mlperimeter:wave-order": "1"}),
        account("333333333333", "Forecasting", "/Root/ML/Team",
                **{"mlperimeter:wave": "Broad", "mlperimeter:wave-order": "2", "mlperimeter:region": "eu-west-1"}),
        account("444444444444", "Sandbox"),
        account("555555555555", "Shared Tools", **{"mlperimeter:role": "None"}),
        account("666666666666", "Lab", **{"mlperimeter:hostname": "genomics lab", "mlperimeter:wave": "broad"}),
        account("777777777777", "Outside", "/Root/Workloads"),
    ]
    planned = inv.plan(accounts, settings(ou_paths=["/Root/ML", "/Root/Infrastructure/Access"]))
    assert planned["access"] == ["it-access"]
    assert planned["waves"] == [("canary", ["ml-research"]), ("broad", ["forecasting", "genomics-lab"]),
                                ("wave_unassigned", ["sandbox"])]
    assert sorted(planned["hosts"]) == ["forecasting", "genomics-lab", "it-access", "ml-research", "sandbox"]
    assert planned["hosts"]["forecasting"]["aws_region"] == "eu-west-1"
    assert planned["hosts"]["sandbox"]["aws_region"] == "eu-central-1"
    assert planned["hosts"]["forecasting"]["aws_ou_path"] == "/Root/ML/Team"


def test_plan_access_accounts_by_id_or_name():
    accounts = [account("222222222222", "ML Research"), account("333333333333", "Hub")]
    planned = inv.plan(accounts, settings(access_accounts=["222222222222", "Hub"]))
    assert planned["access"] == ["ml-research", "hub"]
    assert planned["waves"] == []


def test_plan_unnamed_account_falls_back_to_its_id():
    planned = inv.plan([account("222222222222", "***")], settings())
    assert list(planned["hosts"]) == ["account-222222222222"]


@pytest.mark.parametrize("accounts, message", [
    ([account("222222222222", "A", **{"mlperimeter:role": "analytics"})],
     "account 222222222222 (A): tag mlperimeter:role='analytics' is not one of access, ml, none"),
    ([account("222222222222", "A", **{"mlperimeter:region": "europe"})],
     "account 222222222222 (A): tag mlperimeter:region='europe' is not a Region name"),
    ([account("222222222222", "A", **{"mlperimeter:wave-order": "1st"})],
     "account 222222222222 (A): tag mlperimeter:wave-order='1st' is not an integer"),
    ([account("222222222222", "A", **{"mlperimeter:wave": "--"})],
     "account 222222222222 (A): tag mlperimeter:wave='--' has no letter or digit"),
    ([account("222222222222", "Lab"), account("333333333333", "lab")],
     "account 333333333333 (lab) and account 222222222222 (Lab) both make host 'lab'"),
])
def test_plan_refuses_tags_it_cannot_use(accounts, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        inv.plan(accounts, settings())


def test_plan_without_region_names_the_account():
    with pytest.raises(ValueError, match="no mlperimeter:region tag and no default_region"):
        inv.plan([account("222222222222", "A")], settings(default_region=None))
