#!/usr/bin/env bash
# Prints the digest (sha256:<hex>) of the image GoReleaser pushed for a version, read from
# dist/digests.txt. GoReleaser v2.15.1 (internal/pipe/dockerdigest) writes one line per image
# tag, the digest without its "sha256:" prefix, two spaces, and the image with its tag:
#   3f1c…e9  ghcr.io/splx-ai/splx-probe-action:1.2.3
# Usage: image-digest.sh DIGESTS_FILE VERSION [IMAGE]
set -euo pipefail
file=$1 version=$2 image=${3:-ghcr.io/splx-ai/splx-probe-action}
[ -s "$file" ] || { echo "::error::$file is missing or empty: GoReleaser pushed no image" >&2; exit 1; }
# A prefixed digest (sha256:<hex>, as older GoReleaser versions wrote it) is accepted too.
digests=$(awk -v img="$image:$version" '$2 == img { d = $1; sub(/^sha256:/, "", d); print d }' "$file" | sort -u)
case "$digests" in
  '') echo "::error::$file has no line for $image:$version" >&2; exit 1 ;;
  *[!0-9a-f]*) echo "::error::$file names more than one digest, or not a SHA-256, for $image:$version: $(tr '\n' ' ' <<<"$digests")" >&2; exit 1 ;;
esac
[ ${#digests} -eq 64 ] || { echo "::error::$file: $digests is not a SHA-256 digest" >&2; exit 1; }
echo "sha256:$digests"
