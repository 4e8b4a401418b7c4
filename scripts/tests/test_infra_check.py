"""Tests of scripts/infra-check.py's diagnostic parsing, allow-list and JUnit output (no Bicep CLI needed)."""
import importlib.util
import os
import sys
import xml.etree.ElementTree as ET

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _load():
    if "infra_check" not in sys.modules:
        spec = importlib.util.spec_from_file_location("infra_check", os.path.join(REPO, "scripts", "infra-check.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules["infra_check"] = module
        spec.loader.exec_module(module)
    return sys.modules["infra_check"]


ic = _load()
INFRA = "/repo/infra"
OUTPUT = """\
/repo/infra/modules/functionapp.bicep(142,3) : Warning BCP187: The property "kind" does not exist. [https://aka.ms/bicep/core-diagnostics#BCP187]
/repo/infra/main.bicep(10,5) : Warning no-unused-vars: Variable "x" is declared but never used. [https://aka.ms/bicep/linter/no-unused-vars]
/repo/infra/main.bicep(11,1) : Info some-info-rule: Just saying.
some unrelated line
"""


def test_parse_diagnostics_relative_paths_and_links_stripped():
    diags = ic.parse_diagnostics(OUTPUT, INFRA)
    assert [(d.file, d.line, d.level, d.code) for d in diags] == [
        ("modules/functionapp.bicep", 142, "Warning", "BCP187"),
        ("main.bicep", 10, "Warning", "no-unused-vars"),
        ("main.bicep", 11, "Info", "some-info-rule"),
    ]
    assert diags[0].message == 'The property "kind" does not exist.'


def test_allowlist_file_format(tmp_path):
    p = tmp_path / "allow.txt"
    p.write_text("# comment\n\nBCP187 modules/functionapp.bicep  # kind is valid\nno-unused-vars # anywhere\n")
    assert ic.load_allowlist(str(p)) == [("BCP187", "modules/functionapp.bicep"), ("no-unused-vars", None)]
    assert ic.load_allowlist(str(tmp_path / "missing.txt")) == []


def test_judge_warnings_need_the_allowlist_errors_always_fail():
    diags = ic.parse_diagnostics(OUTPUT, INFRA)
    problems = ic.judge(diags, [], 0)
    assert len(problems) == 2 and all("not in infra/bicep-lint-allowlist.txt" in p for p in problems)
    assert ic.judge(diags, [("BCP187", "modules/functionapp.bicep"), ("no-unused-vars", None)], 0) == []
    # an allow-list entry limited to another file does not cover this one
    assert len(ic.judge(diags, [("BCP187", "main.bicep"), ("no-unused-vars", None)], 0)) == 1
    err = ic.parse_diagnostics("/repo/infra/main.bicep(1,1) : Error BCP279: Expected a type.", INFRA)
    assert ic.judge(err, [("BCP279", None)], 1) == ["main.bicep(1): Error BCP279: Expected a type."]
    assert ic.judge([], [], 1) == ["exit status 1"]


def test_junit_counts_each_check(tmp_path):
    path = tmp_path / "infra.xml"
    ic.write_junit(str(path), [ic.CheckResult("bicep build", True, 1.0, ["ok"], "out"),
                               ic.CheckResult("bicep lint", False, 2.0, ["bad"], "why")])
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    names = [c.get("name") for c in suite.iter("testcase")]
    assert names == ["bicep build", "bicep lint"]
    assert suite.findall("testcase")[1].find("failure").get("message") == "bad"


def test_bicep_version_comes_from_the_tools_project():
    assert ic.bicep_version(os.path.join(REPO, "infra", "tools", "bicep.proj")) == "0.49.2"
