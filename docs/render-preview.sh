#!/usr/bin/env bash
# Renders docs/preview.png, the README's picture of the pull request comment
# and the job summary, from the demo's own output: it first rewrites
# docs/preview/*.md from the demo (TestDemoPreviews -update), so the picture
# shows exactly what `splx-probe demo --probe-ids 1,2,3,4` writes; that test
# then keeps the committed Markdown equal to the demo's in CI.
#
# Not needed by CI. Needs Debian's cmark-gfm and chromium (and
# fonts-noto-color-emoji for the marks):
#   apt-get install cmark-gfm chromium fonts-noto-color-emoji
set -euo pipefail
cd "$(dirname "$0")/.."
go test . -run '^TestDemoPreviews$' -update >/dev/null
go test . -run '^TestDemoPreviews$' >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
panel() { # title, markdown file
	printf '<section><h4 class="where">%s</h4><div class="markdown-body">' "$1"
	# GitHub renders with cmark-gfm and drops the HTML comment marker.
	cmark-gfm --extension table --extension autolink --extension strikethrough "$2"
	printf '</div></section>\n'
}
{
	cat <<'HTML'
<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; padding: 16px; background: #f6f8fa; width: 1568px;
  font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", "Noto Color Emoji", sans-serif; color: #1f2328; }
main { display: flex; gap: 16px; align-items: flex-start; }
section { flex: 1; background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; padding: 8px 16px 16px; }
.where { margin: 4px 0 8px; color: #59636e; font-weight: 600; font-size: 12px; text-transform: uppercase; }
h2, h3 { margin: 8px 0 12px; } h2 { border-bottom: 1px solid #d1d9e0; padding-bottom: .3em; }
table { border-collapse: collapse; margin: 8px 0; } th, td { border: 1px solid #d1d9e0; padding: 4px 10px; }
tr:nth-child(2n) td { background: #f6f8fa; } th { font-weight: 600; }
code { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; background: #eff1f3; padding: 1px 4px; border-radius: 4px; }
sub { color: #59636e; } a { color: #0969da; text-decoration: none; }
</style></head><body><main>
HTML
	panel "Pull request comment" docs/preview/comment.md
	panel "Job summary" docs/preview/summary.md
	echo '</main></body></html>'
} >"$work/preview.html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
	--window-size=1600,440 --screenshot="$work/preview.png" "file://$work/preview.html" 2>/dev/null
cp "$work/preview.png" docs/preview.png
echo "wrote docs/preview.png"
