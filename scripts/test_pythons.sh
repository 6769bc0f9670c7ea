#!/usr/bin/env bash
# Run README's test command under several Python versions, each in a fresh virtual environment
# (pyproject.toml says requires-python >= 3.10; CI runs one Python).
#
# Usage: scripts/test_pythons.sh PYTHON [PYTHON ...]
#   e.g. scripts/test_pythons.sh ~/.pyenv/versions/3.{10,12,13}*/bin/python
#
# Each environment gets torch==2.13.0 first (set TORCH to change it), then lgcc with its test
# extras, as .ci/run does.  (The package index of the machine this was written on has a CPU build
# of it for Python 3.11 and CUDA builds for 3.10, 3.12 and 3.13; the tests need no GPU.)  The environments live in a temporary
# folder removed at the end.  Prints one line per Python; exits 1 if any run failed.
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "$#" -eq 0 ]; then
  echo "usage: scripts/test_pythons.sh PYTHON [PYTHON ...]  (paths or names of Python interpreters)" >&2
  exit 2
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
TORCH="${TORCH:-torch==2.13.0}"
status=0
summary=()
for py in "$@"; do
  if ! version="$("$py" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null)"; then
    summary+=("$py: not a Python interpreter")
    status=1
    continue
  fi
  env="$WORK/py$version"
  log="$WORK/py$version.log"
  echo "== Python $version ($py)" >&2
  if ! { "$py" -m venv "$env" && "$env/bin/pip" install -q "$TORCH" && (cd "$WORK" && "$env/bin/pip" install -q -e "$ROOT[test]"); } >"$log" 2>&1; then
    summary+=("Python $version: install failed: $(grep -v '^WARNING' "$log" | tail -1)")
    status=1
    continue
  fi
  # README's test command, run from the checkout in the activated environment
  if (cd "$ROOT" && PATH="$env/bin:$PATH" python -m pytest -n 2 tests -p no:cacheprovider) >"$log" 2>&1; then
    summary+=("Python $version: $(tail -1 "$log")")
  else
    summary+=("Python $version: FAILED: $(tail -1 "$log")")
    grep -E '^(FAILED|ERROR)' "$log" >&2
    status=1
  fi
done
printf '%s\n' "${summary[@]}"
exit "$status"
