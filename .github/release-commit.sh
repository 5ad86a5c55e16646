#!/usr/bin/env bash
# Adds the release files to a commit on top of the tag just built, and moves the tags vX.Y.Z,
# vX.Y and vX to it in one atomic push. Called by the release workflow after GoReleaser, with
# the tag and the image digest; reads dist/checksums.txt from that same build.
#
#   release-commit.sh --check vX.Y.Z    before anything is built or published: the tag is a
#                                       release tag and origin has no release commit for it yet
#   release-commit.sh vX.Y.Z sha256:…   the release commit and the three tags
set -euo pipefail
check=false
if [ "${1:-}" = --check ]; then
  check=true
  shift
fi
tag=${1:?usage: release-commit.sh [--check] vX.Y.Z [sha256:digest]}
# shellcheck source=.github/release-tag.sh
. "$(dirname "$0")/release-tag.sh"

# A re-run after the tags moved would build a second release commit on top of the source
# commit; finishing such a release is release-publish.sh's job.
if git fetch -q origin "refs/tags/$tag" 2>/dev/null && git cat-file -e FETCH_HEAD:release/version 2>/dev/null; then
  echo "::error::origin's $tag already points at a release commit; to finish that release run .github/release-publish.sh $tag (see README, Releasing)"
  exit 1
fi
if [ "$check" = true ]; then
  echo "$tag: a release tag without a release commit yet"
  exit 0
fi

digest=${2:-}
case "$digest" in
  sha256:*) ;;
  *) echo "::error::\"$digest\" is not an image digest (sha256:<hex>)"; exit 1 ;;
esac
hex=${digest#sha256:}
case "$hex" in
  *[!0-9a-f]*) echo "::error::$digest is not an image digest (sha256:<hex>)"; exit 1 ;;
esac
[ ${#hex} -eq 64 ] || { echo "::error::$digest is not an image digest (sha256:<hex>)"; exit 1; }
grep -q "_${version}_linux_amd64.tar.gz\$" dist/checksums.txt ||
  { echo "::error::dist/checksums.txt lists no archive of $version"; exit 1; }

mkdir -p release
echo "$version" >release/version
cp dist/checksums.txt release/checksums.txt
sed -i.orig "s|^  image: docker://ghcr.io/splx-ai/splx-probe-action:.*|  image: docker://ghcr.io/splx-ai/splx-probe-action:$version@$digest|" docker/action.yml
rm -f docker/action.yml.orig
grep -q "@$digest\$" docker/action.yml || { echo "::error::docker/action.yml was not pinned"; exit 1; }

git config user.name "github-actions[bot]"
git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
git add release docker/action.yml
git commit -qm "Release $tag: checksums and image digest for the action"
for t in "v$version" "v$minor" "v$major"; do
  git tag -f -a "$t" -m "splx-probe-action $tag"
done
# All three tags move, or none does.
git push --atomic --force origin "refs/tags/v$version" "refs/tags/v$minor" "refs/tags/v$major"
echo "Release commit $(git rev-parse HEAD): pin uses: splx-ai/splx-probe-action@$(git rev-parse HEAD) # $tag"
