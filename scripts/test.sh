#!/usr/bin/env bash
# make test: throwaway PostgreSQL cluster and database, every addon installed,
# every test (each addon's tests/ and the repo's tests/) run through pytest-odoo.
# Against an existing server: DB_HOST/DB_PORT/DB_USER/DB_PASSWORD (a throwaway
# database is still created there and dropped afterwards).
# ADDONS=a,b restricts the installed and tested addons; PYTEST_ARGS adds options.
source "$(dirname "$0")/common.sh"
check_odoo
WORK=$(mktemp -d /tmp/helpdesk-test.XXXXXX)
chmod 755 "$WORK"
OWN_CLUSTER=
cleanup() {
    local rc=$?
    if [ -n "${DB_NAME:-}" ] && [ -z "${KEEP_DB:-}" ]; then
        PGPASSWORD="${DB_PASSWORD:-}" dropdb --if-exists -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" "$DB_NAME" 2>/dev/null || true
    fi
    if [ -n "$OWN_CLUSTER" ] && [ -z "${KEEP_DB:-}" ]; then
        "$REPO_DIR/scripts/pgcluster.sh" stop "$WORK/pgdata" || true
    fi
    [ -z "${KEEP_DB:-}" ] && rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT INT TERM
use_server_or_private_cluster "$WORK/pgdata"
DB_NAME=${TEST_DB_NAME:-helpdesk_test_$$}
CONF="$WORK/odoo.conf"
write_odoo_conf "$CONF" "$DB_HOST" "$DB_PORT" "$DB_USER" "${DB_PASSWORD:-}" "$WORK/data"
# every addon of the repository, and OCA's messaging-app connectors that helpdesk_gateway's
# tests drive (WhatsApp, Telegram, Instagram: declared in requirements-test.txt)
ADDONS=${ADDONS:-$(repo_addons),mail_gateway_whatsapp,mail_gateway_telegram,mail_gateway_instagram}
echo "== installing $ADDONS into $DB_NAME"
if ! "${ODOO[@]}" -c "$CONF" -d "$DB_NAME" -i "$ADDONS" --stop-after-init --log-level=warn \
        > "$WORK/install.log" 2>&1; then
    tail -50 "$WORK/install.log"; die "installing the addons failed"
fi
if grep -E " (ERROR|CRITICAL) " "$WORK/install.log"; then
    die "errors while installing the addons (see above)"
fi
TEST_PATHS=()
IFS=, read -ra _addons <<< "$ADDONS"
for addon in "${_addons[@]}"; do
    [ -d "$REPO_DIR/$addon/tests" ] && TEST_PATHS+=("$REPO_DIR/$addon/tests")
done
if [ -z "${SKIP_E2E:-}" ] && [ -d "$REPO_DIR/tests" ]; then
    TEST_PATHS+=("$REPO_DIR/tests")
fi
echo "== running tests: ${TEST_PATHS[*]}"
export HELPDESK_TEST_ADDONS="$ADDONS" HELPDESK_ODOO_CONF="$CONF"
cd "$REPO_DIR"
set +e
"$PYTHON" -m pytest -p no:cacheprovider --odoo-config="$CONF" --odoo-database="$DB_NAME" --odoo-http \
    "${TEST_PATHS[@]}" ${PYTEST_ARGS:-}
rc=$?
set -e
exit $rc
