#!/usr/bin/env bash
# Run every GPU test (pytest -m gpu) and GPU benchmark of lgcc on one machine, in under 8 minutes
# on one H100, and write a JSON summary.
#
# Usage: scripts/gpu_check.sh [SUMMARY.json]     (default: $OUT/gpu_check.json, else ./gpu_check.json)
#
# Assumptions (checked below, each with a clear message):
#   * run from a checkout of this repository (any working directory);
#   * python3 (or $PYTHON) has a CUDA build of torch that sees a GPU, plus numpy, jinja2, networkx,
#     pytest and hypothesis (scikit-learn for the tests that train a tiny model); nothing is
#     downloaded: the machine may be offline;
#   * nvcc is on PATH or in $CUDA_HOME/bin, the same CUDA major version as torch's build
#     (torch's cpp_extension refuses a mismatch when building the training extension);
#   * lgcc is importable, or can be installed from the checkout with
#     `pip install -e . --no-deps --no-build-isolation` (done here when needed).
# Time limits (sum < 8 min): tests 220 s, CUDA backend benchmark 180 s, training benchmark 60 s.
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
SUMMARY="${1:-${OUT:-.}/gpu_check.json}"
case "$SUMMARY" in /*) ;; *) SUMMARY="$PWD/$SUMMARY" ;; esac  # relative to where it was started
cd "$ROOT" || exit 2
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
START=$(date +%s)

fail() {  # fail "message": write a summary that says why, and stop
  printf '{"ok": false, "error": %s}\n' "$("$PY" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1" 2>/dev/null || echo "\"$1\"")" >"$SUMMARY"
  echo "gpu_check: $1" >&2
  exit 2
}

command -v "$PY" >/dev/null || fail "python3 not found (set PYTHON=/path/to/python)"
"$PY" - <<'PYEOF' || fail "torch with CUDA and a visible GPU is needed (see the message above)"
import sys
try:
    import torch
except ImportError:
    sys.exit("gpu_check: torch is not installed")
if torch.version.cuda is None:
    sys.exit(f"gpu_check: torch {torch.__version__} is a CPU-only build")
if not torch.cuda.is_available():
    sys.exit("gpu_check: torch sees no CUDA GPU")
print(f"gpu_check: torch {torch.__version__} (CUDA {torch.version.cuda}) on {torch.cuda.get_device_name()}")
PYEOF
NVCC="$(command -v nvcc || echo "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc")"
[ -x "$NVCC" ] || fail "nvcc not found on PATH or in \$CUDA_HOME/bin"
echo "gpu_check: $("$NVCC" --version | tail -1)"
for mod in numpy jinja2 networkx pytest hypothesis; do
  "$PY" -c "import $mod" 2>/dev/null || fail "python package '$mod' is missing (install it or carry a wheel)"
done
# lgcc as installed: pyproject's package-dir puts ir/, frontend/, backends/ and runtime/ inside the
# lgcc package; a tree of links lays the checkout out that way without pip (the fallback when the
# editable install fails, e.g. a setuptools older than 77 reading the SPDX license).
# PYTHONSAFEPATH (Python 3.11+): the checkout's own lgcc/ folder, in the working directory, must
# not hide the tree's.
link_tree() {
  mkdir -p "$WORK/tree/lgcc" || return 1
  for f in "$ROOT"/lgcc/*; do ln -s "$f" "$WORK/tree/lgcc/" || return 1; done
  for d in ir frontend backends runtime; do ln -s "$ROOT/$d" "$WORK/tree/lgcc/$d" || return 1; done
  export PYTHONPATH="$WORK/tree${PYTHONPATH:+:$PYTHONPATH}" PYTHONSAFEPATH=1
}
if ! "$PY" -c "import lgcc.backends.cuda, lgcc.frontend.cuda_ext" 2>/dev/null; then
  if ! "$PY" -m pip install -q -e . --no-deps --no-build-isolation >"$WORK/pip.log" 2>&1; then
    echo "gpu_check: pip could not install lgcc ($(tail -1 "$WORK/pip.log")); using the checkout through links"
    link_tree && "$PY" -c "import lgcc.backends.cuda, lgcc.frontend.cuda_ext" \
      || fail "lgcc from $ROOT cannot be imported, installed or linked: $(tail -1 "$WORK/pip.log")"
  fi
fi

echo "gpu_check: GPU tests"
timeout 220 "$PY" -m pytest -m gpu -q -p no:cacheprovider --continue-on-collection-errors \
  --junitxml="$WORK/junit.xml" tests >"$WORK/pytest.log" 2>&1
TEST_RC=$?
tail -5 "$WORK/pytest.log"

echo "gpu_check: CUDA backend benchmark"
timeout 180 "$PY" benchmarks/cuda_backend.py --budget-s 40 --out "$WORK/cuda_backend.json" >"$WORK/cuda_backend.log" 2>&1
BENCH_RC=$?
tail -3 "$WORK/cuda_backend.log"

TRAIN_RC=-1
if [ -f benchmarks/train_speed.py ] && "$PY" benchmarks/train_speed.py --help 2>/dev/null | grep -q -- "--device"; then
  echo "gpu_check: training benchmark on cuda"
  timeout 60 "$PY" benchmarks/train_speed.py --impls cpu cuda --threads 1 --device cuda >"$WORK/train_speed.json" 2>"$WORK/train_speed.log"
  TRAIN_RC=$?
fi

echo "gpu_check: PackBitsTensor on cuda"
timeout 45 "$PY" benchmarks/inference_api.py --device cuda --rounds 3 >"$WORK/inference_api.json" 2>"$WORK/inference_api.log"
INFER_RC=$?

"$PY" - "$WORK" "$SUMMARY" "$TEST_RC" "$BENCH_RC" "$TRAIN_RC" "$START" "$INFER_RC" <<'PYEOF'
import json, sys, time, xml.etree.ElementTree as ET
from pathlib import Path
work, summary, test_rc, bench_rc, train_rc, start, infer_rc = sys.argv[1:]
work = Path(work)
import torch
out = {"device": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
       "torch": torch.__version__, "cuda": torch.version.cuda}
tests = {"exit_code": int(test_rc)}
junit = work / "junit.xml"
if junit.exists():
    root = ET.parse(junit).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    for key in ("tests", "failures", "errors", "skipped"):
        tests[key] = int(suite.get(key, 0))
    tests["failed"] = [f"{c.get('classname')}::{c.get('name')}" for c in suite.iter("testcase")
                       if c.find("failure") is not None or c.find("error") is not None][:50]
    tests["skip_reasons"] = sorted({(s.get("message") or "")[:200] for s in suite.iter("skipped")})[:20]
tests["log_tail"] = (work / "pytest.log").read_text(errors="replace")[-3000:]
out["gpu_tests"] = tests
def load(name):
    try:
        return json.loads((work / name).read_text())
    except (OSError, ValueError):
        return None
out["cuda_backend"] = load("cuda_backend.json") or {"exit_code": int(bench_rc),
    "log_tail": (work / "cuda_backend.log").read_text(errors="replace")[-3000:]}
out["cuda_backend_exit_code"] = int(bench_rc)
if int(train_rc) == -1:
    out["train_speed"] = "not run: benchmarks/train_speed.py has no --device option"
else:
    out["train_speed"] = load("train_speed.json") or {"exit_code": int(train_rc),
        "log_tail": (work / "train_speed.log").read_text(errors="replace")[-2000:]}
out["inference_api"] = load("inference_api.json") or {"exit_code": int(infer_rc),
    "log_tail": (work / "inference_api.log").read_text(errors="replace")[-2000:]}
out["seconds"] = round(time.time() - int(start), 1)
out["ok"] = int(test_rc) == 0 and int(bench_rc) in (0, 1)
Path(summary).write_text(json.dumps(out, indent=1) + "\n")
print(f"gpu_check: summary in {summary} ({out['seconds']} s, tests exit {test_rc}, benchmark exit {bench_rc})")
PYEOF
# Keep the full logs beside the summary (the device machine's $OUT comes back to the caller).
for f in pytest.log cuda_backend.log train_speed.log inference_api.log; do
  [ -f "$WORK/$f" ] && cp "$WORK/$f" "$(dirname "$SUMMARY")/gpu_check_$f"
done
[ "$TEST_RC" -eq 0 ]
