#!/usr/bin/env bash
# The project's test command: lint, type-check, layer-check and test, in the project's own virtual environment.
#
#   bash scripts/check.sh [PYTEST ARGS...]            .venv, with the pinned versions of constraints.txt
#   bash scripts/check.sh --latest [PYTEST ARGS...]   .venv-latest, with the newest versions pyproject.toml allows
#
# The environment is created on the first run and reused after that; the system Python is neither used nor changed.
# Runs offline from cassettes; tests that need the live model or a browser skip with the reason when absent.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
pins=(-c constraints.txt)
upgrade=()
if [ "${1:-}" = "--latest" ]; then
  shift
  venv=.venv-latest
  pins=()
  upgrade=(--upgrade --upgrade-strategy eager)
fi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
# shellcheck disable=SC1091
. "$venv/bin/activate"
python -m pip install --quiet --disable-pip-version-check "${upgrade[@]}" "${pins[@]}" -e '.[dev,local,panel,ocr,dist]'

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
ruff format --check extractor tests bench
mypy
lint-imports
python -m pytest -q "$@"
