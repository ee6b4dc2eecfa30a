#!/usr/bin/env bash
# Installs the Debian packages the build links against (skipped when they are all present):
# libjq and oniguruma (the jq node), SQLite (the sql node) and libxmlsec1 (SAML signatures).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
apt_ensure pkg-config libjq-dev libonig-dev libsqlite3-dev libxmlsec1-dev
