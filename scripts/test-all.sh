#!/usr/bin/env bash
# Runs every test of the repository: the Python model tooling and scripts (pytest, models/tests and
# scripts/tests), the infrastructure checks (bicep build + lint of infra/main.bicep, infra/Dockerfile check;
# scripts/infra-check.py, one test each) and the .NET solution (dotnet test). Installs missing Python
# packages and Chromium (for the Playwright browser tests) from Debian first (root or sudo).
# Ends with exactly one summary line:  N passed, N failed, N skipped
# Exit status: 0 when every runner succeeded and no test failed, 1 otherwise.
#
# After dotnet test, a fuzzing smoke run (fuzz/GPT4RoI.Fuzz, fixed seed and execution counts, 1-2 minutes): one
# test case per target in fuzz.xml, failed when the target had findings (unexpected exceptions, slow inputs).
#
# Environment:
#   TEST_RESULTS_DIR   keep the raw results (pytest.xml, *.trx, fuzz.xml) there instead of a temp dir
#   SKIP_PYTHON=1      do not run pytest;  SKIP_DOTNET=1  do not run dotnet test (nor the fuzzing smoke run)
#   SKIP_INFRA=1       do not run the infrastructure checks;  SKIP_FUZZ=1  do not run the fuzzing smoke run
#   GPT4ROI_CHROMIUM   a Chromium for the browser tests other than /usr/bin/chromium (then nothing is installed)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PY=/usr/bin/python3
APT_PACKAGES=(python3-torch python3-torchvision python3-onnx python3-sentencepiece
  python3-numpy python3-pil python3-pytest libopenblas0-pthread)

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export PYTHONDONTWRITEBYTECODE=1

if [[ -n "${TEST_RESULTS_DIR:-}" ]]; then
  results="$(mkdir -p "$TEST_RESULTS_DIR" && cd "$TEST_RESULTS_DIR" && pwd)"
else
  results="$(mktemp -d "${TMPDIR:-/tmp}/gpt4roi-tests.XXXXXX")"
  trap 'rm -rf "$results"' EXIT
fi

runner_failed=0

python_ready() {
  [[ -x "$PY" ]] && "$PY" -c 'import torch, onnx, sentencepiece, pytest' >/dev/null 2>&1
}

install_python_deps() {
  python_ready && return 0
  echo "test-all: installing Debian Python packages: ${APT_PACKAGES[*]}"
  local sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
      echo "test-all: error: missing Python packages and not root (no sudo); install: ${APT_PACKAGES[*]}" >&2
      return 1
    fi
  fi
  local log="$results/apt.log"
  if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q \
        && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
             python3 "${APT_PACKAGES[@]}"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "test-all: error: apt-get install failed" >&2
    return 1
  fi
  python_ready || { echo "test-all: error: $PY still cannot import torch, onnx, sentencepiece, pytest" >&2; return 1; }
}

# --- Python (models/tests, scripts/tests) -------------------------------------
pytest_dirs=()
for d in models/tests scripts/tests; do [[ -d $d ]] && pytest_dirs+=("$d"); done
if [[ "${SKIP_PYTHON:-0}" != 1 && ${#pytest_dirs[@]} -gt 0 ]]; then
  if install_python_deps; then
    echo "test-all: pytest ${pytest_dirs[*]}"
    set +e
    "$PY" -m pytest "${pytest_dirs[@]}" -q -p no:cacheprovider --junitxml="$results/pytest.xml"
    rc=$?
    set -e
    # 5 = no tests collected: not a failure of the runner.
    if [[ $rc -ne 0 && $rc -ne 5 ]]; then
      echo "test-all: pytest exited with $rc" >&2
      runner_failed=1
    fi
  else
    runner_failed=1
  fi
fi

# --- Infrastructure (bicep build, bicep lint, Dockerfile check) ------------------
# Fails on errors and on warnings not listed in infra/bicep-lint-allowlist.txt. The Bicep CLI comes from NuGet
# (dotnet restore infra/tools/bicep.proj). Each check is one test case in infra.xml.
if [[ "${SKIP_INFRA:-0}" != 1 && -f infra/main.bicep ]]; then
  echo "test-all: infrastructure checks (scripts/infra-check.py)"
  set +e
  "$PY" scripts/infra-check.py --junit "$results/infra.xml"
  rc=$?
  set -e
  # Failed checks are counted from infra.xml; only a run that wrote no results is a runner failure.
  if [[ $rc -ne 0 && ! -f "$results/infra.xml" ]]; then
    echo "test-all: infra-check exited with $rc" >&2
    runner_failed=1
  fi
fi

# --- Azurite (storage emulator for the Functions tests; the test fixture starts it) ---
AZURITE_VERSION=3.37.0
if [[ "${SKIP_DOTNET:-0}" != 1 && ! -x .tools/azurite/node_modules/.bin/azurite ]]; then
  if command -v npm >/dev/null 2>&1; then
    echo "test-all: installing azurite@$AZURITE_VERSION (npm) into .tools/azurite"
    mkdir -p .tools/azurite
    if ! (cd .tools/azurite && npm install --no-audit --no-fund --silent "azurite@$AZURITE_VERSION") >"$results/npm.log" 2>&1; then
      tail -n 20 "$results/npm.log" >&2
      echo "test-all: error: npm install azurite failed" >&2
      runner_failed=1
    fi
  else
    echo "test-all: error: npm not found; the storage tests need Azurite (npm install azurite)" >&2
    runner_failed=1
  fi
fi

# --- Chromium (the browser tests drive Debian's /usr/bin/chromium with Playwright; no browser download) ---
if [[ "${SKIP_DOTNET:-0}" != 1 && -z "${GPT4ROI_CHROMIUM:-}" && ! -x /usr/bin/chromium ]]; then
  echo "test-all: installing Debian's chromium (browser tests)"
  sudo=()
  if [[ "$(id -u)" -ne 0 ]] && command -v sudo >/dev/null 2>&1; then sudo=(sudo); fi
  if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q \
        && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
             -o DPkg::Lock::Timeout=300 chromium; } >"$results/apt-chromium.log" 2>&1; then
    tail -n 20 "$results/apt-chromium.log" >&2
    echo "test-all: error: apt-get install chromium failed; the browser tests will fail" >&2
    runner_failed=1
  fi
fi

# --- .NET ----------------------------------------------------------------------
if [[ "${SKIP_DOTNET:-0}" != 1 ]]; then
  if command -v dotnet >/dev/null 2>&1; then
    echo "test-all: dotnet test GPT4RoI.Functions.sln"
    set +e
    dotnet test GPT4RoI.Functions.sln -c Release -nologo --verbosity quiet \
      --logger "trx" --results-directory "$results/dotnet"
    rc=$?
    set -e
    if [[ $rc -ne 0 ]]; then
      echo "test-all: dotnet test exited with $rc" >&2
      runner_failed=1
    fi
  else
    echo "test-all: error: dotnet not found on PATH" >&2
    runner_failed=1
  fi
fi

# --- Fuzzing smoke run (docs/reliability.md#fuzzing) -------------------------------
# dotnet test builds only the test projects and what they reference, so the harness is built here (Release).
# Findings are counted from fuzz.xml; only a run that wrote no results is a runner failure.
if [[ "${SKIP_DOTNET:-0}" != 1 && "${SKIP_FUZZ:-0}" != 1 ]]; then
  fuzz_dll=fuzz/GPT4RoI.Fuzz/bin/Release/net10.0/gpt4roi-fuzz.dll
  if ! dotnet build fuzz/GPT4RoI.Fuzz -c Release -nologo --verbosity quiet >"$results/fuzz-build.log" 2>&1; then
    tail -n 20 "$results/fuzz-build.log" >&2
  fi
  if [[ -f $fuzz_dll ]]; then
    echo "test-all: fuzzing smoke run (gpt4roi-fuzz smoke)"
    set +e
    dotnet "$fuzz_dll" smoke --junit "$results/fuzz.xml" --findings "$results/fuzz-findings"
    rc=$?
    set -e
    if [[ $rc -ne 0 && ! -f "$results/fuzz.xml" ]]; then
      echo "test-all: fuzzing smoke run exited with $rc" >&2
      runner_failed=1
    fi
  else
    echo "test-all: error: $fuzz_dll was not built" >&2
    runner_failed=1
  fi
fi

# --- Summary -----------------------------------------------------------------
summary="$("$PY" - "$results" <<'PYEOF'
import glob, os, sys
import xml.etree.ElementTree as ET

root = sys.argv[1]
passed = failed = skipped = 0

for name in ("pytest.xml", "infra.xml", "fuzz.xml"):
    junit = os.path.join(root, name)
    if not os.path.exists(junit):
        continue
    tree = ET.parse(junit).getroot()
    suites = [tree] if tree.tag == "testsuite" else tree.iter("testsuite")
    for s in suites:
        tests = int(s.get("tests", 0))
        f = int(s.get("failures", 0)) + int(s.get("errors", 0))
        sk = int(s.get("skipped", 0))
        passed += tests - f - sk
        failed += f
        skipped += sk
        if name in ("infra.xml", "fuzz.xml"):
            for case in s.iter("testcase"):
                fail = case.find("failure")
                if fail is not None:
                    print(f"FAILED {name[:-4]}: {case.get('name')}: {fail.get('message', '')}", file=sys.stderr)

for trx in sorted(glob.glob(os.path.join(root, "dotnet", "**", "*.trx"), recursive=True)):
    for el in ET.parse(trx).getroot().iter():
        if el.tag.rsplit("}", 1)[-1] != "UnitTestResult":
            continue
        outcome = el.get("outcome", "")
        if outcome == "Passed":
            passed += 1
        elif outcome in ("NotExecuted", "Inconclusive", "Pending", "Disconnected", "Warning"):
            skipped += 1
        else:
            failed += 1
            # Say why on stderr: the quiet runner output names the test only.
            msg = "".join(t.text or "" for t in el.iter() if t.tag.rsplit("}", 1)[-1] in ("Message", "StackTrace"))
            print(f"FAILED {el.get('testName')}:\n{msg[:3000]}", file=sys.stderr)

print(f"{passed} passed, {failed} failed, {skipped} skipped")
PYEOF
)" || { summary="0 passed, 0 failed, 0 skipped"; echo "test-all: error: could not read test results" >&2; runner_failed=1; }

failed_count="$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$summary")"
status=0
if [[ $runner_failed -ne 0 || "$failed_count" != 0 ]]; then status=1; fi
echo "$summary"
exit $status
