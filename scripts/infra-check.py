#!/usr/bin/env python3
"""Infrastructure checks that need no Azure subscription and no docker engine:

  1. bicep build infra/main.bicep   (Bicep CLI from the NuGet package Azure.Bicep.CommandLine.linux-x64)
  2. bicep lint  infra/main.bicep
  3. scripts/check-dockerfile.py    (infra/Dockerfile against the build context and .dockerignore)

A check fails on any error, and on any warning whose code is not in infra/bicep-lint-allowlist.txt.
Writes a JUnit XML file (one testcase per check) when --junit is given, prints one line per check, and exits
0 when all pass, 1 otherwise.

The Bicep CLI is taken from $BICEP, else from the NuGet cache ($NUGET_PACKAGES or ~/.nuget/packages), after
`dotnet restore infra/tools/bicep.proj` when it is not there yet. Standard library only.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BICEP_PACKAGE = "azure.bicep.commandline.linux-x64"
BICEP_PROJ = os.path.join("infra", "tools", "bicep.proj")

# path(line,col) : Level CODE: message [link]
DIAGNOSTIC = re.compile(r"^(?P<file>.+?)\((?P<line>\d+),(?P<col>\d+)\) : (?P<level>Error|Warning|Info) (?P<code>[\w-]+): (?P<msg>.*)$")


@dataclass
class Diagnostic:
    file: str
    line: int
    level: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}({self.line}): {self.level} {self.code}: {self.message}"


@dataclass
class CheckResult:
    name: str
    ok: bool
    seconds: float = 0.0
    details: list[str] = field(default_factory=list)
    output: str = ""


def bicep_version(proj: str) -> str:
    text = open(proj, encoding="utf-8").read()
    m = re.search(r"<BicepVersion>([^<]+)</BicepVersion>", text)
    if not m:
        raise RuntimeError(f"{proj}: no <BicepVersion>")
    return m.group(1).strip()


def find_bicep(repo: str, restore: bool = True) -> str:
    if os.environ.get("BICEP"):
        return os.environ["BICEP"]
    version = bicep_version(os.path.join(repo, BICEP_PROJ))
    cache = os.environ.get("NUGET_PACKAGES") or os.path.join(os.path.expanduser("~"), ".nuget", "packages")
    path = os.path.join(cache, BICEP_PACKAGE, version, "tools", "bicep")
    if not os.path.isfile(path) and restore:
        proc = subprocess.run(["dotnet", "restore", os.path.join(repo, BICEP_PROJ), "-nologo", "--verbosity", "quiet"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"dotnet restore {BICEP_PROJ} failed:\n{proc.stdout}{proc.stderr}")
    if not os.path.isfile(path):
        raise RuntimeError(f"Bicep CLI not found at {path}")
    if not os.access(path, os.X_OK):
        os.chmod(path, 0o755)  # NuGet extracts it without the execute bit on some systems
    return path


def load_allowlist(path: str) -> list[tuple[str, str | None]]:
    """Lines 'CODE [file]  # why'. Returns (code, file or None)."""
    entries: list[tuple[str, str | None]] = []
    if not os.path.exists(path):
        return entries
    for raw in open(path, encoding="utf-8"):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        entries.append((parts[0], parts[1] if len(parts) > 1 else None))
    return entries


def parse_diagnostics(text: str, base: str) -> list[Diagnostic]:
    out = []
    for line in text.splitlines():
        m = DIAGNOSTIC.match(line.strip())
        if m:
            msg = re.sub(r"\s*\[https?://[^\]]+\]\s*$", "", m.group("msg"))
            f = m.group("file")
            try:
                f = os.path.relpath(f, base)
            except ValueError:
                pass
            out.append(Diagnostic(f.replace(os.sep, "/"), int(m.group("line")), m.group("level"), m.group("code"), msg))
    return out


def allowed(d: Diagnostic, allow: list[tuple[str, str | None]]) -> bool:
    return any(code == d.code and (f is None or d.file == f or d.file.endswith("/" + f)) for code, f in allow)


def judge(diags: list[Diagnostic], allow: list[tuple[str, str | None]], returncode: int) -> list[str]:
    """Problems: every error, every warning not allow-listed, a non-zero exit with no diagnostic to explain it."""
    problems = []
    for d in diags:
        if d.level == "Error":
            problems.append(str(d))
        elif d.level == "Warning" and not allowed(d, allow):
            problems.append(f"{d} (not in infra/bicep-lint-allowlist.txt)")
    if returncode != 0 and not problems:
        problems.append(f"exit status {returncode}")
    return problems


def run_bicep(bicep: str, args: list[str], allow, infra: str) -> CheckResult:
    name = "bicep " + args[0]
    start = time.monotonic()
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="bicep-") as tmp:
        # The single-file CLI extracts itself; keep that out of $HOME and away from other runs.
        env.setdefault("DOTNET_BUNDLE_EXTRACT_BASE_DIR", os.path.join(tmp, "extract"))
        env["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1"
        cmd = [bicep, *args]
        if args[0] == "build":
            cmd += ["--outdir", tmp]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    output = proc.stdout + proc.stderr
    diags = parse_diagnostics(output, infra)
    problems = judge(diags, allow, proc.returncode)
    details = problems or [f"{len(diags)} diagnostic(s), all allow-listed" if diags else "no diagnostics"]
    return CheckResult(name, not problems, time.monotonic() - start, details, output)


def run_dockerfile_check(repo: str) -> CheckResult:
    start = time.monotonic()
    proc = subprocess.run([sys.executable, os.path.join(repo, "scripts", "check-dockerfile.py")],
                          capture_output=True, text=True)
    output = proc.stdout + proc.stderr
    lines = [l for l in output.splitlines() if l.strip()]
    return CheckResult("dockerfile check", proc.returncode == 0, time.monotonic() - start,
                       [l for l in lines if "problem:" in l] or lines[-1:], output)


def write_junit(path: str, results: list[CheckResult]) -> None:
    failures = sum(1 for r in results if not r.ok)
    suite = ET.Element("testsuite", name="infra", tests=str(len(results)), failures=str(failures), errors="0",
                       skipped="0", time=f"{sum(r.seconds for r in results):.3f}")
    for r in results:
        case = ET.SubElement(suite, "testcase", classname="infra", name=r.name, time=f"{r.seconds:.3f}")
        if not r.ok:
            fail = ET.SubElement(case, "failure", message="; ".join(r.details)[:500])
            fail.text = r.output
        else:
            out = ET.SubElement(case, "system-out")
            out.text = r.output
    root = ET.Element("testsuites")
    root.append(suite)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="bicep build + lint of infra/main.bicep and the Dockerfile check")
    ap.add_argument("--junit", help="write a JUnit XML file here")
    ap.add_argument("--repo", default=REPO)
    a = ap.parse_args(argv)
    infra = os.path.join(a.repo, "infra")
    main_bicep = os.path.join(infra, "main.bicep")
    allow = load_allowlist(os.path.join(infra, "bicep-lint-allowlist.txt"))

    results: list[CheckResult] = []
    try:
        bicep = find_bicep(a.repo)
    except RuntimeError as e:
        results += [CheckResult("bicep build", False, 0, [str(e)]), CheckResult("bicep lint", False, 0, [str(e)])]
    else:
        results.append(run_bicep(bicep, ["build", main_bicep], allow, infra))
        results.append(run_bicep(bicep, ["lint", main_bicep], allow, infra))
    results.append(run_dockerfile_check(a.repo))

    for r in results:
        print(f"infra-check: {r.name}: {'ok' if r.ok else 'FAILED'} ({r.seconds:.1f} s)")
        for d in r.details:
            print(f"infra-check:   {d}")
    if a.junit:
        write_junit(a.junit, results)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
