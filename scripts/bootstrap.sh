#!/usr/bin/env bash
# Create (or reuse) .venv with a Python >= 3.12 and install pcnsim into it.
#
#   scripts/bootstrap.sh            core package only
#   scripts/bootstrap.sh test       core + everything the test suite needs
#
# The interpreter is found without anything installed by hand: $PCNSIM_PYTHON if set,
# then python3.13 / python3.12 on PATH, then pyenv's 3.13 / 3.12, then python3.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"

version_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }

find_python() {
  local c
  for c in "${PCNSIM_PYTHON:-}" python3.13 python3.12; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && version_ok "$(command -v "$c")" && { command -v "$c"; return; }
  done
  if command -v pyenv >/dev/null 2>&1; then
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9])(\.|$)' | sort -rV); do
      c="$(pyenv root)/versions/$v/bin/python3"
      [ -x "$c" ] && version_ok "$c" && { echo "$c"; return; }
    done
  fi
  if command -v python3 >/dev/null 2>&1 && version_ok python3; then command -v python3; return; fi
  echo "bootstrap: no Python 3.12 or newer found (tried PCNSIM_PYTHON, python3.13, python3.12, pyenv, python3)." >&2
  echo "bootstrap: install one (e.g. 'pyenv install 3.12') or set PCNSIM_PYTHON=/path/to/python3.12." >&2
  exit 1
}

if [ ! -x .venv/bin/python ] || ! version_ok .venv/bin/python; then
  py="$(find_python)"
  echo "bootstrap: creating .venv with $py ($("$py" --version))"
  rm -rf .venv
  "$py" -m venv .venv
fi

stamp=".venv/.pcnsim-installed${extras:+-$extras}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  spec="."
  [ -n "$extras" ] && spec=".[$extras]"
  echo "bootstrap: installing pcnsim ($spec) into .venv (first time: a few minutes)"
  # (drop pip's notes about find-links folders that this machine's pip.conf names but that do not exist)
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec" 2>&1 \
    | { grep -v "is ignored: it is neither a file nor a directory" || true; }
  touch "$stamp"
else
  # Source changes need no reinstall (editable install); only pyproject.toml changes do.
  :
fi

if [ "$extras" = "test" ]; then
  # Browser tests of the app drive Debian's chromium (never `playwright install`).
  if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      echo "bootstrap: installing Debian's chromium for the browser test"
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
        || echo "bootstrap: could not install chromium; the browser test will be skipped" >&2
    else
      echo "bootstrap: chromium not found and cannot apt-get it; the browser test will be skipped" >&2
    fi
  fi
fi
