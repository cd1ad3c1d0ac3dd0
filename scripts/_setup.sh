# Shared by scripts/demo and scripts/test: find Python 3.11+, make .venv, install Enishi with its dev tools,
# and build the builder UI when it exists. Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "Enishi needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
  return 1
}

setup_python() {
  local python
  python="$(find_python)"
  if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv with $python"
    "$python" -m venv .venv
  fi
  # Reinstall only when the project's metadata changed since the last install.
  local stamp=.venv/.enishi-installed
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "==> installing Enishi and its development tools"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[dev]'
    touch "$stamp"
  fi
}

setup_ui() {
  [ -f builder_ui/package.json ] || return 0
  command -v npm >/dev/null 2>&1 || { echo "the builder UI needs Node.js 20+ and npm" >&2; return 1; }
  echo "==> building the builder UI and the plugins' console modules"
  # Installed again when package-lock.json changed after node_modules was made (npm writes its own lock there).
  (cd builder_ui && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; } \
    && npm run build --silent)
}
