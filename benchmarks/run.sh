#!/usr/bin/env bash
# Runs the benchmarks in their own environment, benchmarks/.venv, so that the peers they
# compare with (pytorch-pfn-extras) never become dependencies of ignite-gen.
#
#   bash benchmarks/run.sh                        both benchmarks, default settings
#   bash benchmarks/run.sh overhead ARGS...       only overhead.py, with ARGS
#   bash benchmarks/run.sh dcgan ARGS...          only dcgan_epoch.py, with ARGS
#   bash benchmarks/run.sh seq2seq-speed ARGS...  only seq2seq_speed.py, with ARGS (never
#                                                 run by default: it needs the Tatoeba TSV
#                                                 in ../shared and takes about 6 minutes)
#   bash benchmarks/run.sh torture ARGS...        only torture_resume.py, with ARGS (never
#                                                 run by default: 40 killed and resumed
#                                                 runs take about 30 minutes)
#   bash benchmarks/run.sh ARGS...                both, each with ARGS (shared options
#                                                 only: --rounds, --threads)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="$here/.venv"
python="$venv/bin/python"

if [[ ! -x "$python" ]]; then
    python3 -m venv "$venv"
fi
# A marker skips pip on re-runs until setup.cfg, setup.py or requirements.txt change.
stamp="$venv/.installed"
if [[ ! -f "$stamp" || "$root/setup.cfg" -nt "$stamp" || "$root/setup.py" -nt "$stamp" \
      || "$here/requirements.txt" -nt "$stamp" ]]
then
    echo "installing ignite-gen and the peers into $venv (once; torch takes a while)"
    "$python" -m pip install --quiet -e "$root" -r "$here/requirements.txt"
    touch "$stamp"
fi

which="all"
if [[ $# -gt 0 && ( "$1" == "overhead" || "$1" == "dcgan" || "$1" == "seq2seq-speed" \
      || "$1" == "torture" ) ]]
then
    which="$1"
    shift
fi
if [[ "$which" == "seq2seq-speed" ]]; then
    "$python" "$here/seq2seq_speed.py" "$@"
    exit
fi
if [[ "$which" == "torture" ]]; then
    "$python" "$here/torture_resume.py" "$@"
    exit
fi
if [[ "$which" != "dcgan" ]]; then
    "$python" "$here/overhead.py" "$@"
fi
if [[ "$which" != "overhead" ]]; then
    "$python" "$here/dcgan_epoch.py" "$@"
fi
