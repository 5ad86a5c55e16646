#!/usr/bin/env bash
# Adds the release files to a commit on top of the tag just released, and moves the tags
# vX.Y.Z, vX.Y and vX to it. Called by the release workflow after GoReleaser, with the tag and
# the image digest; reads dist/checksums.txt from that same build.
set -euo pipefail
tag=$1 digest=$2
version=${tag#v}
case "$version" in
  [0-9]*.[0-9]*.[0-9]*) ;;
  *) echo "::error::$tag is not a vX.Y.Z tag"; exit 1 ;;
esac
case "$digest" in
  sha256:[0-9a-f]*) ;;
  *) echo "::error::$digest is not an image digest"; exit 1 ;;
esac
major=${version%%.*}
minor=${version#*.}
minor=$major.${minor%%.*}

mkdir -p release
echo "$version" >release/version
cp dist/checksums.txt release/checksums.txt
sed -i "s|^  image: docker://ghcr.io/splx-ai/splx-probe-action:.*|  image: docker://ghcr.io/splx-ai/splx-probe-action:$version@$digest|" docker/action.yml
grep -q "@$digest\$" docker/action.yml || { echo "::error::docker/action.yml was not pinned"; exit 1; }

git config user.name "github-actions[bot]"
git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
git add release docker/action.yml
git commit -qm "Release $tag: checksums and image digest for the action"
for t in "v$version" "v$minor" "v$major"; do
  git tag -f -a "$t" -m "splx-probe-action $tag"
done
git push --force origin "v$version" "v$minor" "v$major"
echo "Release commit $(git rev-parse HEAD): pin uses: splx-ai/splx-probe-action@$(git rev-parse HEAD) # $tag"
