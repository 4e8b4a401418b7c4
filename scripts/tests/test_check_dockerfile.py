"""Tests of scripts/check-dockerfile.py: a small build context per test (tmp_path) and the real infra/Dockerfile."""
import importlib.util
import os
import subprocess
import sys
import textwrap

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "scripts", "check-dockerfile.py")


def _load_checker():
    """scripts/check-dockerfile.py as the module `check_dockerfile` (its file name has a dash). No conftest.py
    here: models/tests does `from conftest import ...`, and one pytest run collects both folders."""
    if "check_dockerfile" not in sys.modules:
        spec = importlib.util.spec_from_file_location("check_dockerfile", SCRIPT)
        module = importlib.util.module_from_spec(spec)
        sys.modules["check_dockerfile"] = module
        spec.loader.exec_module(module)
    return sys.modules["check_dockerfile"]


cd = _load_checker()

GOOD = """\
    # syntax=docker/dockerfile:1
    ARG BASE=mcr.microsoft.com/dotnet/aspnet:10.0
    FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
    WORKDIR /src
    COPY app.csproj ./
    COPY ["src/", "src/"]
    RUN dotnet publish -o /out \\
        -c Release
    FROM ${BASE} AS final
    COPY --from=build --chown=10001:10001 /out /app
    USER 10001
    HEALTHCHECK --interval=30s CMD curl -fsS http://localhost:8080/api/health || exit 1
    """


def make_context(tmp_path, dockerfile=GOOD, ignore=None, files=("app.csproj", "src/a.cs")):
    for f in files:
        p = tmp_path / f
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x")
    (tmp_path / "Dockerfile").write_text(textwrap.dedent(dockerfile))
    if ignore is not None:
        (tmp_path / ".dockerignore").write_text(textwrap.dedent(ignore))
    return cd.check(str(tmp_path / "Dockerfile"), str(tmp_path))


def test_good_dockerfile_has_no_problems(tmp_path):
    rep = make_context(tmp_path)
    assert rep.problems == []
    assert rep.stages == 2
    assert rep.copies == 3
    assert rep.sources == 2


def test_missing_copy_source_is_reported(tmp_path):
    rep = make_context(tmp_path, files=("app.csproj",))
    assert any("src/ does not exist" in p for p in rep.problems)


def test_source_excluded_by_dockerignore_is_reported(tmp_path):
    rep = make_context(tmp_path, ignore="*.csproj\n")
    assert any("app.csproj is excluded by .dockerignore" in p for p in rep.problems)


def test_folder_emptied_by_dockerignore_is_reported(tmp_path):
    rep = make_context(tmp_path, ignore="src/**/*.cs\n")
    assert any("src/ is empty after .dockerignore" in p for p in rep.problems)


def test_allow_list_dockerignore_with_exceptions(tmp_path):
    rep = make_context(tmp_path, ignore="""\
        *
        !app.csproj
        !src/
        **/bin/
        """)
    assert rep.problems == []


def test_unknown_copy_from_stage_is_reported(tmp_path):
    rep = make_context(tmp_path, dockerfile=GOOD.replace("--from=build", "--from=builder"))
    assert any("--from=builder: no such stage" in p for p in rep.problems)


def test_copy_from_a_later_stage_is_reported(tmp_path):
    df = GOOD.replace("--from=build", "--from=final")
    rep = make_context(tmp_path, dockerfile=df)
    assert any("--from=final: stage is not defined before this one" in p for p in rep.problems)


def test_copy_from_stage_index_and_external_image_are_accepted(tmp_path):
    df = GOOD.replace("--from=build", "--from=0") + "    COPY --from=nginx:latest /etc/nginx/nginx.conf /tmp/\n"
    assert make_context(tmp_path, dockerfile=df).problems == []


def test_duplicate_stage_names_are_reported(tmp_path):
    df = GOOD.replace("AS final", "AS build")
    assert any("'build' is used more than once" in p for p in make_context(tmp_path, dockerfile=df).problems)


def test_final_stage_without_user_or_running_as_root_is_reported(tmp_path):
    rep = make_context(tmp_path, dockerfile=GOOD.replace("    USER 10001\n", ""))
    assert any("no USER" in p for p in rep.problems)
    for root in ("root", "0", "0:0", "root:root"):
        rep = make_context(tmp_path, dockerfile=GOOD.replace("USER 10001", f"USER {root}"))
        assert any("runs as root" in p for p in rep.problems), root


def test_user_in_build_stage_only_does_not_count(tmp_path):
    df = GOOD.replace("    USER 10001\n", "").replace("WORKDIR /src", "WORKDIR /src\n    USER app")
    assert any("no USER" in p for p in make_context(tmp_path, dockerfile=df).problems)


def test_final_stage_without_healthcheck_is_reported(tmp_path):
    df = "\n".join(l for l in textwrap.dedent(GOOD).splitlines() if not l.startswith("HEALTHCHECK")) + "\n"
    assert any("no HEALTHCHECK" in p for p in make_context(tmp_path, dockerfile=df).problems)
    df2 = GOOD.replace("HEALTHCHECK --interval=30s CMD curl -fsS http://localhost:8080/api/health || exit 1", "HEALTHCHECK NONE")
    assert any("HEALTHCHECK NONE" in p for p in make_context(tmp_path, dockerfile=df2).problems)


def test_source_outside_the_context_is_reported(tmp_path):
    df = GOOD.replace("COPY app.csproj ./", "COPY ../secret ./")
    assert any("outside the build context" in p for p in make_context(tmp_path, dockerfile=df).problems)


def test_glob_source(tmp_path):
    assert make_context(tmp_path, dockerfile=GOOD.replace("COPY app.csproj ./", "COPY *.csproj ./")).problems == []
    rep = make_context(tmp_path, dockerfile=GOOD.replace("COPY app.csproj ./", "COPY *.fsproj ./"))
    assert any("matches no file" in p for p in rep.problems)


def test_dockerignore_pattern_semantics():
    rules = [cd.IgnoreRule(p, e, cd._pattern_regex(p)) for p, e in
             [("*", False), ("src", True), ("**/bin", False), ("src/keep/bin", True), ("docs/*.md", False)]]
    assert cd.is_ignored("README.md", rules)
    assert not cd.is_ignored("src/a.cs", rules)
    assert cd.is_ignored("src/x/bin/a.dll", rules)
    assert not cd.is_ignored("src/keep/bin/a.dll", rules)   # last matching rule wins
    assert cd.is_ignored("docs/a.md", rules)               # parent 'docs' already matched '*'


def test_repository_dockerfile_passes():
    rep = cd.check(os.path.join(REPO, "infra", "Dockerfile"), REPO)
    assert rep.problems == []
    assert rep.stages == 2


def test_command_line_exit_status(tmp_path):
    ok = subprocess.run([sys.executable, SCRIPT], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip().splitlines()[-1].endswith(": ok")
    make_context(tmp_path, dockerfile=GOOD.replace("    USER 10001\n", ""))
    bad = subprocess.run([sys.executable, SCRIPT, "--dockerfile", str(tmp_path / "Dockerfile"), "--context", str(tmp_path)],
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert "problem: " in bad.stdout and "1 problem(s)" in bad.stdout
    missing = subprocess.run([sys.executable, SCRIPT, "--dockerfile", str(tmp_path / "nope")], capture_output=True, text=True)
    assert missing.returncode == 2
