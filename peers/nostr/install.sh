#!/usr/bin/env bash
# Install the Nostr test relay (PyPI nostr-relay, pinned in requirements.txt) in its own venv:
# $HUBBUB_PEERS_HOME/nostr-relay (default: <repo>/.peers/nostr-relay). Not the project's venv.
# Idempotent (a stamp records the Python version and the requirements' hash) and safe to run
# concurrently (flock on nostr-relay.lock).
# The interpreter: $HUBBUB_PEERS_PYTHON, else a Python 3.13 found on this machine.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
home=${HUBBUB_PEERS_HOME:-$repo/.peers}
mkdir -p "$home"
home=$(cd "$home" && pwd)
venv=$home/nostr-relay

log() { echo "peers/nostr/install: $*" >&2; }

find_python() {
  if [ -n "${HUBBUB_PEERS_PYTHON:-}" ]; then echo "$HUBBUB_PEERS_PYTHON"; return; fi
  local c
  for c in "$(command -v python3.13 || true)" /root/.pyenv/versions/3.13*/bin/python3.13 \
           /usr/local/bin/python3.13 /usr/bin/python3.13; do
    if [ -n "$c" ] && [ -x "$c" ] &&
       "$c" -c 'import sys; assert sys.version_info[:2] == (3, 13); print(sys.executable)' 2>/dev/null; then
      return
    fi
  done
  echo "3.13"  # let uv find (or fetch) one
}

exec 9>"$home/nostr-relay.lock"
flock 9

stamp=$venv/.installed
want="requirements=$(sha256sum "$here/requirements.txt" | cut -c1-32)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/nostr-relay" ]; then
  exit 0
fi

python=$(find_python)
log "installing nostr-relay into $venv (Python: $python)"
rm -rf "$venv"
uv venv -q --python "$python" "$venv" >&2
uv pip install -q --python "$venv/bin/python" -r "$here/requirements.txt" >&2
"$venv/bin/python" -c 'import nostr_relay.web, websockets, coincurve' >&2
echo "$want" >"$stamp"
