"""identity_center_perimeter: the network perimeter referenced from a permission set in the Identity Center
administration account and provisioned to one ML account per play, so it moves wave by wave; its gate fails naming
M1 and the account once the reference is gone.

The plays are wired as playbooks/layer1.yml wires them: the demo permission set in the Identity Center account's
play, the role and its gate in each ML account's play, each account reached through its own session."""

import random
import re

import yaml

from support.ansible import MODULE_DEFAULTS, run_playbook
from support.calls import writes

POLICY = "mlperimeter-network-perimeter"
PATH = "/mlperimeter/"
PERMISSION_SET = "DataScientist"
IDENTITY_CENTER_REGION = "us-east-1"
ML_REGION = "eu-west-1"
DOCUMENT = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}'
PROVISIONED = "LATEST_PERMISSION_SET_PROVISIONED"
OUTDATED = "LATEST_PERMISSION_SET_NOT_PROVISIONED"
RECAP = re.compile(r"^\S+\s+: ok=\d+\s+changed=(\d+)", re.MULTILINE)

OPEN_SESSION = {"name": "Open a session in the account",
                "ansible.builtin.include_role": {"name": "mlperimeter.aws.account_session"}}
POLICY_NAMES = {"identity_center_perimeter_policy_names": [POLICY]}


def new_account():
    return "".join(random.choice("0123456789") for _ in range(11)) + "1"


def play(name, hosts, tasks):
    return {"name": name, "hosts": hosts, "gather_facts": False, "module_defaults": MODULE_DEFAULTS,
            "tasks": [OPEN_SESSION, *tasks]}


def include(role, tasks_from=None, **variables):
    task = {"name": f"{role} {tasks_from or 'main'}",
            "ansible.builtin.include_role": {"name": f"mlperimeter.aws.{role}"}}
    if tasks_from:
        task["ansible.builtin.include_role"]["tasks_from"] = tasks_from
    if variables:
        task["vars"] = variables
    return task


def write_playbooks(path):
    rollout = [
        play("Identity Center: the demo permission set", "identity_center",
             [include("demo_identities", "identity_center")]),
        play("ML accounts: the network perimeter on the permission sets", "ml",
             [include("identity_center_perimeter", **POLICY_NAMES)]),
    ]
    verify = [play("ML accounts: the permission sets' gate", "ml",
                   [include("identity_center_perimeter", "verify", **POLICY_NAMES)])]
    (path / "rollout.yml").write_text(yaml.safe_dump(rollout, sort_keys=False))
    (path / "verify.yml").write_text(yaml.safe_dump(verify, sort_keys=False))
    return str(path / "rollout.yml"), str(path / "verify.yml")


def write_inventory(path, emulator, identity_center, ml_accounts):
    def host(account, region):
        return {"aws_account_id": account, "aws_region": region}

    inventory = {"all": {
        "vars": {
            "ansible_connection": "local",
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "perimeter_deploy_role_name": "mlperimeter-deploy",
            "perimeter_aws_endpoint_url": emulator.url,
            "perimeter_operator_access_key": "identity-center-test",
            "perimeter_operator_secret_key": "identity-center-test",
            "perimeter_identity_center_account_id": identity_center,
            "perimeter_identity_center_region": IDENTITY_CENTER_REGION,
            "perimeter_permission_sets": [PERMISSION_SET],
        },
        "children": {
            "identity_center": {"hosts": {"identity-center": host(identity_center, IDENTITY_CENTER_REGION)}},
            "ml": {"hosts": {"ml-one": host(ml_accounts[0], ML_REGION), "ml-two": host(ml_accounts[1], ML_REGION)}},
        },
    }}
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return str(path)


class IdentityCenter:
    """Reads the Identity Center administration account back through boto3."""

    def __init__(self, emulator, account):
        self.sso = emulator.client("sso-admin", account, region=IDENTITY_CENTER_REGION)
        self.instance_arn = self.sso.list_instances()["Instances"][0]["InstanceArn"]

    def permission_set(self):
        for arn in self.sso.list_permission_sets(InstanceArn=self.instance_arn)["PermissionSets"]:
            described = self.sso.describe_permission_set(InstanceArn=self.instance_arn, PermissionSetArn=arn)
            if described["PermissionSet"]["Name"] == PERMISSION_SET:
                return arn
        return None

    def references(self):
        return self.sso.list_customer_managed_policy_references_in_permission_set(
            InstanceArn=self.instance_arn, PermissionSetArn=self.permission_set())["CustomerManagedPolicyReferences"]

    def accounts(self, status):
        return sorted(self.sso.list_accounts_for_provisioned_permission_set(
            InstanceArn=self.instance_arn, PermissionSetArn=self.permission_set(),
            ProvisioningStatus=status)["AccountIds"])

    def detach(self, policy=POLICY):
        self.sso.detach_customer_managed_policy_reference_from_permission_set(
            InstanceArn=self.instance_arn, PermissionSetArn=self.permission_set(),
            CustomerManagedPolicyReference={"Name": policy, "Path": PATH})

    def provision(self, account):
        self.sso.provision_permission_set(InstanceArn=self.instance_arn, PermissionSetArn=self.permission_set(),
                                          TargetType="AWS_ACCOUNT", TargetId=account)


def one_line(run):
    return " ".join(run.output.split())


def test_the_perimeter_reaches_the_permission_set_wave_by_wave_and_its_gate_names_m1_and_the_account(
        emulator, tmp_path):
    identity_center, ml_one, ml_two = new_account(), new_account(), new_account()
    inventory = write_inventory(tmp_path / "hosts.yml", emulator, identity_center, [ml_one, ml_two])
    rollout, verify = write_playbooks(tmp_path)
    for account in (ml_one, ml_two):
        emulator.client("iam", account).create_policy(PolicyName=POLICY, Path=PATH, PolicyDocument=DOCUMENT)
    center = IdentityCenter(emulator, identity_center)

    # A check-mode run before anything exists writes nothing and does not fail on the missing permission set.
    rehearsal = run_playbook(emulator, rollout, inventory=inventory, check=True)
    assert rehearsal.returncode == 0, rehearsal.output
    assert center.permission_set() is None
    assert [c for c in writes(emulator.calls()) if c["account"] == identity_center] == []

    # The Identity Center account's play creates the permission set; the first ML account's play references the
    # policy and provisions it there only.
    first = run_playbook(emulator, rollout, inventory=inventory, extra_args=["--limit", "identity-center,ml-one"])
    assert first.returncode == 0, first.output
    assert center.references() == [{"Name": POLICY, "Path": PATH}]
    assert center.accounts(PROVISIONED) == [ml_one]
    assert ml_two not in center.accounts(OUTDATED) + center.accounts(PROVISIONED)

    # The second wave's play provisions its own account; the first keeps its copy.
    second = run_playbook(emulator, rollout, inventory=inventory, extra_args=["--limit", "ml-two"])
    assert second.returncode == 0, second.output
    assert center.accounts(PROVISIONED) == sorted([ml_one, ml_two])

    again = run_playbook(emulator, rollout, inventory=inventory)
    assert again.returncode == 0, again.output
    assert set(RECAP.findall(again.output)) == {"0"}, again.output

    passed = run_playbook(emulator, verify, inventory=inventory)
    assert passed.returncode == 0, passed.output
    for account in (ml_one, ml_two):
        assert (f"M1 passed in account {account}: permission sets {PERMISSION_SET} reference {PATH}{POLICY}"
                in one_line(passed))

    # Someone removes the reference in the Identity Center account: the gate fails for each ML account, naming it.
    center.detach()
    failed = run_playbook(emulator, verify, inventory=inventory)
    assert failed.returncode != 0, failed.output
    for account in (ml_one, ml_two):
        assert (f"M1 FAILED in account {account}: permission set {PERMISSION_SET} does not reference {PATH}{POLICY}; "
                f"permission set {PERMISSION_SET} is not provisioned to this account, or its copy here is out of date"
                in one_line(failed)), failed.output
    assert center.references() == []


def test_permission_sets_without_the_identity_center_account_are_refused(emulator, tmp_path):
    ml_one, ml_two = new_account(), new_account()
    inventory = write_inventory(tmp_path / "hosts.yml", emulator, "", [ml_one, ml_two])
    rollout, _ = write_playbooks(tmp_path)

    refused = run_playbook(emulator, rollout, inventory=inventory, extra_args=["--limit", "ml-one"])

    assert refused.returncode != 0, refused.output
    assert (f"M1 in account {ml_one}: the inventory names permission sets {PERMISSION_SET}, which need the Identity "
            "Center administration account (perimeter_identity_center_account_id" in one_line(refused))


def test_the_accounts_of_one_wave_take_the_new_reference_together(emulator, tmp_path):
    identity_center, ml_one, ml_two = new_account(), new_account(), new_account()
    inventory = write_inventory(tmp_path / "hosts.yml", emulator, identity_center, [ml_one, ml_two])
    rollout, _ = write_playbooks(tmp_path)
    for account in (ml_one, ml_two):
        emulator.client("iam", account).create_policy(PolicyName=POLICY, Path=PATH, PolicyDocument=DOCUMENT)

    both = run_playbook(emulator, rollout, inventory=inventory)

    assert both.returncode == 0, both.output
    center = IdentityCenter(emulator, identity_center)
    assert center.references() == [{"Name": POLICY, "Path": PATH}]
    assert center.accounts(PROVISIONED) == sorted([ml_one, ml_two])


GUARDRAILS = "mlperimeter-sagemaker-guardrails"
COMPARE = "Compare each reference and this account's copy with what they should be"


def write_layered_playbook(path):
    """Two layers' references, then both gates and the first gate again, in one ML account's play (as ml_m3.yml)."""
    network, guardrails = {"identity_center_perimeter_policy_names": [POLICY]}, {
        "identity_center_perimeter_control_id": "M3", "identity_center_perimeter_policy_names": [GUARDRAILS]}
    plays = [
        play("Identity Center: the demo permission set", "identity_center",
             [include("demo_identities", "identity_center")]),
        play("ML account: two layers' references and their gates", "ml", [
            include("identity_center_perimeter", **network), include("identity_center_perimeter", **guardrails),
            include("identity_center_perimeter", "verify", **network),
            include("identity_center_perimeter", "verify", **guardrails),
            include("identity_center_perimeter", "verify", **network),
        ]),
    ]
    (path / "layers.yml").write_text(yaml.safe_dump(plays, sort_keys=False))
    return str(path / "layers.yml")


def task_outcomes(run, task):
    pattern = re.compile(r"TASK \[mlperimeter\.aws\.identity_center_perimeter : " + re.escape(task)
                         + r"[^\]]*\][^\n]*\n(\w+):")
    return pattern.findall(run.output)


def references(run):
    """For each run of main's reference task, in order: 'ok', 'changed' or 'skipping'."""
    return task_outcomes(run, "Reference each policy and provision the permission set")


def compares(run):
    """For each run of the gate's compare, in order: 'skipped' or 'ran'."""
    return ["skipped" if status == "skipping" else "ran" for status in task_outcomes(run, COMPARE)]


def test_a_gate_judges_from_the_reads_of_a_run_that_changed_nothing_and_reads_again_after_any_change(
        emulator, tmp_path):
    identity_center, ml_one, ml_two = new_account(), new_account(), new_account()
    inventory = write_inventory(tmp_path / "hosts.yml", emulator, identity_center, [ml_one, ml_two])
    playbook = write_layered_playbook(tmp_path)
    for policy in (POLICY, GUARDRAILS):
        emulator.client("iam", ml_one).create_policy(PolicyName=policy, Path=PATH, PolicyDocument=DOCUMENT)
    limit = ["--limit", "identity-center,ml-one"]

    first = run_playbook(emulator, playbook, inventory=inventory, extra_args=limit)
    assert first.returncode == 0, first.output
    assert compares(first) == ["ran", "ran", "ran"]

    # Nothing to change: each gate judges from its layer's reads, once; the third reads for itself.
    emulator.reset_calls()
    converged = run_playbook(emulator, playbook, inventory=inventory, extra_args=limit)
    assert converged.returncode == 0, converged.output
    assert compares(converged) == ["skipped", "skipped", "ran"]
    for control, policy in (("M1", POLICY), ("M3", GUARDRAILS)):
        assert f"{control} passed in account {ml_one}: permission sets {PERMISSION_SET} reference {PATH}{policy}" \
            in one_line(converged)
    provisioned_reads = [c for c in emulator.calls() if c["account"] == identity_center
                        and c["operation"] == "ListAccountsForProvisionedPermissionSet"]
    assert len(provisioned_reads) == 2 * 3  # both statuses, read by the two main runs and the third gate

    # The guardrails' reference is removed by hand and this account's copy provisioned again without it: the
    # network layer's run finds nothing to change, then the guardrails' run puts the reference back, which makes
    # the copy the network layer just read out of date until provisioned again, so every gate reads for itself.
    center = IdentityCenter(emulator, identity_center)
    center.detach(GUARDRAILS)
    center.provision(ml_one)
    repaired = run_playbook(emulator, playbook, inventory=inventory, extra_args=limit)
    assert repaired.returncode == 0, repaired.output
    assert references(repaired) == ["ok", "changed"]
    assert compares(repaired) == ["ran", "ran", "ran"]
    assert sorted(r["Name"] for r in center.references()) == sorted([POLICY, GUARDRAILS])
    assert center.accounts(PROVISIONED) == [ml_one]

    # In check mode the same drift is a change main only reports: the gates read, and the guardrails' gate fails.
    center.detach(GUARDRAILS)
    center.provision(ml_one)
    previewed = run_playbook(emulator, playbook, inventory=inventory, check=True, extra_args=limit)
    assert previewed.returncode != 0
    assert references(previewed) == ["ok", "changed"]
    assert compares(previewed)[:2] == ["ran", "ran"]
    assert f"M3 FAILED in account {ml_one}: permission set {PERMISSION_SET} does not reference {PATH}{GUARDRAILS}" \
        in one_line(previewed)


def test_one_run_for_two_layers_reads_once_and_settles_each_layers_gate(emulator, tmp_path):
    identity_center, ml_one, ml_two = new_account(), new_account(), new_account()
    inventory = write_inventory(tmp_path / "hosts.yml", emulator, identity_center, [ml_one, ml_two])
    network, guardrails = {"identity_center_perimeter_policy_names": [POLICY]}, {
        "identity_center_perimeter_control_id": "M3", "identity_center_perimeter_policy_names": [GUARDRAILS]}
    plays = [
        play("Identity Center: the demo permission set", "identity_center",
             [include("demo_identities", "identity_center")]),
        play("ML account: both layers' references in one run, then each layer's gate", "ml", [
            include("identity_center_perimeter", identity_center_perimeter_policy_names=[POLICY, GUARDRAILS]),
            include("identity_center_perimeter", "verify", **network),
            include("identity_center_perimeter", "verify", **guardrails),
        ]),
    ]
    (tmp_path / "together.yml").write_text(yaml.safe_dump(plays, sort_keys=False))
    for policy in (POLICY, GUARDRAILS):
        emulator.client("iam", ml_one).create_policy(PolicyName=policy, Path=PATH, PolicyDocument=DOCUMENT)
    limit = ["--limit", "identity-center,ml-one"]

    first = run_playbook(emulator, str(tmp_path / "together.yml"), inventory=inventory, extra_args=limit)
    assert first.returncode == 0, first.output
    center = IdentityCenter(emulator, identity_center)
    assert sorted(r["Name"] for r in center.references()) == sorted([POLICY, GUARDRAILS])
    assert center.accounts(PROVISIONED) == [ml_one]
    assert references(first) == ["changed"]
    assert compares(first) == ["ran", "ran"]

    emulator.reset_calls()
    converged = run_playbook(emulator, str(tmp_path / "together.yml"), inventory=inventory, extra_args=limit)
    assert converged.returncode == 0, converged.output
    assert references(converged) == ["ok"]
    assert compares(converged) == ["skipped", "skipped"]
    for control, policy in (("M1", POLICY), ("M3", GUARDRAILS)):
        assert f"{control} passed in account {ml_one}: permission sets {PERMISSION_SET} reference {PATH}{policy}" \
            in one_line(converged)
    provisioned_reads = [c for c in emulator.calls() if c["account"] == identity_center
                        and c["operation"] == "ListAccountsForProvisionedPermissionSet"]
    assert len(provisioned_reads) == 2  # both statuses, once, for the two policies

    # Drift in one layer is a change for the run of both; the gate of the other layer then reads for itself.
    center.detach(GUARDRAILS)
    center.provision(ml_one)
    repaired = run_playbook(emulator, str(tmp_path / "together.yml"), inventory=inventory, extra_args=limit)
    assert repaired.returncode == 0, repaired.output
    assert references(repaired) == ["changed"]
    assert compares(repaired) == ["ran", "ran"]
