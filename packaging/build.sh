#!/usr/bin/env bash
# Build the one-folder bundle dist/Tonearm/ (run dist/Tonearm/tonearm) and a .tar.gz of it.
# Usage: packaging/build.sh     PYTHON=path/to/python picks another environment (default
# .venv/bin/python, which must have Tonearm's dependencies); PyInstaller is added if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
started=$SECONDS

if ! "$PY" -m PyInstaller --version >/dev/null 2>&1; then
  echo "Installing PyInstaller into $("$PY" -c 'import sys; print(sys.prefix)')" >&2
  "$PY" -m pip install -q "pyinstaller>=6.5" >&2
fi
if [ ! -f "${TONEARM_BUNDLE_MODEL:-resources/model/sound_cnn.onnx}" ]; then
  echo "warning: resources/model/sound_cnn.onnx is missing: the bundle cannot analyse audio" \
    "and its self-test will fail" >&2
fi

version="$("$PY" -c 'import recommender; print(recommender.__version__)')"
nice -n "${NICE:-10}" "$PY" -m PyInstaller --noconfirm --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/tonearm.spec
built=$SECONDS
cp LICENSE dist/Tonearm/LICENSE  # GPL-3.0-or-later, beside the program

archive="dist/Tonearm-$version-linux-$(uname -m).tar.gz"
nice -n "${NICE:-10}" tar -C dist -czf "$archive" Tonearm
size() { du -sh "$1" | cut -f1; }
echo "bundle: dist/Tonearm ($(size dist/Tonearm)), $archive ($(size "$archive"))"
echo "built in $((built - started)) s, archived in $((SECONDS - built)) s"
