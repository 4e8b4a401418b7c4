#!/usr/bin/env bash
# Runs the performance benchmarks (docs/performance.md): for each benchmark asked for, its Python baseline
# (benchmarks/python/pN_*.py, Debian python3) writes the inputs and the baseline figures into a run folder, then at
# once the C# side (benchmarks/GPT4RoI.Benchmarks, BenchmarkDotNet, in process) measures on the same inputs; at the
# end benchmarks/python/report.py prints one table per benchmark: each C# figure next to its baseline from this run,
# their ratio, the goal and whether it is met.
#
#   bash scripts/bench.sh [P1 P2 ... | all] [--quick] [--threads 1,2] [--out DIR] [--keep-inputs]
#
#   P1 .. P8       benchmarks to run (default: P1 P2; `all` = P1..P8; P4..P7 compare C# figures with each other, no Python side)
#   --quick        smoke test: one case per benchmark, 1 thread, 1 warm-up + 3 short iterations (figures not meaningful)
#   --threads L    comma-separated thread counts, the same on both sides (default: 1 and the number of CPUs)
#   --out DIR      run folder (default: a new folder under ${TMPDIR:-/tmp}); python.json, csharp.json, report.txt
#   --keep-inputs  keep the generated inputs (feature maps, images, reference outputs: ~0.5 GB for P1+P2)
#
# Exit status: 0 when every step ran (goals met or not: the table says), 1 when a step failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PY=/usr/bin/python3
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export PYTHONDONTWRITEBYTECODE=1

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }

benches=()
quick=0
threads=""
out=""
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    P[1-8]|p[1-8]) benches+=("${1^^}") ;;
    all) benches+=(P1 P2 P3 P4 P5 P6 P7 P8) ;;
    --quick) quick=1 ;;
    --threads) threads="${2:?--threads needs a value}"; shift ;;
    --out) out="${2:?--out needs a folder}"; shift ;;
    --keep-inputs) keep=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench: unknown argument '$1'" >&2; usage >&2; exit 1 ;;
  esac
  shift
done
[[ ${#benches[@]} -gt 0 ]] || benches=(P1 P2)
if [[ -z "$threads" ]]; then
  cpus="$(nproc)"
  if [[ $quick == 1 || $cpus == 1 ]]; then threads=1; else threads="1,$cpus"; fi
fi

if ! "$PY" -c 'import torch, torchvision, onnx, numpy, PIL' >/dev/null 2>&1; then
  echo "bench: $PY cannot import torch, torchvision, onnx, numpy, PIL; install the Debian packages:" >&2
  echo "  apt-get install python3-torch python3-torchvision python3-onnx python3-numpy python3-pil python3-sentencepiece libopenblas0-pthread" >&2
  exit 1
fi

if [[ -z "$out" ]]; then out="$(mktemp -d "${TMPDIR:-/tmp}/gpt4roi-bench.XXXXXX")"; fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
quick_flag=()
[[ $quick == 1 ]] && quick_flag=(--quick)
suites="$(IFS=,; echo "${benches[*]}")"
echo "bench: run folder $out; benchmarks $suites; threads $threads$([[ $quick == 1 ]] && echo '; quick')" >&2

echo "bench: building benchmarks/GPT4RoI.Benchmarks (Release)" >&2
dotnet build benchmarks/GPT4RoI.Benchmarks -c Release -nologo --verbosity quiet >"$out/build.log" 2>&1 \
  || { tail -n 30 "$out/build.log" >&2; echo "bench: build failed" >&2; exit 1; }
if [[ " ${benches[*]} " == *" P7 "* ]]; then
  # P7 starts the CLI as a new process (cold start): as built (JIT) and published ReadyToRun (precompiled).
  echo "bench: building src/GPT4RoI.Cli (Release) and publishing it ReadyToRun into $out/cli-r2r for P7" >&2
  dotnet build src/GPT4RoI.Cli -c Release -nologo --verbosity quiet >>"$out/build.log" 2>&1 \
    || { tail -n 30 "$out/build.log" >&2; echo "bench: build failed" >&2; exit 1; }
  dotnet publish src/GPT4RoI.Cli -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
    -o "$out/cli-r2r" -nologo --verbosity quiet >>"$out/build.log" 2>&1 \
    || { tail -n 30 "$out/build.log" >&2; echo "bench: publish failed" >&2; exit 1; }
fi

"$PY" benchmarks/python/benchcommon.py machine "$out/machine.json"
start_load="$(cut -d' ' -f1-3 /proc/loadavg)"

# Each benchmark's baseline, then its C# side right after it, so that the two sides of a table are measured
# minutes apart, not the length of the whole run.
failed=0
dll=benchmarks/GPT4RoI.Benchmarks/bin/Release/net10.0/gpt4roi-benchmarks.dll
for b in "${benches[@]}"; do
  n="${b#P}"
  shopt -s nullglob
  scripts=(benchmarks/python/p"${n}"_*.py)
  shopt -u nullglob
  if [[ ${#scripts[@]} -eq 0 ]]; then
    echo "bench: $b has no Python baseline yet" >&2
  else
    echo "bench: $b baseline: ${scripts[0]}" >&2
    "$PY" "${scripts[0]}" --run "$out" --threads "$threads" "${quick_flag[@]}" || { echo "bench: $b baseline failed" >&2; failed=1; }
  fi
  dotnet "$dll" --run "$out" --suites "$b" --threads "$threads" "${quick_flag[@]}" || { echo "bench: $b C# side failed" >&2; failed=1; }
done

end_load="$(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" benchmarks/python/report.py "$out" --load-start "$start_load" --load-end "$end_load" | tee "$out/report.txt" \
  || failed=1

if [[ $keep == 0 ]]; then
  rm -rf "$out"/p1/maps "$out"/p1/ort "$out"/p2/images
  rm -f "$out"/p*/*.npy "$out"/p*/bdn/*.log
fi
echo "bench: results in $out (report.txt, machine.json, csharp-env.json, pN/python.json, pN/csharp.json, pN/bdn.log)" >&2
exit $failed
