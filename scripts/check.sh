#!/usr/bin/env bash
# The project's test command: install what the checks need, then lint, type-check, layer-check and test.
# Runs offline from cassettes; tests that need the live model or a browser skip with the reason when absent.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -e '.[dev,local]'

# Debian packages for the PDF fixtures (a CJK font) and the browser test of the HTML view.
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  missing=""
  [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing="$missing fonts-wqy-microhei"
  command -v chromium >/dev/null || missing="$missing chromium"
  if [ -n "$missing" ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null) \
      || echo "warning: could not install$missing; the tests that need them will skip" >&2
  fi
fi

ruff check .
ruff format --check extractor tests
mypy
lint-imports
python3 -m pytest -q "$@"
