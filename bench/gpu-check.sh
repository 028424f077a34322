#!/usr/bin/env bash
# The GPU checks of issues 8 and 9 (and mixed precision's speed, issue 10) as one device run, sized for
# the lease (15 minutes of device time in all; one command at most 10): the model cases on WebGPU (UNet
# step float32/float16, the SD 1.5 LoRA training step in float32 and mixed precision), the whole jobs
# (generate 4 and 20 steps, train), then an 800-step LoRA run at 512² for as long as the budget allows
# (its log is flushed per step; a second call continues it with --resume on a still-warm machine).
#
# Here, once: npm run build && bench/gpu-pack.sh (the checkout and the kit cut to fit 64 MiB; afterwards
# bench/gpu-pack.sh restore). Device run: carry [".gpu", "dist/cli.js", "dist/ort-worker.js"], timeout_s 590,
#   command: source .gpu/enter.sh && BUDGET_S=540 bash bench/gpu-check.sh
# Everything lands in $OUT: summary.txt, gpu.txt, cases.json, jobs.json, train800.log, train800.jsonl,
# nvsmi.csv (device memory used and load every 250 ms: the device-memory figures, which ONNX Runtime's
# Node binding does not report). SMALL=1 is a dry run of every step on the tiny fixture model, on any
# machine (PROVIDER=cpu where there is no GPU).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$(mktemp -d)}
PROVIDER=${PROVIDER:-webgpu}
END=$((SECONDS + ${BUDGET_S:-540}))
left() { echo $((END - SECONDS)); }
say() { echo "[gpu-check] $(date +%T) $* ($(left) s left)" | tee -a "$OUT/summary.txt"; }
export DREAMBOOTH_CACHE=/tmp/gpu-check/cache
[ -x .gpu/time ] && export TIME_BIN=$PWD/.gpu/time
mkdir -p /tmp/gpukit/vk
for f in .gpu/glvnd-*.deb; do [ -f "$f" ] && dpkg -x "$f" /tmp/gpukit/vk; done # beside enter.sh's loader (on its LD_LIBRARY_PATH)
export __EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json}
mkdir -p /tmp/gpu-check

say "machine"
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1; node --version; nproc; } > "$OUT/gpu.txt"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=timestamp,memory.used,utilization.gpu --format=csv,noheader -lms 250 > "$OUT/nvsmi.csv" 2>&1 &
  SAMPLER=$!
  trap 'kill $SAMPLER 2>/dev/null' EXIT
fi

if [ -n "${SMALL:-}" ]; then
  MODEL=$PWD/fixtures/tiny-sd RES=64 CASES=unet_fp32 STEPS=4 JOBS=
else
  MODEL=/tmp/gpu-check/sd15
  say "SD 1.5-sized float16 folder"
  node --import tsx bench/sd15-folder.ts "$MODEL" float16 >> "$OUT/summary.txt" 2>&1
  RES=512 CASES=unet_fp32,unet_fp16,lora_train_sd15,lora_train_sd15_fp16 STEPS=800 JOBS=generate_sd15_4,generate_sd15_20,train_sd15_job
fi

say "model cases on $PROVIDER: $CASES"
timeout $(( $(left) / 3 )) node --import tsx bench/run.ts --provider "$PROVIDER" --threads "$(nproc)" --runs 3 --cases "$CASES" --cache /tmp/gpu-check/bench --out "$OUT/cases.json" >> "$OUT/summary.txt" 2>&1
if [ -n "$JOBS" ]; then
  say "whole jobs on $PROVIDER: $JOBS"
  timeout $(( $(left) / 2 )) node --import tsx bench/run.ts --provider "$PROVIDER" --threads "$(nproc)" --runs 1 --jobs "$JOBS" --model "$MODEL" --cache /tmp/gpu-check/bench --out "$OUT/jobs.json" >> "$OUT/summary.txt" 2>&1
fi

RUN=/tmp/gpu-check/train800
say "LoRA run at ${RES}² to step $STEPS on $PROVIDER"
if [ ! -f "$RUN/zwx.dreambooth" ]; then
  mkdir -p "$RUN" && cp -r examples/zwx/photos "$RUN/photos"
  printf 'model "%s"\noutput "./runs"\nconcept zwx {\n  instance_prompt "photo of zwx person"\n  instance_images "./photos"\n}\ntrain {\n  method lora\n  steps %s\n  resolution %s\n  learning_rate 1e-4\n  save_every 100\n  seed 42\n}\n' "$MODEL" "$STEPS" "$RES" > "$RUN/zwx.dreambooth"
  RESUME=
else
  RESUME=--resume # a second call on the same machine continues the run
fi
# SIGINT lets the job save a checkpoint before it exits, so the next call resumes from there.
timeout -s INT -k 30 $(( $(left) - 30 )) node bin/dreambooth.js train "$RUN/zwx.dreambooth" --provider "$PROVIDER" $RESUME > "$OUT/train800.log" 2>&1
say "train exited $? at step $(tail -n 1 "$RUN/runs/logs/train.jsonl" 2>/dev/null | sed 's/.*"step":\([0-9]*\).*/\1/')"
cp "$RUN/runs/logs/train.jsonl" "$OUT/train800.jsonl" 2>/dev/null
say "done"
