#!/usr/bin/env bash
# GPU check of the C# engine with the CUDA execution provider, on a Linux x86-64 machine with an NVIDIA GPU
# and neither .NET nor internet (docs/operations.md, "GPU check").
#
#   bash scripts/gpu-check.sh pack [PARTS_DIR]     here (with the .NET SDK): self-contained CLI + tiny model +
#                                                  exporter -> gzip'd tar in parts of at most 60 MB + SHA256SUMS
#   bash scripts/gpu-check.sh run  [PARTS_DIR]     there: verify, unpack, find CUDA 13 / cuDNN 9, measure
#   bash scripts/gpu-check.sh unpack [PARTS_DIR]   verify and unpack only (prints the folder)
#
# PARTS_DIR defaults to .gpu-check/parts (ignored by git). `run` writes its report to
# ${GPU_CHECK_OUT:-.gpu-check/report}/report.txt and keeps going when one measurement fails.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CMD="${1:-}"
PARTS="${2:-$ROOT/.gpu-check/parts}"
PART_SIZE="${GPU_CHECK_PART_SIZE:-60000000}"  # bytes: parts of at most 60 MB
WORK="${GPU_CHECK_WORK:-$ROOT/.gpu-check/work}"
OUTDIR="${GPU_CHECK_OUT:-$ROOT/.gpu-check/report}"
RID=linux-x64

die() { echo "gpu-check: $*" >&2; exit 1; }
say() { echo "gpu-check: $*" >&2; }

pack() {
  command -v dotnet >/dev/null || die "pack needs the .NET SDK"
  local stage="$ROOT/.gpu-check/stage"
  rm -rf "$stage" "$PARTS" && mkdir -p "$stage/bundle" "$PARTS"
  say "dotnet publish src/GPT4RoI.Cli ($RID, self-contained, Microsoft.ML.OnnxRuntime.Gpu.Linux)"
  dotnet publish "$ROOT/src/GPT4RoI.Cli" -c Release -r "$RID" --self-contained true \
      -p:OnnxRuntimePackage=Gpu -o "$stage/bundle/cli" -v quiet -nologo || die "dotnet publish failed"
  mkdir -p "$stage/bundle/models"
  cp -r "$ROOT/models/tiny" "$stage/bundle/models/tiny"
  cp -r "$ROOT/models/gpt4roi_ref" "$stage/bundle/models/gpt4roi_ref"
  rm -rf "$stage/bundle/models/gpt4roi_ref/__pycache__"
  cp "$ROOT/samples/shapes.png" "$stage/bundle/shapes.png"
  # A 32000-piece tokenizer for the 7B-shaped folder, when one was made here (export_random --part tokenizer).
  local tok="${GPU_CHECK_7B_TOKENIZER:-/work/big/gpt4roi-7b-random/tokenizer.model}"
  [ -f "$tok" ] && cp "$tok" "$stage/bundle/tokenizer-32000.model"
  cp "$ROOT/scripts/gpu-check.sh" "$stage/bundle/gpu-check.sh"
  (cd "$stage" && tar -cf - bundle | gzip -6 | split -b "$PART_SIZE" -d -a 2 - "$PARTS/gpu-check.tar.gz.part") \
      || die "tar/split failed"
  (cd "$PARTS" && sha256sum gpu-check.tar.gz.part* > SHA256SUMS)
  rm -rf "$stage"
  say "parts in $PARTS:"
  ls -l "$PARTS" >&2
}

unpack() {
  [ -f "$PARTS/SHA256SUMS" ] || die "$PARTS/SHA256SUMS missing"
  (cd "$PARTS" && sha256sum -c --quiet SHA256SUMS) || die "a part is corrupt or missing (sha256)"
  rm -rf "$WORK" && mkdir -p "$WORK"
  cat "$PARTS"/gpu-check.tar.gz.part* | tar -xzf - -C "$WORK" || die "unpack failed"
  chmod +x "$WORK/bundle/cli/gpt4roi" 2>/dev/null || true
  echo "$WORK/bundle"
}

# CUDA 13 / cuDNN 9 shared libraries: inside an installed PyTorch (site-packages/nvidia/*/lib) or the system.
find_cuda_libs() {
  local dirs=""
  local py
  for py in python3 /usr/bin/python3; do
    command -v "$py" >/dev/null || continue
    local sp
    sp=$("$py" -c 'import site,sys; print("\n".join(site.getsitepackages()+[site.getusersitepackages()]+sys.path))' 2>/dev/null)
    local d
    for d in $sp; do
      [ -d "$d/nvidia" ] || continue
      for lib in "$d"/nvidia/*/lib; do [ -d "$lib" ] && dirs="$dirs:$lib"; done
    done
  done
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu; do
    [ -d "$d" ] && dirs="$dirs:$d"
  done
  echo "${dirs#:}"
}

json_field() {  # json_field FILE FIELD -> value of a top-level number/string field
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get(sys.argv[2], ""))' "$1" "$2" 2>/dev/null
}

run_check() {
  local b
  b=$(unpack) || exit 1
  mkdir -p "$OUTDIR"
  local rep="$OUTDIR/report.txt"
  : > "$rep"
  log() { echo "$*" | tee -a "$rep" >&2; }
  local cli="$b/cli/gpt4roi"
  [ -x "$cli" ] || die "$cli missing"
  export DOTNET_BUNDLE_EXTRACT_BASE_DIR="$WORK/.net"
  local libs
  libs=$(find_cuda_libs)
  export LD_LIBRARY_PATH="${libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  log "machine: $(uname -m), $(nproc) cores"
  if command -v nvidia-smi >/dev/null; then
    log "gpu: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | head -1)"
  else
    log "gpu: nvidia-smi not found"
  fi
  for so in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcudnn.so.9; do
    local hit=""
    local d
    for d in ${libs//:/ }; do [ -e "$d/$so" ] && { hit="$d/$so"; break; }; done
    log "library $so: ${hit:-NOT FOUND}"
  done

  # 1. Provider and tiny-model parity: the same questions on CUDA and on CPU, answers must be equal.
  local qs=("95,70,215,190|What is <region1>?" "232,12,348,128|What color is <region1>?"
            "396,130,476,212|What shape is <region1>?" "95,70,215,190;396,130,476,212|Where is <region1> relative to <region2>?")
  local i=0 same=0 total=0
  for q in "${qs[@]}"; do
    local boxes="${q%%|*}" text="${q#*|}" args=()
    IFS=';' read -ra bx <<< "$boxes"
    for x in "${bx[@]}"; do args+=(--region "$x"); done
    "$cli" ask "$b/shapes.png" "${args[@]}" "$text" --model "$b/models/tiny" --json --verbose \
        > "$OUTDIR/tiny-gpu-$i.json" 2> "$OUTDIR/tiny-gpu-$i.log"
    "$cli" ask "$b/shapes.png" "${args[@]}" "$text" --model "$b/models/tiny" --json --cpu \
        > "$OUTDIR/tiny-cpu-$i.json" 2> "$OUTDIR/tiny-cpu-$i.log"
    local ag ac
    ag=$(json_field "$OUTDIR/tiny-gpu-$i.json" answer); ac=$(json_field "$OUTDIR/tiny-cpu-$i.json" answer)
    total=$((total + 1)); [ -n "$ag" ] && [ "$ag" = "$ac" ] && same=$((same + 1))
    log "tiny q$i: gpu='$ag' cpu='$ac' prefill_ms gpu=$(json_field "$OUTDIR/tiny-gpu-$i.json" prefill_ms) cpu=$(json_field "$OUTDIR/tiny-cpu-$i.json" prefill_ms)"
    i=$((i + 1))
  done
  local provider
  provider=$(grep -h -o "Execution provider: [A-Za-z]*[^)]*\|CUDA execution provider unavailable[^;]*" "$OUTDIR"/tiny-gpu-0.log | head -1)
  log "provider (tiny, first run): ${provider:-unknown (see $OUTDIR/tiny-gpu-0.log)}"
  log "tiny parity: $same of $total answers equal (CUDA vs CPU)"

  # 2. Tiny decode speed: 64 tokens of a longer answer budget (the model stops early on ###, so tokens/s
  #    is generated_tokens / decode_ms).
  "$cli" ask "$b/shapes.png" --region 95,70,215,190 "What is <region1>?" --model "$b/models/tiny" --json \
      --max-new-tokens 64 > "$OUTDIR/tiny-speed.json" 2>/dev/null
  log "tiny speed: generated=$(json_field "$OUTDIR/tiny-speed.json" generated_tokens) decode_ms=$(json_field "$OUTDIR/tiny-speed.json" decode_ms) prefill_ms=$(json_field "$OUTDIR/tiny-speed.json" prefill_ms)"

  # 3. A 7B-shaped fp16 folder made here by the exporter (random weights), then one answer with timings.
  if [ "${GPU_CHECK_SKIP_7B:-0}" != "1" ]; then
    local big="$WORK/gpt4roi-7b-random"
    mkdir -p "$big"
    [ -f "$b/tokenizer-32000.model" ] && cp "$b/tokenizer-32000.model" "$big/tokenizer.model"
    local parts=(--part decoder-fp16 --part embed --part vision)
    [ -f "$big/tokenizer.model" ] || parts+=(--part tokenizer)
    parts+=(--part manifest)
    log "7B-shaped export: python3 -m gpt4roi_ref.export_random --out $big ${parts[*]}"
    (cd "$b/models" && /usr/bin/time -v python3 -m gpt4roi_ref.export_random --out "$big" "${parts[@]}" \
        --vision-dtypes fp32,fp16) > "$OUTDIR/export-7b.log" 2>&1 || log "7B export FAILED (see export-7b.log)"
    if [ -f "$big/manifest.json" ]; then
      "$cli" ask "$b/shapes.png" --region 95,70,215,190 "What is <region1>?" --model "$big" --variant fp16 \
          --json --verbose --max-new-tokens 64 > "$OUTDIR/7b-gpu.json" 2> "$OUTDIR/7b-gpu.log"
      local gen dms
      gen=$(json_field "$OUTDIR/7b-gpu.json" generated_tokens); dms=$(json_field "$OUTDIR/7b-gpu.json" decode_ms)
      log "7B fp16: generated=$gen decode_ms=$dms prefill_ms=$(json_field "$OUTDIR/7b-gpu.json" prefill_ms) provider: $(grep -h -o 'Execution provider: [^ ]*[^)]*' "$OUTDIR/7b-gpu.log" | head -1)"
      local wbytes
      wbytes=$(stat -c %s "$big/decoder.fp16.onnx.data" 2>/dev/null || echo 0)
      # memory-bandwidth bound: every decoded token reads all decoder weights once
      python3 - "$wbytes" "$gen" "$dms" <<'PY' 2>&1 | tee -a "$rep" >&2
import sys
w, gen, ms = int(sys.argv[1]), sys.argv[2], sys.argv[3]
bw = None
try:
    import torch
    if torch.cuda.is_available():
        n = 1 << 30
        a = torch.empty(n, dtype=torch.uint8, device="cuda"); b = torch.empty_like(a)
        for _ in range(3): b.copy_(a)
        torch.cuda.synchronize()
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        for _ in range(10): b.copy_(a)
        e.record(); torch.cuda.synchronize()
        bw = 2 * n * 10 / (s.elapsed_time(e) / 1000)   # read + write bytes per second
except Exception as ex:  # noqa: BLE001
    print(f"bandwidth probe failed: {ex}")
if bw:
    print(f"measured device copy bandwidth: {bw / 1e9:.0f} GB/s; decoder weights {w / 1e9:.2f} GB "
          f"-> bound {bw / w:.1f} tokens/s")
if gen and ms and float(ms) > 0:
    print(f"7B fp16 decode: {float(gen) / (float(ms) / 1000):.1f} tokens/s")
PY
    fi
  fi
  log "report: $rep"
}

case "$CMD" in
  pack) pack ;;
  unpack) unpack ;;
  run) run_check ;;
  *) echo "usage: bash scripts/gpu-check.sh pack|unpack|run [PARTS_DIR]" >&2; exit 1 ;;
esac
