#!/usr/bin/env bash
# Set up fftnas in ./.venv (safe to run again). With --test, also what the tests need:
# the test extra (pytest, playwright) and Debian's chromium for the real-browser test.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  # --system-site-packages: a machine that already has a torch keeps it (pyproject pins
  # torch<=2.13.0 so a fresh machine takes the 2.13.0 CPU wheel, not the CUDA build).
  "$python" -m venv --system-site-packages .venv
fi

extra=""
if [ "${1:-}" = "--test" ]; then
  extra="[test]"
  if ! command -v chromium >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "setup: installing Debian's chromium for the browser test" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  fi
fi

echo "setup: installing fftnas${extra} into .venv" >&2
.venv/bin/python -m pip install --quiet --disable-pip-version-check --editable ".${extra}" 2>&1 \
  | grep -v "is ignored: it is neither a file nor a directory" || true
.venv/bin/python -c "import fftlearn, searchspace, nas" # fails loudly if the install did not work
