#!/usr/bin/env bash
# Install archsim with everything its tests need into .venv, then run the whole suite.
# torch is pinned to 2.13.0 (the CPU build); digit-recognizer-py is taken without its
# dependencies because it asks for torchvision, which would pull another torch.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[test,accuracy]"
.venv/bin/python -m pip install -q --no-deps "digit-recognizer-py==0.1.0"
set +e
.venv/bin/python -m pytest -q "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests" >&2
  exit 1
fi
exit "$rc"
