"""runbooks/check_report.py: the runbooks' check steps read the newest evidence report through it."""

import importlib.util
import json

import pytest

from support.ansible import REPO

spec = importlib.util.spec_from_file_location("check_report", REPO / "runbooks" / "check_report.py")
check_report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_report)


def record(account, control, status, evidence="", check="a check"):
    return {"account": account, "account_id": "111111111111", "control": control, "check": check,
            "status": status, "evidence": evidence}


@pytest.fixture
def reports(tmp_path):
    def write(name, records):
        (tmp_path / name).mkdir()
        summary = {status: sum(r["status"] == status for r in records) for status in ("pass", "staged", "fail")}
        (tmp_path / name / "evidence.json").write_text(json.dumps({"controls": records, "summary": summary}))

    write("20250301T020000Z", [record("ml-a", "M1", "fail", "M1 fails")])
    write("20250301T030000Z", [
        record("access", "A2", "pass", "admit only 111111111111, 222222222222", check="endpoints"),
        record("access", "A2", "staged", "staged (ALERT)", check="browser DNS Firewall"),
        record("ml-a", "M1", "pass", "names egress IPs 203.0.113.7/32"),
        record("ml-b", "M1", "pass", "names egress IPs 198.51.100.1/32"),
    ])
    (tmp_path / "policies").mkdir()
    return tmp_path


@pytest.mark.parametrize(("args", "code"), [
    ([], 0),
    (["--expect", "ml-a:M1=pass"], 0),                      # the newest report, not the earlier failure
    (["--expect", "access:A2=staged"], 0),                  # a control is its worst check
    (["--expect", "access:A2=pass"], 1),
    (["--expect", "*:M1=pass"], 0),
    (["--expect", "*:*=pass"], 1),
    (["--expect", "ml-c:M1=pass"], 1),                      # not in the report
    (["--evidence", "access:A2~222222222222"], 0),
    (["--evidence", "*:M1~203.0.113.7/32"], 1),             # ml-b does not name it
    (["--no-evidence", "*:M1~192.0.2.1/32"], 0),
    (["--no-evidence", "ml-a:M1~203.0.113.7/32"], 1),
])
def test_expectations_hold_or_fail_on_the_newest_report(reports, args, code):
    assert check_report.main([str(reports), *args]) == code


def test_the_output_names_what_is_not_as_expected(reports, capsys):
    check_report.main([str(reports), "--expect", "access:A2=pass"])
    out, err = capsys.readouterr()
    assert "STAGED: A2 browser DNS Firewall in access (111111111111): staged (ALERT)" in out
    assert "NOT AS EXPECTED: access:A2 is staged, expected pass" in err


def test_no_report_and_malformed_expectations_exit_2(tmp_path):
    assert check_report.main([str(tmp_path)]) == 2
    with pytest.raises(SystemExit) as exited:
        check_report.main([str(tmp_path), "--expect", "ml-a:M1=green"])
    assert exited.value.code == 2
