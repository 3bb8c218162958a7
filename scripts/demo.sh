#!/usr/bin/env bash
# Set up workbench (see setup.sh), build the sample driving database if it is absent and
# open it in JupyterLab on http://127.0.0.1:8888 (arguments go to `workbench demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh demo
exec .venv/bin/workbench demo "$@"
