#!/usr/bin/env bash
# Installs the splx-probe binary for this runner and writes its path to the step's outputs
# (path=...). Called by action.yml; runs on Linux, macOS and Windows (Git Bash) runners.
#
# A ref with release files (release/version, release/checksums.txt: a release commit) downloads
# the archive for this OS and architecture, checks its SHA-256 against release/checksums.txt
# from this same ref (never against a file downloaded next to it), and keeps the binary in the
# tool cache. A ref without them (a branch, uses: ./), or build-from-source: true, builds the
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

tmp_root=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
cache_root=${RUNNER_TOOL_CACHE:-$tmp_root}
if command -v cygpath >/dev/null 2>&1; then
  tmp_root=$(cygpath -u "$tmp_root")
  cache_root=$(cygpath -u "$cache_root")
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
[ -n "$want" ] || fail "release/checksums.txt lists no $archive"

cache="$cache_root/splx-probe/$version/$goarch"
if [ -x "$cache/$exe" ] && [ "$(cat "$cache/.sha256" 2>/dev/null)" = "$want" ]; then
  echo "Using splx-probe $version ($goos/$goarch) from the tool cache"
  echo "path=$cache/$exe" >>"$output"
  exit 0
fi

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | awk '{ print $1 }'
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | awk '{ print $1 }'
  else
    openssl dgst -sha256 -r "$1" | awk '{ print $1 }'
  fi
}

tmp=$(mktemp -d "$tmp_root/splx-probe.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
url="${download_url%/}/v${version}/${archive}"
echo "Downloading $url"
if command -v curl >/dev/null 2>&1; then
  curl -fsSL --retry 3 --retry-connrefused --connect-timeout 10 --max-time 120 -o "$tmp/$archive" "$url" ||
    fail "could not download $url; where github.com is out of reach, set download-url to a mirror of the releases"
else
  wget -q -T 60 -O "$tmp/$archive" "$url" ||
    fail "could not download $url; where github.com is out of reach, set download-url to a mirror of the releases"
fi
got=$(sha256 "$tmp/$archive")
[ "$got" = "$want" ] ||
  fail "checksum mismatch for $archive: got $got, release/checksums.txt says $want; the download was altered or corrupted, and nothing was run"

mkdir -p "$tmp/x"
if [ "$ext" = zip ]; then
  if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$tmp/$archive" "$exe" -d "$tmp/x"
  else
    7z x -y -o"$tmp/x" "$tmp/$archive" "$exe" >/dev/null
  fi
else
  tar -xzf "$tmp/$archive" -C "$tmp/x" "$exe"
fi
mkdir -p "$cache"
mv -f "$tmp/x/$exe" "$cache/$exe"
chmod +x "$cache/$exe"
echo "$want" >"$cache/.sha256"
echo "Installed splx-probe $version ($goos/$goarch), SHA-256 $got"
echo "path=$cache/$exe" >>"$output"
