# Sourced by release-commit.sh and release-publish.sh: checks that $tag is a vX.Y.Z release tag
# and sets version (X.Y.Z), major (X) and minor (X.Y) from it.
# shellcheck shell=bash disable=SC2034,SC2154 # tag comes from, the rest goes to, the caller
version=${tag#v}
case "$version" in
  [0-9]*.[0-9]*.[0-9]*) ;;
  *) echo "::error::$tag is not a vX.Y.Z tag"; exit 1 ;;
esac
major=${version%%.*}
minor=${version#*.}
minor=$major.${minor%%.*}
