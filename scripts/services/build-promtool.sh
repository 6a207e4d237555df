#!/usr/bin/env bash
# Builds Prometheus's promtool (rule checks and rule unit tests for
# deploy/prometheus/driftwatch-rules.yaml) from its Go module source (Go module proxy) into the
# driftwatch cache. Idempotent: a cached binary whose key (version + Go) matches is reused at once.
#
# Why a copy of the module and not `go install …@version`: only the promtool command is needed,
# and building it inside the module uses the module's own go.mod (its replace and exclude
# directives included), the way upstream builds it. Nice and one package at a time: the 2 cores
# are shared with test runs.
set -euo pipefail

VER="${PROMTOOL_VERSION:-v0.316.0}"
CACHE="${DRIFTWATCH_CACHE:-$HOME/.cache/driftwatch}"
OUT="$CACHE/promtool-$VER"
KEY="$VER|$(go version)"
# shellcheck source=go-module-copy.sh
source "$(dirname "${BASH_SOURCE[0]}")/go-module-copy.sh"
log() { printf '[build-promtool] %s\n' "$*" >&2; }

exit_if_cached "$OUT" promtool "$KEY"

mkdir -p "$OUT/bin"
export GOFLAGS="${GOFLAGS:-} -modcacherw -p=1"
export GOTOOLCHAIN=local
# The module zip carries upstream's go.work but not the nested modules it lists.
export GOWORK=off

copy_module github.com/prometheus/prometheus "$VER" "$OUT/src"
cd "$OUT/src"

log "building promtool (cold: several minutes on 2 cores)"
nice go build -ldflags "-s -w -X github.com/prometheus/common/version.Version=${VER#v}" \
  -o "$OUT/bin/promtool.tmp" ./cmd/promtool
mv "$OUT/bin/promtool.tmp" "$OUT/bin/promtool"
rm -rf "$OUT/src"
printf '%s' "$KEY" >"$OUT/key"
log "built $OUT/bin/promtool"
