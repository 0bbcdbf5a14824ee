"""The mlperimeter.aws.aws_organizations inventory plugin against an organisation in the emulator: built with
boto3 in a management account of this module's own, read through ``ansible-inventory`` and ``ansible-playbook``
as an operator (or AWX) would."""

import json
import os
import subprocess
import time

import pytest
import yaml

from support.ansible import BIN, REPO
from support.calls import writes
from support.emulator import BOOTSTRAP_KEY, DEPLOY_ROLE
from support.inventory import fresh_account_id

REGION = "us-east-1"
PERIMETER_PATHS = ["/Root/ML", "/Root/Infrastructure/Access"]
BULK_ACCOUNTS = 22


class Organization:
    """An organisation in the emulator: its management account and the ids of the accounts by name."""

    def __init__(self, emulator):
        self.management = fresh_account_id()
        self.client = emulator.client("organizations", self.management, region=REGION)
        self.client.create_organization(FeatureSet="ALL")
        self.root = self.client.list_roots()["Roots"][0]["Id"]
        self.units = {"/Root": self.root}
        self.accounts = {}

    def unit(self, path):
        if path not in self.units:
            parent, name = path.rsplit("/", 1)
            self.units[path] = self.client.create_organizational_unit(
                ParentId=self.unit(parent), Name=name)["OrganizationalUnit"]["Id"]
        return self.units[path]

    def account(self, name, path, **tags):
        account_id = self.client.create_account(
            AccountName=name, Email=f"{name.replace(' ', '.').lower()}@example.com",
            Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
        )["CreateAccountStatus"]["AccountId"]
        self.client.move_account(AccountId=account_id, SourceParentId=self.root, DestinationParentId=self.unit(path))
        self.accounts[name] = account_id
        return account_id


@pytest.fixture(scope="module")
def org(emulator):
    org = Organization(emulator)
    org.account("IT Access", "/Root/Infrastructure/Access",
                **{"mlperimeter:role": "access", "mlperimeter:region": "eu-central-1"})
    org.account("Identity Center", "/Root/Infrastructure/Identity", **{"mlperimeter:role": "none"})
    org.account("ML Research", "/Root/ML",
                **{"mlperimeter:wave": "canary", "mlperimeter:wave-order": "1", "team": "research"})
    org.account("ML Forecasting", "/Root/ML", **{"mlperimeter:wave": "broad", "mlperimeter:wave-order": "2",
                                                 "mlperimeter:region": "eu-west-1", "team": "forecasting"})
    org.account("Deep Research", "/Root/ML/Research",
                **{"mlperimeter:wave": "Broad", "mlperimeter:wave-order": "2", "team": "research",
                   "mlperimeter:hostname": "deep_research"})
    org.account("Genomics Lab", "/Root/ML", **{"mlperimeter:wave": "3", "mlperimeter:wave-order": "3",
                                               "team": "genomics"})
    org.account("ML Sandbox", "/Root/ML")
    org.account("ML Shared Tools", "/Root/ML", **{"mlperimeter:role": "none"})
    retired = org.account("ML Retired", "/Root/ML", **{"mlperimeter:wave": "canary", "mlperimeter:wave-order": "1"})
    org.client.close_account(AccountId=retired)
    org.account("Payments", "/Root/Workloads", **{"mlperimeter:wave": "canary"})
    for i in range(BULK_ACCOUNTS):
        org.account(f"bulk {i:02d}", "/Root/Bulk", **{"mlperimeter:role": "none"} if i == 0 else {})
    return org


def write_source(directory, org, role_account=None, **options):
    """An inventory source reading ``org`` through the deploy role in its management account."""
    source = {
        "plugin": "mlperimeter.aws.aws_organizations",
        "endpoint_url": "{{ lookup('ansible.builtin.env', 'MLPERIMETER_EMULATOR_URL') }}",
        "access_key": BOOTSTRAP_KEY,
        "secret_key": BOOTSTRAP_KEY,
        "assume_role_arn": f"arn:aws:iam::{role_account or org.management}:role/{DEPLOY_ROLE}",
        "ou_paths": PERIMETER_PATHS,
        "default_region": REGION,
        **options,
    }
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "aws_organizations.yml"
    path.write_text(yaml.safe_dump(source, sort_keys=False))
    return path


def run(emulator, *command):
    env = dict(os.environ, MLPERIMETER_EMULATOR_URL=emulator.url, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_INVENTORY_UNPARSED_FAILED="1")
    return subprocess.run([str(BIN / command[0]), *command[1:]], cwd=REPO, env=env, capture_output=True, text=True,
                          check=False, timeout=600)


def trusted(value):
    # ansible-inventory marks what came from AWS as never to be templated; the tests read the text.
    return value["__ansible_unsafe"] if list(value) == ["__ansible_unsafe"] else value


def inventory(emulator, source, *args):
    done = run(emulator, "ansible-inventory", "-i", str(source), "--list", "--export", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout, object_hook=trusted)


def hosts_of(listed, group):
    return sorted(listed.get(group, {}).get("hosts", []))


def all_hosts(listed):
    return sorted(listed["_meta"]["hostvars"])


def calls_since(emulator, started, account):
    return [c for c in emulator.calls() if c["time"] >= started and c["account"] == account]


def failure(emulator, source):
    done = run(emulator, "ansible-inventory", "-i", str(source), "--list")
    assert done.returncode != 0, done.stdout
    return " ".join((done.stdout + done.stderr).split())


@pytest.fixture(scope="module")
def listed(emulator, org, tmp_path_factory):
    return inventory(emulator, write_source(tmp_path_factory.mktemp("perimeter"), org))


def test_one_host_per_active_perimeter_account(listed):
    # Suspended (ML Retired), role none (Identity Center, ML Shared Tools, bulk 00) and accounts outside the
    # OU paths (Payments, the management account, the Identity and Bulk OUs' siblings) are left out.
    assert all_hosts(listed) == [
        "deep-research", "genomics-lab", "it-access", "ml-forecasting", "ml-research", "ml-sandbox"]


def test_host_vars_name_the_account_region_and_ou(listed, org):
    hostvars = listed["_meta"]["hostvars"]
    assert hostvars["ml-forecasting"] == {
        "aws_account_id": org.accounts["ML Forecasting"],
        "aws_region": "eu-west-1",
        "aws_account_name": "ML Forecasting",
        "aws_account_arn": f"arn:aws:organizations::{org.management}:account/"
                           f"{org.client.describe_organization()['Organization']['Id']}/"
                           f"{org.accounts['ML Forecasting']}",
        "aws_ou_path": "/Root/ML",
        "aws_account_tags": {"mlperimeter:wave": "broad", "mlperimeter:wave-order": "2",
                             "mlperimeter:region": "eu-west-1", "team": "forecasting"},
    }
    assert hostvars["it-access"]["aws_region"] == "eu-central-1"
    assert hostvars["ml-sandbox"]["aws_region"] == REGION
    assert hostvars["deep-research"]["aws_account_id"] == org.accounts["Deep Research"]
    assert hostvars["deep-research"]["aws_ou_path"] == "/Root/ML/Research"


def test_access_and_ml_accounts_and_their_waves_in_order(listed):
    assert hosts_of(listed, "perimeter_access") == ["it-access"]
    ml = listed["perimeter_ml"]
    # Ordered by the wave-order tag (canary 1, broad 2, 3 -> wave_3), untagged last: not by name.
    assert listed["all"]["vars"]["perimeter_waves"] == ["canary", "broad", "wave_3", "wave_unassigned"]
    assert sorted(ml["children"]) == ["broad", "canary", "wave_3", "wave_unassigned"]
    assert hosts_of(listed, "canary") == ["ml-research"]
    assert hosts_of(listed, "broad") == ["deep-research", "ml-forecasting"]
    assert hosts_of(listed, "wave_3") == ["genomics-lab"]
    assert hosts_of(listed, "wave_unassigned") == ["ml-sandbox"]
    for group in ("perimeter_access", "perimeter_ml"):
        assert listed[group]["vars"]["ansible_connection"] == "local"


def test_every_host_sees_the_waves_and_a_local_connection(emulator, org, tmp_path):
    source = write_source(tmp_path, org)
    for host in ("it-access", "ml-sandbox"):
        done = run(emulator, "ansible-inventory", "-i", str(source), "--host", host)
        assert done.returncode == 0, done.stdout + done.stderr
        merged = json.loads(done.stdout, object_hook=trusted)
        assert merged["perimeter_waves"] == ["canary", "broad", "wave_3", "wave_unassigned"]
        assert merged["ansible_connection"] == "local"
        assert merged["ansible_python_interpreter"] == "{{ ansible_playbook_python }}"


def test_a_group_per_ou_nested_as_the_ous_are(listed):
    assert sorted(listed["ou_root"]["children"]) == ["ou_root_infrastructure", "ou_root_ml"]
    assert sorted(listed["ou_root_ml"]["children"]) == ["ou_root_ml_research"]
    assert hosts_of(listed, "ou_root_ml") == ["genomics-lab", "ml-forecasting", "ml-research", "ml-sandbox"]
    assert hosts_of(listed, "ou_root_ml_research") == ["deep-research"]
    assert hosts_of(listed, "ou_root_infrastructure_access") == ["it-access"]


def test_ou_paths_take_descendants_and_nothing_beside(emulator, org, tmp_path):
    listed = inventory(emulator, write_source(tmp_path / "research", org, ou_paths=["/Root/ML/Research"]))
    assert all_hosts(listed) == ["deep-research"]
    listed = inventory(emulator, write_source(tmp_path / "infrastructure", org, ou_paths=["/Root/Infrastructure/"]))
    assert all_hosts(listed) == ["it-access"]
    assert listed["all"]["vars"]["perimeter_waves"] == []


def test_access_accounts_named_by_option(emulator, org, tmp_path):
    source = write_source(tmp_path, org, ou_paths=["/Root/ML"], access_accounts=[org.accounts["ML Sandbox"]])
    listed = inventory(emulator, source)
    assert hosts_of(listed, "perimeter_access") == ["ml-sandbox"]
    assert listed["all"]["vars"]["perimeter_waves"] == ["canary", "broad", "wave_3"]


def test_tag_filters_keep_only_matching_accounts(emulator, org, tmp_path):
    source = write_source(tmp_path, org, tag_filters={"team": ["research", "genomics"]})
    listed = inventory(emulator, source)
    assert all_hosts(listed) == ["deep-research", "genomics-lab", "ml-research"]
    assert listed["all"]["vars"]["perimeter_waves"] == ["canary", "broad", "wave_3"]


def test_constructed_groups_and_vars(emulator, org, tmp_path):
    source = write_source(tmp_path, org, keyed_groups=[{"key": "aws_account_tags.team", "prefix": "team"}],
                          compose={"account_label": "aws_account_name ~ ' in ' ~ aws_region"},
                          groups={"outside_home_region": "aws_region != 'us-east-1'"})
    listed = inventory(emulator, source)
    assert hosts_of(listed, "team_research") == ["deep-research", "ml-research"]
    assert hosts_of(listed, "outside_home_region") == ["it-access", "ml-forecasting"]
    assert listed["_meta"]["hostvars"]["ml-forecasting"]["account_label"] == "ML Forecasting in eu-west-1"


def test_every_list_call_is_paged_and_nothing_is_written(emulator, org, tmp_path):
    started = time.time()
    listed = inventory(emulator, write_source(tmp_path, org, ou_paths=["/Root/Bulk"]))
    assert all_hosts(listed) == [f"bulk-{i:02d}" for i in range(1, BULK_ACCOUNTS)]
    calls = calls_since(emulator, started, org.management)
    pages = [c for c in calls if c["operation"] == "ListAccountsForParent"]
    assert [c["resource"] for c in pages] == [org.units["/Root/Bulk"]] * 2  # 22 accounts, 20 a page
    # Only the branch leading to /Root/Bulk is walked: Root, then Bulk.
    walked = [c["resource"] for c in calls if c["operation"] == "ListOrganizationalUnitsForParent"]
    assert walked == [org.root, org.units["/Root/Bulk"]]
    assert writes(calls) == []


def test_throttling_is_retried(emulator, org, tmp_path):
    emulator.add_fault(operation="ListTagsForResource", error="TooManyRequestsException", rate=0.5, seed=3,
                       account=org.management)
    try:
        started = time.time()
        listed = inventory(emulator, write_source(tmp_path, org))
    finally:
        emulator.clear_faults()
    throttled = [c for c in calls_since(emulator, started, org.management) if c["status"] == 400]
    assert throttled, "the fault never fired"
    assert hosts_of(listed, "broad") == ["deep-research", "ml-forecasting"]
    assert listed["_meta"]["hostvars"]["ml-research"]["aws_account_tags"]["team"] == "research"


def test_cached_accounts_are_not_read_again(emulator, org, tmp_path):
    cache = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(tmp_path / "cache"),
             "cache_timeout": 600}
    source = write_source(tmp_path / "source", org, ou_paths=["/Root/ML/Research"], **cache)
    assert hosts_of(inventory(emulator, source), "broad") == ["deep-research"]
    org.client.tag_resource(ResourceId=org.accounts["Deep Research"],
                            Tags=[{"Key": "mlperimeter:wave", "Value": "canary"}])
    try:
        started = time.time()
        assert hosts_of(inventory(emulator, source), "broad") == ["deep-research"]
        assert calls_since(emulator, started, org.management) == []
        assert hosts_of(inventory(emulator, source, "--flush-cache"), "canary") == ["deep-research"]
    finally:
        org.client.tag_resource(ResourceId=org.accounts["Deep Research"],
                                Tags=[{"Key": "mlperimeter:wave", "Value": "Broad"}])


@pytest.mark.parametrize("options, message", [
    ({"ou_paths": ["Root/ML"]}, "ou_paths: 'Root/ML' is not a path of OU names"),
    ({"ou_paths": []}, "ou_paths: name at least one organizational unit"),
    ({"default_region": "Frankfurt"}, "default_region: 'Frankfurt' is not a Region name"),
    ({"tag_filters": {"team": {"any": "thing"}}}, "tag_filters: the value of 'team' must be a string or a list"),
    ({"default_wave": "--"}, "default_wave: '--' has no letter or digit"),
    ({"default_role": "everyone"}, "default_role"),
])
def test_bad_options_fail_before_any_call(emulator, org, tmp_path, options, message):
    started = time.time()
    assert message in failure(emulator, write_source(tmp_path, org, **options))
    assert calls_since(emulator, started, org.management) == []


def test_an_unusable_tag_fails_naming_the_account(emulator, org, tmp_path):
    account = org.account("ML Odd", "/Root/Sandbox/Odd", **{"mlperimeter:role": "analytics"})
    source = write_source(tmp_path, org, ou_paths=["/Root/Sandbox/Odd"])
    assert f"account {account} (ML Odd): tag mlperimeter:role='analytics' is not one of access, ml, none" in failure(
        emulator, source)
    org.client.tag_resource(ResourceId=account, Tags=[{"Key": "mlperimeter:role", "Value": "ml"},
                                                      {"Key": "mlperimeter:wave-order", "Value": "first"}])
    assert f"account {account} (ML Odd): tag mlperimeter:wave-order='first' is not an integer" in failure(
        emulator, source)
    org.client.untag_resource(ResourceId=account, TagKeys=["mlperimeter:wave-order"])
    no_region = write_source(tmp_path / "no-region", org, ou_paths=["/Root/Sandbox/Odd"], default_region=None)
    assert f"account {account} (ML Odd): no mlperimeter:region tag and no default_region" in failure(
        emulator, no_region)


def test_two_accounts_making_one_host_name_fail(emulator, org, tmp_path):
    first = org.account("Twin Lab", "/Root/Sandbox/Twins")
    second = org.account("twin lab", "/Root/Sandbox/Twins")
    message = failure(emulator, write_source(tmp_path, org, ou_paths=["/Root/Sandbox/Twins"]))
    assert "both make host 'twin-lab': give one a mlperimeter:hostname tag" in message
    assert first in message and second in message


def test_account_names_and_tags_are_never_templated(emulator, org, tmp_path):
    """Whoever may rename an account or tag it must not run Jinja on the controller through the inventory."""
    org.account("Lab {{ 7 * 7 }}", "/Root/Sandbox/Templated", team="{{ lookup('ansible.builtin.env', 'HOME') }}")
    source = write_source(tmp_path, org, ou_paths=["/Root/Sandbox/Templated"])
    done = run(emulator, "ansible", "-i", str(source), "lab-7-7", "-m", "ansible.builtin.debug",
               "-a", json.dumps({"msg": "{{ aws_account_name }} / {{ aws_account_tags.team }}"}))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Lab {{ 7 * 7 }} / {{ lookup('ansible.builtin.env', 'HOME') }}" in done.stdout


def test_a_member_account_reads_only_as_delegated_administrator(emulator, org, tmp_path):
    reader = org.account("Inventory Reader", "/Root/Infrastructure/Tooling", **{"mlperimeter:role": "none"})
    source = write_source(tmp_path, org, role_account=reader, ou_paths=["/Root/ML/Research"])
    message = failure(emulator, source)
    assert "Cannot read the organization's accounts under /Root/ML/Research" in message
    assert "AccessDeniedException" in message
    org.client.register_delegated_administrator(AccountId=reader, ServicePrincipal="ssm.amazonaws.com")
    assert all_hosts(inventory(emulator, source)) == ["deep-research"]


def test_the_example_source_reads_the_organisation(emulator, org, tmp_path):
    """inventories/example_aws_organizations as shipped, pointed at the emulator's organisation."""
    example = yaml.safe_load((REPO / "inventories" / "example_aws_organizations" / "aws_organizations.yml").read_text())
    example["cache_connection"] = str(tmp_path / "cache")
    source = write_source(tmp_path, org, **{k: v for k, v in example.items() if k not in ("plugin", "assume_role_arn")})
    listed = inventory(emulator, source)
    assert all_hosts(listed) == [
        "deep-research", "genomics-lab", "it-access", "ml-forecasting", "ml-research", "ml-sandbox"]
    assert listed["_meta"]["hostvars"]["ml-sandbox"]["aws_region"] == example["default_region"]
    assert hosts_of(listed, "team_research") == ["deep-research", "ml-research"]
    assert hosts_of(listed, "team_none") == ["it-access", "ml-sandbox"]


def test_preflight_parses_the_inventory(emulator, org, tmp_path):
    source = write_source(tmp_path, org)
    done = run(emulator, "ansible-playbook", "-i", str(source), str(REPO / "playbooks" / "preflight.yml"),
               "--list-hosts")
    assert done.returncode == 0, done.stdout + done.stderr
    play = done.stdout.split("play #1", 1)[1]
    listed = [line.strip() for line in play.split("hosts (", 1)[1].splitlines()[1:] if line.strip()]
    assert "pattern: ['perimeter_access:perimeter_ml']" in play
    assert sorted(listed) == [
        "deep-research", "genomics-lab", "it-access", "ml-forecasting", "ml-research", "ml-sandbox"]
