#!/usr/bin/env bash
# Installs the splx-probe binary for this runner and writes its path to the step's outputs
# (path=...). Called by action.yml; runs on Linux, macOS and Windows (Git Bash) runners.
#
# A ref with release files (release/version, release/checksums.txt: a release commit) downloads
# the archive for this OS and architecture, checks its SHA-256 against release/checksums.txt
# from this same ref (never against a file downloaded next to it), and keeps the verified
# archive in the tool cache; every run, cache hit or not, verifies the bytes it extracts the
# binary from. A ref without them (a branch, uses: ./), or build-from-source: true, builds the
# binary with the runner's Go from this ref's source.
set -euo pipefail

action_dir=${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}
output=${GITHUB_OUTPUT:-/dev/stdout}

fail() {
  echo "::error title=splx-probe-action setup::$*"
  exit 1
}

# Inputs first, then the workflow's own variables (so an organisation can set them once).
download_url=${SPLX_ACTION_INPUT_DOWNLOAD_URL:-${SPLX_DOWNLOAD_URL:-https://github.com/splx-ai/splx-probe-action/releases/download}}
build=${SPLX_ACTION_INPUT_BUILD_FROM_SOURCE:-${SPLX_BUILD_FROM_SOURCE:-false}}
case "$(printf '%s' "$build" | tr '[:upper:]' '[:lower:]')" in
  true | yes | on | 1) build=true ;;
  false | no | off | 0) build=false ;;
  *) fail "build-from-source: \"$build\" is not a boolean; use true or false" ;;
esac

case "${RUNNER_OS:-$(uname -s)}" in
  Linux) goos=linux ;;
  macOS | Darwin) goos=darwin ;;
  Windows | MINGW* | MSYS* | CYGWIN*) goos=windows ;;
  *) fail "runner OS ${RUNNER_OS:-$(uname -s)} is not supported; use Linux, macOS or Windows" ;;
esac
case "${RUNNER_ARCH:-$(uname -m)}" in
  X64 | x86_64 | amd64) goarch=amd64 ;;
  ARM64 | arm64 | aarch64) goarch=arm64 ;;
  *) fail "runner architecture ${RUNNER_ARCH:-$(uname -m)} has no release; set build-from-source: true (needs Go)" ;;
esac
exe=splx-probe
[ "$goos" = windows ] && exe=splx-probe.exe

# RUNNER_TEMP is private to the job (the runner empties it); outside a runner, TMPDIR or /tmp.
tmp_root=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
cache_root=${RUNNER_TOOL_CACHE:-$tmp_root}
if command -v cygpath >/dev/null 2>&1; then
  tmp_root=$(cygpath -u "$tmp_root")
  cache_root=$(cygpath -u "$cache_root")
fi
if [ ! -d "$tmp_root" ] || [ ! -w "$tmp_root" ]; then
  fail "the runner's temporary directory $tmp_root (RUNNER_TEMP) is missing or not writable; check the runner's work folder and its permissions"
fi

build_from_source() {
  command -v go >/dev/null 2>&1 ||
    fail "building from source needs Go on the runner: add actions/setup-go before this step, or use a release of the action (splx-ai/splx-probe-action@v1)"
  local dir
  dir=$(mktemp -d "$tmp_root/splx-probe-build.XXXXXX")
  echo "Building splx-probe from the action's source with $(go version)"
  (cd "$action_dir" && CGO_ENABLED=0 go build -trimpath -o "$dir/$exe" .) || fail "go build failed (see above)"
  echo "path=$dir/$exe" >>"$output"
}

if [ "$build" = true ]; then
  build_from_source
  exit 0
fi
if [ ! -f "$action_dir/release/version" ]; then
  echo "This ref of the action has no release files (release/version): building from source."
  build_from_source
  exit 0
fi

version=$(tr -d ' \r\n' <"$action_dir/release/version")
case "$version" in
  '' | *[!0-9A-Za-z.+-]*) fail "release/version does not hold a version" ;;
esac
ext=tar.gz
[ "$goos" = windows ] && ext=zip
archive="splx-probe_${version}_${goos}_${goarch}.${ext}"
want=$(awk -v f="$archive" '$2 == f { print $1 }' "$action_dir/release/checksums.txt")
case "$(printf '%s' "$want" | grep -c .)" in
  0) fail "release/checksums.txt lists no $archive" ;;
  1) ;;
  *) fail "release/checksums.txt lists $archive more than once, so this ref's release files are broken; use a release tag of the action (@v1) or set build-from-source: true" ;;
esac

# Download bounds: each attempt is cut after its timeout, and an answer larger than the cap
# (an archive is about 5 MB) is cut there and refused. At most attempts × timeout seconds,
# plus 1 s, 2 s, … between attempts.
timeout=${SPLX_DOWNLOAD_TIMEOUT:-60}
attempts=${SPLX_DOWNLOAD_ATTEMPTS:-3}
max_bytes=${SPLX_DOWNLOAD_MAX_BYTES:-33554432}
for n in "$timeout" "$attempts" "$max_bytes"; do
  case "$n" in '' | *[!0-9]* | 0) fail "SPLX_DOWNLOAD_TIMEOUT, SPLX_DOWNLOAD_ATTEMPTS and SPLX_DOWNLOAD_MAX_BYTES take a positive whole number" ;; esac
done

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | awk '{ print $1 }'
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | awk '{ print $1 }'
  else
    openssl dgst -sha256 -r "$1" | awk '{ print $1 }'
  fi
}

# The cache keeps the verified archive, never a binary that runs: every run copies it into a
# directory of its own, hashes that copy against release/checksums.txt of this ref, and runs
# the binary extracted from it. Replaced or damaged cache bytes are a cache miss, and jobs that
# share the cache never write over a binary another job runs.
work=$(mktemp -d "$tmp_root/splx-probe.XXXXXX") ||
  fail "could not create a directory in $tmp_root (RUNNER_TEMP); check that the runner's temporary directory is writable"
installed=false
trap 'rm -rf "$work"; [ "$installed" = true ] || rm -rf "${bindir:-}"' EXIT
cache="$cache_root/splx-probe/$version/$goarch"
cached=false
if [ -f "$cache/$archive" ] && cp "$cache/$archive" "$work/$archive" 2>/dev/null; then
  if [ "$(sha256 "$work/$archive")" = "$want" ]; then
    cached=true
  else
    echo "The tool cache's $archive does not match release/checksums.txt: downloading it again"
  fi
fi

# One bounded attempt: 0 when done, 2 when the answer is over the cap, 1 on any other failure.
download() { # url file
  local status
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --connect-timeout 10 --max-time "$timeout" --max-filesize "$max_bytes" "$1" | head -c "$((max_bytes + 1))" >"$2"
    status=${PIPESTATUS[0]}
    [ "$status" -eq 63 ] && return 2 # curl: the announced size is over --max-filesize
  elif command -v timeout >/dev/null 2>&1; then
    timeout "$timeout" wget -q -T 10 -O - "$1" | head -c "$((max_bytes + 1))" >"$2"
    status=${PIPESTATUS[0]}
  else
    fail "downloading needs curl, or wget and timeout, on the runner"
  fi
  [ "$(wc -c <"$2")" -gt "$max_bytes" ] && return 2
  [ "$status" -eq 0 ] || return 1
}

if [ "$cached" = false ]; then
  url="${download_url%/}/v${version}/${archive}"
  echo "Downloading $url"
  status=1
  for i in $(seq "$attempts"); do
    status=0
    download "$url" "$work/$archive" || status=$?
    [ "$status" -eq 1 ] || break # done, or too large (no retry)
    if [ "$i" -lt "$attempts" ]; then
      echo "Download attempt $i of $attempts failed; retrying in $i s"
      sleep "$i"
    fi
  done
  case "$status" in
    2) fail "$url answered with more than $max_bytes bytes, which is not a release archive (about 5 MB); check download-url" ;;
    1) fail "could not download $url ($attempts attempts, ${timeout} s each); check the runner's network, or set download-url to a mirror of the releases where github.com is out of reach" ;;
  esac
  got=$(sha256 "$work/$archive")
  [ "$got" = "$want" ] ||
    fail "checksum mismatch for $archive: got $got, release/checksums.txt says $want; the download was altered or corrupted, and nothing was run"
fi

# Exactly one entry named splx-probe, and it must extract as a regular file: a link or a
# directory would make chmod and the run step follow it out of this directory.
if [ "$ext" = zip ]; then
  if command -v unzip >/dev/null 2>&1; then
    entries=$(unzip -Z1 "$work/$archive") || fail "$archive is not a readable zip archive"
  else
    entries=$(7z l -ba -slt "$work/$archive" | sed -n 's/^Path = //p') || fail "$archive is not a readable zip archive"
  fi
else
  entries=$(tar -tzf "$work/$archive") || fail "$archive is not a readable tar.gz archive"
fi
bindir=$(mktemp -d "$tmp_root/splx-probe-bin.XXXXXX") ||
  fail "could not create a directory in $tmp_root (RUNNER_TEMP); check that the runner's temporary directory is writable"
members=$(printf '%s\n' "$entries" | tr -d '\r' | grep -x -e "$exe" -e "./$exe" -e "$exe/" || true)
count=$(printf '%s' "$members" | grep -c . || true)
[ "$count" -gt 0 ] || fail "$archive has no $exe; this release is broken: use another release of the action, or set build-from-source: true"
[ "$count" -eq 1 ] || fail "$archive holds $exe $count times; refusing to pick one, nothing was run: use another release of the action, or set build-from-source: true"
not_regular="$exe in $archive is not a regular file (a link or a directory), so nothing was run; use another release of the action, or set build-from-source: true"
if [ "$ext" = zip ]; then
  if command -v unzip >/dev/null 2>&1; then
    unzip -q "$work/$archive" "$members" -d "$bindir" || fail "$not_regular"
  else
    7z x -y -o"$bindir" "$work/$archive" "$members" >/dev/null || fail "$not_regular"
  fi
else
  tar -xzf "$work/$archive" -C "$bindir" "$members" || fail "$not_regular"
fi
if [ ! -f "$bindir/$exe" ] || [ -L "$bindir/$exe" ]; then
  fail "$not_regular"
fi
chmod 755 "$bindir/$exe"

if [ "$cached" = true ]; then
  echo "Using splx-probe $version ($goos/$goarch) from the tool cache, SHA-256 $want verified"
else
  # Into the cache under a temporary name in its own directory, then renamed: a rename is
  # atomic, so a job reading the cache sees the old archive or the new one, never a part.
  if ! mkdir -p "$cache" 2>/dev/null || ! part=$(mktemp "$cache/.$archive.XXXXXX" 2>/dev/null); then
    fail "the tool cache $cache_root (RUNNER_TOOL_CACHE) is not writable; fix its permissions, or point RUNNER_TOOL_CACHE at a writable directory"
  fi
  if ! cp "$work/$archive" "$part" || ! mv -f "$part" "$cache/$archive"; then
    rm -f "$part"
    fail "could not write $archive into the tool cache $cache_root (RUNNER_TOOL_CACHE); check its free space and permissions"
  fi
  echo "Installed splx-probe $version ($goos/$goarch), SHA-256 $want"
fi
installed=true
echo "path=$bindir/$exe" >>"$output"
