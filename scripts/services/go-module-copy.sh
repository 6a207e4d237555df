# Sourced by the build-*.sh scripts (which define `log`): the cache check and the writable copy
# of a Go module's source that they share.

# Exits the calling script at once when `$1/bin/$2` exists and `$1/key` holds the key `$3`.
exit_if_cached() {
  local out="$1" bin="$2" key="$3"
  if [[ -x "$out/bin/$bin" && -f "$out/key" && "$(cat "$out/key")" == "$key" ]]; then
    log "cached: $out/bin/$bin"
    exit 0
  fi
}

# Downloads module `$1` at version `$2` from the Go module proxy into a writable copy at `$3`.
copy_module() {
  local module="$1" version="$2" dest="$3" src
  log "downloading $module@$version from the Go module proxy"
  src=$(go mod download -json "$module@$version" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error","no Dir")))')
  rm -rf "$dest"
  cp -r "$src" "$dest"
  chmod -R u+w "$dest"
}
