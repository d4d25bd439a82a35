#!/usr/bin/env bash
# Set up fftnas in ./.venv (safe to run again), with the Debian packages the audio data sets
# need. With --test, also what the tests need: the test extra (pytest, playwright) and
# Debian's chromium for the real-browser test.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  # --system-site-packages: a machine that already has a torch keeps it (pyproject pins
  # torch<=2.13.0 so a fresh machine takes the 2.13.0 CPU wheel, not the CUDA build).
  "$python" -m venv --system-site-packages .venv
fi

apt_updated=""
apt_install() { # apt_install WHY PACKAGE...: Debian packages, as root or with sudo
  local why=$1 sudo=""
  shift
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "setup: installing Debian's $* $why" >&2
  if [ -z "$apt_updated" ]; then
    $sudo apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# Always (the experiments need them): FluidSynth and two GM SoundFonts render the instrument
# notes (fftlearn/data/_soundfont.py), espeak-ng the speech (fftlearn/data/_speech.py).
missing=()
for package in libfluidsynth3 fluid-soundfont-gm timgm6mb-soundfont espeak-ng; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt_install "for the audio data sets" "${missing[@]}"
fi

extra=""
if [ "${1:-}" = "--test" ]; then
  extra="[test]"
  if ! command -v chromium >/dev/null 2>&1; then
    apt_install "for the browser test" chromium
  fi
fi

echo "setup: installing fftnas${extra} into .venv" >&2
.venv/bin/python -m pip install --quiet --disable-pip-version-check --editable ".${extra}" 2>&1 \
  | grep -v "is ignored: it is neither a file nor a directory" || true
.venv/bin/python -c "import fftlearn, searchspace, nas" # fails loudly if the install did not work
