#!/usr/bin/env bash
# Rebuild the vendored GOV.UK Frontend assets in static/govuk/.
# Needs Node/npm at build time only; the compiled output is committed so the
# Django app needs no Node at run time.
#
# Usage (from anywhere):  bash frontend/build.sh
set -euo pipefail

FRONTEND_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${FRONTEND_DIR}/.." && pwd)"
OUT_DIR="${REPO_ROOT}/static/govuk"
GOVUK_DIST="${FRONTEND_DIR}/node_modules/govuk-frontend/dist/govuk"

cd "${FRONTEND_DIR}"

# Exact versions from package-lock.json; skip install scripts (only sass's
# optional file-watcher has one, and we don't use --watch).
npm ci --ignore-scripts --no-audit --no-fund

mkdir -p "${OUT_DIR}"

# --quiet-deps hides deprecation warnings raised inside govuk-frontend itself;
# govuk-frontend 5.x only supports @import, so silence that deprecation too.
npx --no-install sass \
  --no-source-map \
  --style=compressed \
  --load-path=node_modules \
  --quiet-deps \
  --silence-deprecation=import \
  govuk.scss "${OUT_DIR}/govuk-frontend.min.css"

cp "${GOVUK_DIST}/govuk-frontend.min.js" "${OUT_DIR}/govuk-frontend.min.js"

# Licence of the vendored code: the govuk-frontend npm tarball does not ship a
# LICENSE file (package.json just says "MIT"), so static/govuk/LICENSE is a
# committed copy of upstream LICENSE.txt (alphagov/govuk-frontend). Just check
# it is still there.
test -s "${OUT_DIR}/LICENSE" || { echo "ERROR: ${OUT_DIR}/LICENSE missing" >&2; exit 1; }

# Assets: deliberately copy NOTHING from dist/govuk/assets/.
#  - fonts/*.woff*       : GDS Transport, GOV.UK-only (and not referenced: we
#                          set $govuk-include-default-font-face: false).
#  - images/favicon.*,
#    images/govuk-icon-*,
#    images/govuk-crest.svg,
#    rebrand/images/*    : all are the crown / royal crest, so not for a council.
# The compiled CSS references no asset url() at all (checked below), so
# static/govuk/assets/ is not needed. Supply the council's own favicon instead.
rm -rf "${OUT_DIR}/assets"

# Guard rails: fail if the CSS ever starts pulling in fonts or asset urls.
CSS="${OUT_DIR}/govuk-frontend.min.css"
if grep -qi -e 'GDS Transport' -e '@font-face' -e '\.woff' "${CSS}"; then
  echo "ERROR: ${CSS} references GDS Transport / @font-face / woff" >&2
  exit 1
fi
if grep -q 'url(' "${CSS}"; then
  echo "ERROR: ${CSS} contains url(): check the referenced files exist under ${OUT_DIR}/assets/" >&2
  grep -o 'url([^)]*)' "${CSS}" >&2
  exit 1
fi

GOVUK_VERSION="$(node -p "require('./node_modules/govuk-frontend/package.json').version")"
echo "Built GOV.UK Frontend ${GOVUK_VERSION}:"
ls -l "${OUT_DIR}"
