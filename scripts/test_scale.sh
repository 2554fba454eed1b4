#!/usr/bin/env bash
# make test-scale: the scale-out test (tests/test_scale_out.py), apart from `make test`
# because it installs its own database and runs two multi-worker Odoo nodes on a
# PostgreSQL primary and a streaming replica (a few minutes). Needs PostgreSQL's
# pg_basebackup next to initdb. ADDONS=a,b restricts the installed addons; PYTEST_ARGS
# adds pytest options.
source "$(dirname "$0")/common.sh"
check_odoo
cd "$REPO_DIR"
export HELPDESK_SCALE_OUT=1
if [ -n "${ADDONS:-}" ]; then
    export HELPDESK_TEST_ADDONS="$ADDONS"
fi
command -v pg_basebackup >/dev/null || die "pg_basebackup (PostgreSQL client tools) is not on the PATH"
exec "$PYTHON" -m pytest -p no:cacheprovider -p no:odoo -s tests/test_scale_out.py ${PYTEST_ARGS:-}
