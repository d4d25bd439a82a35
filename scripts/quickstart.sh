#!/usr/bin/env bash
# Set everything up and run the main job: the quick-start study on the embedded default
# storage (./fftnas.journal, artifacts in ./fftnas-artifacts/). Extra arguments go to `fftnas run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/fftnas run experiments/quickstart.toml "$@"
