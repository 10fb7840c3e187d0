#!/usr/bin/env bash
# Time a cold start of the GUI to its first window on a virtual X display (Xvfb), then close it.
# Usage: packaging/gui_start.sh [TONEARM]   (default dist/Tonearm/tonearm). Needs Xvfb and
# xwininfo (x11-utils); exits 0 when the main window appeared within the time limit.
set -euo pipefail
exe="${1:-dist/Tonearm/tonearm}"
limit_s="${GUI_START_LIMIT_S:-60}"
for tool in Xvfb xwininfo; do
  command -v "$tool" >/dev/null || { echo "gui-start: skipped ($tool not installed)"; exit 0; }
done
tmp="$(mktemp -d)"
display=":$((100 + RANDOM % 400))"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
xvfb=$!
app=""
cleanup() {
  if [ -n "$app" ]; then kill "$app" 2>/dev/null || true; wait "$app" 2>/dev/null || true; fi
  kill "$xvfb" 2>/dev/null || true
  wait "$xvfb" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
elapsed() { awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
for _ in $(seq 50); do xwininfo -display "$display" -root >/dev/null 2>&1 && break; sleep 0.1; done

started=$EPOCHREALTIME
DISPLAY="$display" QT_QPA_PLATFORM=xcb XDG_RUNTIME_DIR="$tmp" "$exe" --data-dir "$tmp/data" \
  --no-scan >"$tmp/app.log" 2>&1 &
app=$!
while :; do
  if xwininfo -display "$display" -root -tree 2>/dev/null | grep -q '"Tonearm"'; then
    echo "gui-start: main window shown after $(elapsed) s"
    sleep "${GUI_SETTLE_S:-2}"  # let deferred start-up work run, then look for errors
    if grep -q "Traceback" "$tmp/app.log"; then
      echo "gui-start: FAILED, the app logged an error:"; cat "$tmp/app.log"; exit 1
    fi
    exit 0
  fi
  if ! kill -0 "$app" 2>/dev/null; then
    echo "gui-start: FAILED, the app exited before showing a window:"; tail -20 "$tmp/app.log"
    app=""; exit 1
  fi
  if awk -v e="$(elapsed)" -v l="$limit_s" 'BEGIN { exit !(e > l) }'; then
    echo "gui-start: FAILED, no window after $limit_s s:"; tail -20 "$tmp/app.log"; exit 1
  fi
  sleep 0.05
done
