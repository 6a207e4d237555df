#!/usr/bin/env bash
# Builds Prometheus Alertmanager from its Go module source (Go module proxy) into the driftwatch
# cache. Idempotent: a cached binary whose key (version + Go) matches is reused at once.
#
# Why a copy of the module and not `go install …@version`: the module embeds its web UI from
# ui/app/dist, which is built by npm upstream and not part of the module zip, so the embed
# pattern matches nothing and the build fails. The tests only use the HTTP API, so the copy
# gets a one-page placeholder UI; no Go code changes.
set -euo pipefail

VER="${ALERTMANAGER_VERSION:-v0.35.0}"
CACHE="${DRIFTWATCH_CACHE:-$HOME/.cache/driftwatch}"
OUT="$CACHE/alertmanager-$VER"
KEY="$VER|$(go version)"
# shellcheck source=go-module-copy.sh
source "$(dirname "${BASH_SOURCE[0]}")/go-module-copy.sh"
log() { printf '[build-alertmanager] %s\n' "$*" >&2; }

exit_if_cached "$OUT" alertmanager "$KEY"

mkdir -p "$OUT/bin"
export GOFLAGS="${GOFLAGS:-} -modcacherw"
export GOTOOLCHAIN=local

copy_module github.com/prometheus/alertmanager "$VER" "$OUT/src"
cd "$OUT/src"
for ui in elm mantine; do
  mkdir -p "ui/app/dist/$ui"
  printf '<!doctype html><title>Alertmanager</title><p>API only (UI not built)\n' >"ui/app/dist/$ui/index.html"
done

log "building alertmanager (cold: a few minutes on 2 cores)"
go build -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VER#v}" \
  -o "$OUT/bin/alertmanager.tmp" ./cmd/alertmanager
mv "$OUT/bin/alertmanager.tmp" "$OUT/bin/alertmanager"
rm -rf "$OUT/src"
printf '%s' "$KEY" >"$OUT/key"
log "built $OUT/bin/alertmanager"
