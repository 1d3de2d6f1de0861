#!/usr/bin/env bash
# Installs what Dauys needs from Debian's packages and PyPI, only when it is missing.
#   scripts/install-dependencies.sh          the browser libraries the website serves, libqrencode
#   scripts/install-dependencies.sh --test   also PostgreSQL, Chromium and the Python test tools
#   scripts/install-dependencies.sh --bench  also wrk, for scripts/bench.sh
set -euo pipefail

packages=()
need() { dpkg -s "$1" >/dev/null 2>&1 || packages+=("$1"); }

need libjs-leaflet
need libjs-chart.js
need libqrencode-dev  # built into the server: the QR code of a moderator's second factor
need zlib1g-dev       # built into the server: our CSS and JavaScript gzipped once at start-up
if [[ "${1:-}" == "--test" ]]; then
    need postgresql
    need chromium
    need chromium-driver
    need curl
fi
if [[ "${1:-}" == "--bench" ]]; then
    need wrk
    need curl
fi

if ((${#packages[@]})); then
    echo "Installing Debian packages: ${packages[*]}"
    if [[ $(id -u) -ne 0 ]]; then sudo=sudo; else sudo=; fi
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${packages[@]}"
fi

if [[ "${1:-}" == "--test" ]]; then
    if ! python3 -c 'import selenium, axe_selenium_python, pytest, schemathesis' 2>/dev/null; then
        echo "Installing Python test tools"
        python3 -m pip install --quiet --disable-pip-version-check selenium axe-selenium-python pytest schemathesis
    fi
fi
