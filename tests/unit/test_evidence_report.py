"""The evidence report: records checked, reports merged, JSON, Markdown and HTML rendered, files written."""

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from ansible_collections.mlperimeter.aws.plugins.plugin_utils import evidence

REPO = Path(__file__).resolve().parents[2]
ANSIBLE = Path(sys.executable).parent / "ansible-playbook"
ACCESS = {"name": "access", "account_id": "111111111111", "kind": "access"}
ML = {"name": "ml-research", "account_id": "222222222222", "kind": "ml"}


def record(account=ML, control="M1", check="SageMaker network", status="pass", evidence_text="M1 passed"):
    return {"account": account["name"], "account_id": account["account_id"], "control": control, "check": check,
            "status": status, "evidence": evidence_text}


def matrix_row(row="M1-internet-route", account=ML, status="pass", control="M1"):
    return {"account": account["name"], "account_id": account["account_id"], "row": row,
            "attempt": "send data out through an internet gateway route", "control": control,
            "procedure": "route analysis", "status": status, "evidence": f"{row}: no route leaves the VPC"}


def source(records, accounts=(ACCESS, ML), generated="2025-03-01T02:00:00Z", run_id="20250301T020000Z", matrix=()):
    return {"generated": generated, "runs": [{"id": run_id, "generated": generated,
                                              "accounts": [a["name"] for a in accounts]}],
            "accounts": list(accounts), "controls": list(records), "matrix": list(matrix)}


@pytest.mark.parametrize(("change", "message"), [
    ({"status": "ok"}, "records[0].status must be one of pass, staged, fail, got 'ok'"),
    ({"account_id": "2222"}, "records[0].account_id must be 12 digits, got '2222'"),
    ({"account_id": 222222222222}, None),
    ({"control": ""}, "records[0].control must not be empty"),
    ({"check": None}, "records[0].check must not be empty"),
])
def test_records_are_checked_naming_the_field_and_value(change, message):
    item = dict(record(), **change)
    if message is None:
        assert evidence.check_controls([item])[0]["account_id"] == str(item["account_id"])
    else:
        with pytest.raises(evidence.EvidenceError, match=re.escape(message)):
            evidence.check_controls([item])


def test_a_record_missing_a_field_names_it():
    item = record()
    del item["evidence"]
    with pytest.raises(evidence.EvidenceError, match=r"records\[0\] lacks evidence"):
        evidence.check_controls([item])


@pytest.mark.parametrize(("accounts", "message"), [
    ([dict(ML, kind="data")], "accounts[0].kind must be one of access, ml, got 'data'"),
    ([{"name": "x", "account_id": "222222222222"}], "accounts[0] lacks kind"),
    ("ml-research", "accounts must be a list, got 'ml-research'"),
])
def test_accounts_are_checked(accounts, message):
    with pytest.raises(evidence.EvidenceError, match=re.escape(message)):
        evidence.check_accounts(accounts)


def test_a_record_of_an_account_not_listed_is_refused():
    stranger = {"name": "x", "account_id": "333333333333"}
    with pytest.raises(evidence.EvidenceError, match=r"controls\[0\].account_id 333333333333 is not one of the"):
        evidence.check_source(source([record(account=stranger)]), "")


def test_a_report_counts_checks_and_orders_accounts_access_first_and_controls_by_id():
    report = evidence.build([source([
        record(control="M3", check="SageMaker domain"),
        record(control="M1", status="fail"),
        record(control="M2", check="DNS Firewall", status="staged"),
        record(account=ACCESS, control="A2", check="browser allowlist"),
        record(account=ACCESS, control="A1", check="browser network"),
    ], accounts=(ML, ACCESS))], "2025-03-01T02:00:05Z")
    assert report["summary"] == {"pass": 3, "staged": 1, "fail": 1}
    assert [a["name"] for a in report["accounts"]] == ["access", "ml-research"]
    assert [(r["account"], r["control"]) for r in report["controls"]] == [
        ("access", "A1"), ("access", "A2"), ("ml-research", "M1"), ("ml-research", "M2"), ("ml-research", "M3")]
    assert [(f["control"], f["check"]) for f in evidence.failures(report)] == [("M1", "SageMaker network")]


def test_matrix_rows_that_get_through_are_failures_of_their_control():
    report = evidence.build([source([record()], accounts=(ML,), matrix=[
        matrix_row(), matrix_row(row="M1-peering", status="fail"), matrix_row(row="M2-dns-tunnel-txt", control="M2",
                                                                              status="staged")])],
        "2025-03-01T02:00:05Z")
    assert [(f["control"], f["check"], f["account"]) for f in evidence.failures(report)] == [
        ("M1", "attack matrix row M1-peering", "ml-research")]


def test_merging_keeps_both_runs_of_disjoint_accounts():
    other = {"name": "ml-genomics", "account_id": "444444444444", "kind": "ml"}
    first = source([record(account=ACCESS, control="A1"), record()], accounts=(ACCESS, ML))
    second = source([record(account=other, status="fail")], accounts=(other,), generated="2025-03-01T02:00:09Z",
                    run_id="20250301T020009Z")
    report = evidence.build([second, first], "2025-03-02T00:00:00Z")
    assert [a["name"] for a in report["accounts"]] == ["access", "ml-genomics", "ml-research"]
    assert [r["id"] for r in report["runs"]] == ["20250301T020000Z", "20250301T020009Z"]
    assert report["summary"] == {"pass": 2, "staged": 0, "fail": 1}


def test_the_later_run_replaces_every_check_of_an_account_and_control():
    earlier = source([record(check="SageMaker network", status="fail"),
                      record(check="network perimeter", status="fail"),
                      record(control="M2", check="DNS Firewall", status="staged")], accounts=(ML,))
    later = source([record(check="SageMaker network", status="pass")], accounts=(ML,),
                   generated="2025-03-01T03:00:00Z", run_id="20250301T030000Z")
    report = evidence.build([later, earlier], "2025-03-02T00:00:00Z")
    assert [(r["control"], r["check"], r["status"]) for r in report["controls"]] == [
        ("M1", "SageMaker network", "pass"), ("M2", "DNS Firewall", "staged")]


def test_matrix_rows_of_the_same_account_and_row_are_replaced_by_the_later_run():
    earlier = source([record()], accounts=(ML,), matrix=[matrix_row(status="fail"), matrix_row(row="M1-peering")])
    later = source([record()], accounts=(ML,), matrix=[matrix_row()], generated="2025-03-01T03:00:00Z",
                   run_id="20250301T030000Z")
    report = evidence.build([earlier, later], "2025-03-02T00:00:00Z")
    assert [(r["row"], r["status"]) for r in report["matrix"]] == [
        ("M1-internet-route", "pass"), ("M1-peering", "pass")]


class Page(HTMLParser):
    """What a reader of the HTML page meets: elements with their attributes, and the text."""

    def __init__(self):
        super().__init__()
        self.elements, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parsed(html_text):
    page = Page()
    page.feed(html_text)
    return page


def test_the_html_page_shows_the_grid_with_each_cell_status_and_evidence_and_escapes_text():
    hostile = '<script>alert("x")</script> & "quotes"'
    report = evidence.build([source([
        record(account=ACCESS, control="A1", check="browser network", evidence_text="A1 passed"),
        record(control="M1", status="fail", evidence_text=hostile),
        record(control="M2", check="DNS Firewall", status="staged", evidence_text="M2 is staged (ALERT)"),
    ])], "2025-03-01T02:00:05Z")
    html_text = evidence.render_html(report)
    page = parsed(html_text)
    cells = {(row_account, attrs["data-control"]): attrs["data-status"]
             for row_account, (tag, attrs) in _cells_by_row(page) if tag == "td"}
    assert cells == {
        ("access", "A1"): "pass", ("access", "M1"): "none", ("access", "M2"): "none",
        ("ml-research", "A1"): "none", ("ml-research", "M1"): "fail", ("ml-research", "M2"): "staged",
    }
    text = "".join(page.text)
    assert hostile in text  # shown as text ...
    assert "<script>" not in html_text  # ... never as markup
    assert "1 pass" in text and "1 staged" in text and "1 fail" in text
    summary = next(attrs for tag, attrs in page.elements if attrs.get("id") == "summary")
    assert summary["data-verdict"] == "fail"


def _cells_by_row(page):
    account = None
    for tag, attrs in page.elements:
        if tag == "tr" and "data-account" in attrs:
            account = attrs["data-account"]
        elif tag == "td" and "data-control" in attrs:
            yield account, (tag, attrs)


def test_the_html_page_is_self_contained():
    report = evidence.build([source([record()], accounts=(ML,), matrix=[matrix_row()])], "2025-03-01T02:00:05Z")
    page = parsed(evidence.render_html(report))
    tags = {tag for tag, _ in page.elements}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert not [attrs for _, attrs in page.elements if {"src", "href"} & set(attrs)]


def test_the_attack_matrix_renders_as_rows_by_account():
    other = {"name": "ml-genomics", "account_id": "444444444444", "kind": "ml"}
    rows = [matrix_row(), matrix_row(account=other, status="fail"),
            matrix_row(row="A1-download", account=ACCESS, control="A1")]
    report = evidence.build([source([record()], accounts=(ACCESS, ML, other), matrix=rows)], "2025-03-01T02:00:05Z")
    page = parsed(evidence.render_html(report))
    matrix = []
    row = None
    for tag, attrs in page.elements:
        if tag == "tr" and "data-row" in attrs:
            row = attrs["data-row"]
        elif tag == "td" and row and "data-status" in attrs:
            matrix.append((row, attrs.get("data-account"), attrs["data-status"]))
    assert matrix == [
        ("A1-download", "access", "pass"), ("A1-download", None, "none"), ("A1-download", None, "none"),
        ("M1-internet-route", None, "none"), ("M1-internet-route", "ml-genomics", "fail"),
        ("M1-internet-route", "ml-research", "pass"),
    ]
    markdown = evidence.render_markdown(report)
    assert "| M1-internet-route | M1 | send data out through an internet gateway route | - | fail | pass |" in markdown


def test_the_markdown_report_has_the_grid_and_escapes_table_cells():
    report = evidence.build([source([
        record(account=ACCESS, control="A1"), record(status="fail", evidence_text="a | b\nc")])],
        "2025-03-01T02:00:05Z")
    markdown = evidence.render_markdown(report)
    assert "**FAIL**: 1 pass, 0 staged, 1 fail" in markdown
    assert "| access | 111111111111 | access | pass | - |" in markdown
    assert "| ml-research | 222222222222 | ml | - | fail |" in markdown
    assert "| M1 | SageMaker network | fail | a \\| b c |" in markdown
    assert "No attack-matrix rows in this report." in markdown


def run_report(tmp_path, args, check=False):
    """The action plugin run by ansible-playbook from a playbook under tmp_path/playbooks."""
    playbook = tmp_path / "playbooks" / "report.yml"
    playbook.parent.mkdir(exist_ok=True)
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"mlperimeter.aws.evidence_report": args, "register": "report"},
        {"ansible.builtin.copy": {"content": "{{ report | to_json }}", "dest": str(tmp_path / "result.json")},
         "check_mode": False}]}]))
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    command = [str(ANSIBLE), "-i", "localhost,", "-c", "local", str(playbook)] + (["--check"] if check else [])
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=300)
    result = json.loads((tmp_path / "result.json").read_text()) if done.returncode == 0 else None
    return done, result


def test_the_plugin_writes_json_markdown_and_html_under_reports_next_to_the_playbooks(tmp_path):
    done, result = run_report(tmp_path, {"records": [record(account=ACCESS, control="A1")], "accounts": [ACCESS]})
    assert done.returncode == 0, done.stdout + done.stderr
    directory = Path(result["report_dir"])
    assert directory.parent == tmp_path / "reports"
    assert re.fullmatch(r"\d{8}T\d{6}Z", directory.name)
    assert sorted(p.name for p in directory.iterdir()) == ["evidence.html", "evidence.json", "evidence.md"]
    written = json.loads((directory / "evidence.json").read_text())
    assert set(written) == {"generated", "runs", "accounts", "controls", "matrix", "summary"}
    assert written["runs"] == [{"id": directory.name, "generated": written["generated"], "accounts": ["access"]}]
    assert written["controls"] == [record(account=ACCESS, control="A1")]
    assert result["summary"] == {"pass": 1, "staged": 0, "fail": 0} and result["changed"] is True


def test_the_plugin_merges_reports_and_names_the_runs_merged(tmp_path):
    first, _ = run_report(tmp_path, {"records": [record(account=ACCESS, control="A1")], "accounts": [ACCESS],
                                     "report_dir": str(tmp_path / "one")})
    second, _ = run_report(tmp_path, {"records": [record(status="fail")], "accounts": [ML],
                                      "report_dir": str(tmp_path / "two")})
    assert first.returncode == 0 and second.returncode == 0
    (one,) = (tmp_path / "one").iterdir()
    (two,) = (tmp_path / "two").iterdir()
    done, result = run_report(tmp_path, {"merge": [str(one), str(two / "evidence.json")],
                                         "report_dir": str(tmp_path / "merged")})
    assert done.returncode == 0, done.stdout + done.stderr
    merged = json.loads(Path(result["files"]["json"]).read_text())
    assert [a["name"] for a in merged["accounts"]] == ["access", "ml-research"]
    assert [r["report"] for r in merged["runs"]] == [str(one / "evidence.json"), str(two / "evidence.json")]
    assert merged["summary"] == {"pass": 1, "staged": 0, "fail": 1}
    assert [f["account"] for f in result["failures"]] == ["ml-research"]
    assert "merged from " + str(one / "evidence.json") in Path(result["files"]["markdown"]).read_text()


@pytest.mark.parametrize(("args", "message"), [
    ({"records": [record(status="broken")], "accounts": [ML]},
     "records[0].status must be one of pass, staged, fail, got 'broken'"),
    ({"records": [], "merge": []}, "records and merge are both empty: there is nothing to report"),
    ({"merge": ["/nonexistent/evidence.json"]},
     "merge[0]: cannot read an evidence report from /nonexistent/evidence.json"),
])
def test_the_plugin_refuses_bad_input_and_writes_nothing(tmp_path, args, message):
    done, _ = run_report(tmp_path, dict(args, report_dir=str(tmp_path / "reports")))
    assert done.returncode != 0
    assert message in done.stdout
    assert not (tmp_path / "reports").exists()


def test_the_plugin_writes_nothing_in_check_mode(tmp_path):
    done, result = run_report(tmp_path, {"records": [record()], "accounts": [ML]}, check=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert Path(result["report_dir"]).parent == tmp_path / "reports"
    assert not (tmp_path / "reports").exists()
