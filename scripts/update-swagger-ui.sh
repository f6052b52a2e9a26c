#!/usr/bin/env bash
# Refreshes the Swagger UI assets that the docs page embeds
# (httpapi/assets/swagger-ui/) from the swagger-ui-dist npm package.
#
#   scripts/update-swagger-ui.sh VERSION     e.g. scripts/update-swagger-ui.sh 5.35.0
#
# Needs npm (only to fetch the package; nothing is built). Afterwards run
# `go test -race ./httpapi/` (the browser test exercises the Authorize
# dialog, whose look this project adjusts) and commit the result.
set -euo pipefail

version=${1:-}
if [[ ! $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "usage: $0 VERSION   (x.y.z; the newest is: npm view swagger-ui-dist version)" >&2
  exit 2
fi

root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/httpapi/assets/swagger-ui
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# npm pack checks the tarball against the registry's integrity hash.
(cd "$tmp" && npm pack --silent "swagger-ui-dist@$version" >/dev/null)
tar -xzf "$tmp/swagger-ui-dist-$version.tgz" -C "$tmp"
pkg=$tmp/package

got=$(node -p "require('$pkg/package.json').version")
if [[ $got != "$version" ]]; then
  echo "npm gave version $got, not $version" >&2
  exit 1
fi

# Only what the page loads, plus the licence and notice that must travel
# with the code. Source maps stay out to keep the binary small.
files=(
  swagger-ui-bundle.js
  swagger-ui-bundle.js.LICENSE.txt
  swagger-ui.css
  favicon-32x32.png
  LICENSE
  NOTICE
)
rm -rf "$dest"
mkdir -p "$dest"
for f in "${files[@]}"; do
  cp "$pkg/$f" "$dest/$f"
done
echo "$version" > "$dest/VERSION"

echo "Swagger UI $version is in ${dest#"$root"/}; run: go test -race ./httpapi/"
