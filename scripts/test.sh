#!/usr/bin/env bash
# Set up everything the tests need (see setup.sh) and run every test: lint, the unit and
# integration tests (a moto S3 server on 127.0.0.1 is started by the tests
# themselves), JupyterLab in headless Chromium, the docstring examples, and every
# tutorial notebook under nbval.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/ruff check workbench tests benchmarks scripts
# The notebooks share one small sample database for the run.
export WORKBENCH_DEMO_DATA="${WORKBENCH_DEMO_DATA:-$(mktemp -d)/demo}"
export WORKBENCH_DEMO_RECORDS="${WORKBENCH_DEMO_RECORDS:-2}"
export WORKBENCH_DEMO_DURATION="${WORKBENCH_DEMO_DURATION:-20}"
# Docstring examples are tests too (--doctest-modules over the package). Conftest files
# hold fixtures, not examples: collected as doctest modules, two of them named
# "conftest" (tests/ and tests/catalog/) would clash.
exec .venv/bin/python -m pytest tests workbench notebooks --doctest-modules \
    --ignore-glob='*/conftest.py' --nbval-lax \
    --nbval-sanitize-with notebooks/sanitize.cfg -p no:cacheprovider "$@"
