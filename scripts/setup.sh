#!/usr/bin/env bash
# Prepare this checkout on a fresh Debian machine (root, Python >= 3.10).
#   scripts/setup.sh demo   -> a virtual environment with workbench installed
#   scripts/setup.sh test   -> the same with every extra, plus Debian's chromium (browser
#                              tests) and ffmpeg (the benchmarks' decode limit)
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
purpose="${1:-demo}"
python="${PYTHON:-python3}"

apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "setup: installing Debian packages: ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

case "$purpose" in
    demo) extras="" ;;
    test) extras="[all]"; apt_install chromium ffmpeg ;;
    *) echo "usage: scripts/setup.sh demo|test" >&2; exit 2 ;;
esac

# The widgets' front ends: esbuild from npm bundles widgets/ into workbench/_frontend/
# (one ES module per widget, as anywidget loads them). Before pip: an editable install
# would otherwise run the same build from its hook (pyproject.toml).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
bundle=workbench/_frontend/scrubber.js
if [ ! -f "$bundle" ] || [ -n "$(find widgets package-lock.json -newer "$bundle" -print -quit)" ]; then
    npm run build --silent
fi

if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
stamp=".venv/.installed-$purpose-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -U pip
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extras"
    touch "$stamp"
fi
