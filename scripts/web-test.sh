#!/bin/sh
# Tests of the web app. Unit tests of the canvas model always (Node, no packages); with
# `--browser`, also the browser tests in Debian's chromium through playwright, in .venv-web.
# `--bench` prints the canvas benchmark instead.
set -eu
cd "$(dirname "$0")/.."
node --test Tests/web/
case "${1:-}" in
  --browser|--bench)
    command -v chromium >/dev/null 2>&1 || apt-get install -y chromium
    if [ ! -x .venv-web/bin/python ]; then
      python3 -m venv .venv-web
      .venv-web/bin/pip install -q -r Tests/web/requirements.txt
    fi
    if [ "$1" = "--bench" ]; then
      .venv-web/bin/python Tests/web/bench_canvas.py
    else
      .venv-web/bin/python Tests/web/browser_test.py
    fi
    ;;
esac
