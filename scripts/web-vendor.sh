#!/bin/sh
# Copies the browser libraries the web app uses from their Debian packages into web/vendor/,
# each with its copyright file, and writes web/vendor/README.md naming package and version.
# Re-running it gives the same files for the same package versions (no network, no npm).
set -eu
cd "$(dirname "$0")/.."
PACKAGES="node-dagre-layout libjs-codemirror"
missing=""
for p in $PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then apt-get install -y $missing; fi

V=web/vendor
rm -rf "$V"
mkdir -p "$V/dagre" "$V/codemirror/mode/sql" "$V/codemirror/addon/edit"

cp /usr/share/nodejs/dagre/dist/dagre.min.js "$V/dagre/"
cp /usr/share/doc/node-dagre-layout/copyright "$V/dagre/copyright"

CM=/usr/share/javascript/codemirror
cp "$CM/lib/codemirror.js" "$CM/lib/codemirror.css" "$V/codemirror/"
cp "$CM/mode/sql/sql.js" "$V/codemirror/mode/sql/"
cp "$CM/addon/edit/matchbrackets.js" "$V/codemirror/addon/edit/"
cp /usr/share/doc/libjs-codemirror/copyright "$V/codemirror/copyright"


version() { dpkg-query -W -f '${Version}' "$1"; }
cat > "$V/README.md" <<MD
# Vendored browser libraries

Copied from Debian packages by \`scripts/web-vendor.sh\` (run it again to refresh); each
directory holds the package's \`copyright\` file. Nothing here is edited by hand.

| directory | Debian package | version | files | used for |
|---|---|---|---|---|
| \`dagre/\` | \`node-dagre-layout\` | $(version node-dagre-layout) | \`dist/dagre.min.js\` (dagre 0.8.5, UMD, bundles graphlib and lodash) | auto-layout, in a Web Worker (\`js/ui/layout-worker.js\`) |
| \`codemirror/\` | \`libjs-codemirror\` | $(version libjs-codemirror) | \`lib/codemirror.{js,css}\`, mode \`sql\`, addon \`edit/matchbrackets\` | code fields: SQL, and jq and Cedar through small modes of our own (\`js/ui/jq-mode.js\`, \`js/ui/cedar-mode.js\`) |

Chart outputs need no charting library: the \`chart\` node renders SVG on the server, shown as an image.
MD
echo "vendored into $V"
