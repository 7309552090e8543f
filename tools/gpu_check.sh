#!/usr/bin/env bash
# One-GPU check (issue 19), with no network and no dataset download (random teacher weights, synthetic scenes):
#   1. --amp (fp16 with dynamic loss scaling) training of TransKD-Base, -GL and -EA (B2 -> B0, mmseg's 1024x1024
#      Cityscapes recipe, its batch of 1 per GPU) for --iters iterations through tools/train.py, GL with an fp16 and
#      EA with a bf16 teacher; every logged loss must be finite (tools/check_losses.py);
#   2. tools/benchmark.py at the recipe's 1024x1024 crop and batch 8 for Base, GL and EA (s/iter, img/s, peak
#      memory), Base again with an fp16 and a bf16 teacher (KD loss change against fp32), and the paper-protocol
#      Base config (512x1024, batch 2) against the official step (--official-step).
# Needs only torch, the mm* packages and this repository (python: $PYTHON, default `python`). About 5 minutes on one
# recent GPU. Logs go to --out (default work_dirs/gpu_check), the printed output also to <out>/gpu_check.log; the
# synthetic data to --data (default <out>/data). Every step runs even if one fails (a lent GPU's time is short): the
# end lists the failed commands and the script exits 1; without CUDA it exits 3.
#   bash tools/gpu_check.sh [--out DIR] [--data DIR] [--iters 10] [--dry-run] [--cpu]
# --dry-run prints the commands without running them (tests/test_step_speed.py checks them on the CPU).
# --cpu runs the same steps on the CPU as a check of the script itself, not a measurement: benchmarks at 64x128,
#   one round; bf16 wherever the GPU run uses fp16 (the CPU has no fp16 autocast); --iters defaults to 2.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="work_dirs/gpu_check"
DATA=""
ITERS=""
DRY=0
CPU=0
PY="${PYTHON:-python}"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    --iters) ITERS="$2"; shift 2 ;;
    --dry-run) DRY=1; shift ;;
    --cpu) CPU=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "gpu_check.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
cd "$REPO"
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1  # the log follows the run
DATA="${DATA:-$OUT/data}"
LOG="$OUT/gpu_check.log"
if [ "$CPU" = 1 ]; then
  DEVICE=cpu; HALF=bf16; ITERS="${ITERS:-2}"
  BENCH_SIZE=(--shape 64 128 --batch 2 --iters 1 --warmup 0)
  PAPER_SIZE=(--shape 64 128 --batch 2 --iters 1 --warmup 0)
else
  DEVICE=cuda; HALF=fp16; ITERS="${ITERS:-10}"
  BENCH_SIZE=(--shape 1024 1024 --batch 8)
  PAPER_SIZE=(--shape 512 1024 --batch 2)  # the paper's whole images and batch
fi

FAILED=()
run() {  # prints the command, then runs it (not with --dry-run) and its time; output also goes to the log
  echo "+ $*" | tee -a "$LOG"
  if [ "$DRY" = 0 ]; then
    local start=$SECONDS status=0
    "$@" 2>&1 | tee -a "$LOG" || status=$?
    echo "gpu_check.sh: $((SECONDS - start)) s (total $SECONDS s)$([ "$status" = 0 ] || echo ", FAILED ($status)")" \
      | tee -a "$LOG"
    if [ "$status" != 0 ]; then FAILED+=("$*"); fi
  fi
  return 0
}

mkdir -p "$OUT"
: > "$LOG"
if [ "$DRY" = 0 ] && [ "$CPU" = 0 ] && \
   ! "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  echo "gpu_check.sh: no CUDA device visible to torch; nothing run." | tee -a "$LOG"
  exit 3
fi
if [ "$DRY" = 0 ]; then
  "$PY" -c 'import platform, torch; print(f"python {platform.python_version()}, torch {torch.__version__}, CUDA "
             f"{torch.version.cuda}, " + (torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU"))' \
    | tee -a "$LOG"
  if [ "$CPU" = 0 ] && command -v nvidia-smi > /dev/null; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee -a "$LOG" || true
  fi
fi

# Synthetic street scenes in the Cityscapes layout (what the quickstart trains on), at Cityscapes' aspect.
run "$PY" tools/make_demo_data.py --root "$DATA" --train 8 --val 2 --size 512 1024

# 1. AMP training. Random teacher (load_checkpoint=False) and student (no ImageNet download); no checkpoints; the loss
#    of every iteration logged; one validation of the student (MMEngine's loop validates at the last iteration) on the
#    two synthetic validation images.
NO_NET="model.teacher.load_checkpoint=False model.student.backbone.init_cfg=None"
DATA_OPTS="train_dataloader.dataset.data_root=$DATA/ val_dataloader.dataset.data_root=$DATA/"
DATA_OPTS="$DATA_OPTS test_dataloader.dataset.data_root=$DATA/"
RUN_OPTS="train_dataloader.num_workers=2 train_cfg.max_iters=$ITERS train_cfg.val_interval=1000000"
RUN_OPTS="$RUN_OPTS default_hooks.logger.interval=1 default_hooks.checkpoint.interval=1000000"
RUN_OPTS="$RUN_OPTS default_hooks.checkpoint.save_last=False"
for spec in "base:configs/transkd/segformer_b2_b0_city.py:" \
            "gl:configs/transkd/segformer_b2_b0_city_gl.py:model.teacher_precision=$HALF" \
            "ea:configs/transkd/segformer_b2_b0_city_ea.py:model.teacher_precision=bf16"; do
  IFS=: read -r name config extra <<< "$spec"
  # shellcheck disable=SC2086  # the option strings are meant to split into key=value words
  run "$PY" tools/train.py "$config" --amp --work-dir "$OUT/train-$name" \
    --cfg-options $NO_NET $DATA_OPTS $RUN_OPTS $extra
  run "$PY" tools/check_losses.py "$OUT/train-$name" --min-iters "$ITERS"
done

# 2. Benchmarks (random weights; nothing downloaded).
for config in configs/transkd/segformer_b2_b0_city.py configs/transkd/segformer_b2_b0_city_gl.py \
              configs/transkd/segformer_b2_b0_city_ea.py; do
  run "$PY" tools/benchmark.py "$config" --device "$DEVICE" "${BENCH_SIZE[@]}"
done
for precision in "$HALF" bf16; do
  run "$PY" tools/benchmark.py configs/transkd/segformer_b2_b0_city.py --device "$DEVICE" "${BENCH_SIZE[@]}" \
    --teacher-precision "$precision" --no-memory
done
run "$PY" tools/benchmark.py configs/transkd_paper/transkd-base_b2-b0_1xb2-1000e_city-512x1024.py \
  --device "$DEVICE" "${PAPER_SIZE[@]}" --official-step
if [ "$DRY" = 1 ]; then
  echo "gpu_check.sh: dry run, nothing was run" | tee -a "$LOG"
elif [ "${#FAILED[@]}" -gt 0 ]; then
  echo "gpu_check.sh: ${#FAILED[@]} command(s) FAILED in $SECONDS s; output in $LOG:" | tee -a "$LOG"
  printf '  %s\n' "${FAILED[@]}" | tee -a "$LOG"
  exit 1
else
  echo "gpu_check.sh: all checks passed in $SECONDS s; output in $LOG" | tee -a "$LOG"
fi
