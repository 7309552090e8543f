#!/usr/bin/env bash
# Sets up the Python environment of mmseg_transkd on a fresh CPU machine (idempotent).
#
#   bash tools/setup_env.sh            # creates .venv/ in the checkout and installs everything
#
# The pinned stack is Python 3.11, torch 2.14.1 + torchvision 0.29.1, mmengine 0.10.7, mmcv 2.1.0 with its compiled ops,
# mmsegmentation 1.2.2 and mmpretrain 1.2.0. No mmcv wheel exists for this torch, so mmcv is built from its sdist once
# (about 17 min on 2 cores) and the wheel is cached outside the checkout, keyed by the torch version, so later runs,
# other clones and CI reuse it. Two measured traps are handled here:
#   * torch 2.14 headers need C++20 while mmcv 2.1.0's setup.py passes -std=c++17: the flag is raised in the sdist;
#   * mmcv's setup.py needs pkg_resources while torch needs setuptools>=77: setuptools>=77,<81 fits both, and the
#     build runs with --no-build-isolation against the venv's torch.
# Environment overrides: TRANSKD_VENV (venv path), TRANSKD_CACHE (wheel cache), PYTHON (interpreter).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${TRANSKD_VENV:-$REPO/.venv}"
CACHE="${TRANSKD_CACHE:-$HOME/.cache/mmseg_transkd}"
PYTHON="${PYTHON:-python3.11}"
TORCH_VER=2.14.1
MMCV_VER=2.1.0
WHEEL_DIR="$CACHE/wheels/mmcv-$MMCV_VER-torch-$TORCH_VER"
STAMP="$VENV/.transkd-env"

say() { printf '[setup_env] %s\n' "$*"; }

want_stamp="$(cat "$REPO/requirements/"*.txt "$REPO/setup.py" "$REPO/tools/setup_env.sh" | sha256sum | cut -c1-16)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want_stamp" ]]; then
    say "environment up to date: $VENV"
    exit 0
fi

if ! command -v "$PYTHON" >/dev/null; then
    say "error: $PYTHON not found; install Python 3.11 or set PYTHON=/path/to/python3.11" >&2
    exit 1
fi
if [[ ! -x "$VENV/bin/python" ]]; then
    say "creating virtual environment $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)
PIN=(-c "$REPO/requirements/constraints.txt")

say "installing build tools and torch $TORCH_VER"
"${PIP[@]}" install -q "${PIN[@]}" --upgrade pip setuptools wheel ninja
"${PIP[@]}" install -q "${PIN[@]}" "torch==$TORCH_VER" "torchvision==0.29.1" numpy

shopt -s nullglob
wheels=("$WHEEL_DIR"/mmcv-"$MMCV_VER"-*.whl)
if (( ${#wheels[@]} == 0 )); then
    say "no cached mmcv $MMCV_VER wheel for torch $TORCH_VER; building it from source (about 17 min on 2 cores)"
    build="$(mktemp -d)"
    trap 'rm -rf "$build"' EXIT
    "${PIP[@]}" download -q --no-deps --no-build-isolation --no-binary :all: -d "$build" "mmcv==$MMCV_VER"
    tar -xzf "$build"/mmcv-"$MMCV_VER".tar.gz -C "$build"
    src="$build/mmcv-$MMCV_VER"
    sed -i 's/-std=c++17/-std=c++20/g' "$src/setup.py"
    grep -q 'std=c++20' "$src/setup.py" || { say "error: could not raise the C++ standard in mmcv's setup.py" >&2; exit 1; }
    "${PIP[@]}" install -q "${PIN[@]}" addict packaging Pillow pyyaml yapf "mmengine==0.10.7"
    mkdir -p "$WHEEL_DIR"
    # Build into a temporary folder and move the finished wheel in, so an interrupted build leaves no half wheel.
    (cd "$src" && MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
        "${PIP[@]}" wheel --no-build-isolation --no-deps -w "$build/dist" .)
    mv "$build"/dist/mmcv-"$MMCV_VER"-*.whl "$WHEEL_DIR/"
    wheels=("$WHEEL_DIR"/mmcv-"$MMCV_VER"-*.whl)
    say "cached ${wheels[0]}"
fi

say "installing mmcv, mmengine, mmsegmentation, mmpretrain and the project"
"${PIP[@]}" install -q "${PIN[@]}" "${wheels[0]}" -r "$REPO/requirements/runtime.txt" \
    -r "$REPO/requirements/tests.txt"
"${PIP[@]}" install -q "${PIN[@]}" --no-deps -e "$REPO"

"$PY" - <<'PY'
import mmcv, mmcv.ops, mmengine, mmseg, mmpretrain, torch
print(f'[setup_env] torch {torch.__version__}, mmcv {mmcv.__version__} (ops ok), mmengine {mmengine.__version__}, '
      f'mmseg {mmseg.__version__}, mmpretrain {mmpretrain.__version__}')
PY
echo "$want_stamp" > "$STAMP"
say "done: activate with 'source $VENV/bin/activate'"
