#!/usr/bin/env bash
# The release's last step: after the release commit and its tags exist, the image gets its
# moving tags (X.Y and X, the same digest as X.Y.Z) and the draft GitHub release, which names
# the release commit, is published. Nothing users follow (v1, :1, the latest release) moves
# before this step. It is safe to run again, and it is what a maintainer runs by hand when this
# step of the workflow failed (needs gh with GH_TOKEN, and crane logged in to ghcr.io).
#
#   release-publish.sh vX.Y.Z [sha256:digest]   (default: the digest pinned in the release commit)
set -euo pipefail
tag=${1:?usage: release-publish.sh vX.Y.Z [sha256:digest]}
image=ghcr.io/splx-ai/splx-probe-action
# shellcheck source=.github/release-tag.sh
. "$(dirname "$0")/release-tag.sh"

git fetch -q --force origin "refs/tags/$tag:refs/tags/$tag"
commit=$(git rev-parse "refs/tags/$tag^{commit}")
git cat-file -e "$commit:release/version" 2>/dev/null ||
  { echo "::error::$tag is not a release commit yet (no release/version): run .github/release-commit.sh first"; exit 1; }
pinned=$(git show "$commit:docker/action.yml" | sed -n "s|^  image: docker://$image:$version@\(sha256:[0-9a-f]\{64\}\)\$|\1|p")
digest=${2:-$pinned}
if [ -z "$digest" ] || [ "$digest" != "$pinned" ]; then
  echo "::error::the release commit pins the image to \"$pinned\", not \"$digest\""
  exit 1
fi

for t in "$minor" "$major"; do
  crane tag "$image@$digest" "$t"
done
notes=$(gh release view "$tag" --json body --jq .body)
case "$notes" in
  *"Release commit: "*) ;;
  *) notes="$notes

Release commit: \`$commit\`; pin it with \`uses: splx-ai/splx-probe-action@$commit # $tag\`." ;;
esac
gh release edit "$tag" --draft=false --notes "$notes"
echo "Published $tag: release commit $commit, image $image:$version@$digest (also :$minor and :$major)"
