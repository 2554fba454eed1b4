#!/usr/bin/env bash
# make bench: benchmarks of the helpdesk against Odoo's CRM (baseline, same
# database) and OCA helpdesk_mgmt 18.0 (separate database, same server), in a
# throwaway PostgreSQL cluster. See BENCHMARKS.md.
#   BENCH_SCALE=small|medium|large   default small (see bench/run.py: SCALES)
#   BENCH_ONLY=intake,create,...     run a subset
#   OCA_ADDONS_DIR=/path             folder holding helpdesk_mgmt (skips the PyPI download)
#   NO_OCA=1                         skip the OCA comparison
#   ADDONS=a,b                       addons of this repo to install (default: all)
#   DB_HOST/DB_PORT/DB_USER/DB_PASSWORD  use an existing server (throwaway databases)
#   KEEP_DB=1                        keep the cluster, databases and work folder
# A failed run keeps the logs of its work folder (installs, Odoo servers, PostgreSQL).
# Exits non-zero only when a benchmark (or the setup) fails, not on slow figures.
source "$(dirname "$0")/common.sh"
check_odoo
SCALE=${BENCH_SCALE:-small}
case "$SCALE" in small|medium|large) ;; *) die "BENCH_SCALE must be small, medium or large";; esac
WORK=$(mktemp -d /tmp/helpdesk-bench.XXXXXX)
chmod 755 "$WORK"
OWN_CLUSTER=
DBS=()
cleanup() {
    local rc=$?
    if [ -z "${KEEP_DB:-}" ]; then
        for db in "${DBS[@]}"; do
            PGPASSWORD="${DB_PASSWORD:-}" dropdb --if-exists -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" "$db" 2>/dev/null || true
        done
        [ -n "$OWN_CLUSTER" ] && { "$REPO_DIR/scripts/pgcluster.sh" stop "$WORK/pgdata" || true; }
        if [ "$rc" -eq 0 ]; then
            rm -rf "$WORK"
        else
            find "$WORK" -mindepth 1 ! -type d ! -name '*.log' -delete 2>/dev/null || true
            find "$WORK" -mindepth 1 -type d -empty -delete 2>/dev/null || true
            echo "the run failed: its logs are kept in $WORK" >&2
        fi
    else
        echo "kept: $WORK (databases ${DBS[*]} on $DB_HOST:$DB_PORT)"
    fi
    exit $rc
}
trap cleanup EXIT INT TERM
T0=$(date +%s)

# bench-only Python dependencies (never needed by the addons or the tests)
"$PYTHON" -c "import matplotlib, requests" 2>/dev/null \
    || "$PYTHON" -m pip install --quiet matplotlib requests \
    || die "cannot install matplotlib/requests for the benchmarks"

# OCA helpdesk_mgmt from PyPI, unpacked outside the repository
OCA_DIR=
if [ -z "${NO_OCA:-}" ]; then
    if [ -n "${OCA_ADDONS_DIR:-}" ]; then
        OCA_DIR=$OCA_ADDONS_DIR
    else
        mkdir -p "$WORK/oca"
        if "$PYTHON" -m pip download --quiet --no-deps "odoo-addon-helpdesk-mgmt==18.0.*" -d "$WORK/oca" >/dev/null 2>&1; then
            for wheel in "$WORK"/oca/*.whl; do
                "$PYTHON" -m zipfile -e "$wheel" "$WORK/oca/unpacked"
            done
            OCA_DIR="$WORK/oca/unpacked/odoo/addons"
        else
            echo "warning: could not download odoo-addon-helpdesk-mgmt from PyPI: no OCA figures" >&2
        fi
    fi
    [ -n "$OCA_DIR" ] && [ ! -f "$OCA_DIR/helpdesk_mgmt/__manifest__.py" ] && die "no helpdesk_mgmt in $OCA_DIR"
fi

use_server_or_private_cluster "$WORK/pgdata"
CONF="$WORK/odoo.conf"
write_odoo_conf "$CONF" "$DB_HOST" "$DB_PORT" "$DB_USER" "${DB_PASSWORD:-}" "$WORK/data"
if [ -n "$OCA_DIR" ]; then
    sed -i "s#^addons_path = .*#&,$OCA_DIR#" "$CONF"
fi
# no outgoing mail or SMS leaves the machine during a benchmark
cat >> "$CONF" <<CONF
smtp_server = 127.0.0.1
smtp_port = 9
max_cron_threads = 0
CONF

OURS_DB=helpdesk_bench_$$
OCA_DB=helpdesk_bench_oca_$$
ADDONS=${ADDONS:-$(repo_addons)}
echo "== installing $ADDONS into $OURS_DB (no demo data)"
DBS+=("$OURS_DB")
"${ODOO[@]}" -c "$CONF" -d "$OURS_DB" -i "$ADDONS" --without-demo=all --stop-after-init --log-level=warn \
    > "$WORK/install-ours.log" 2>&1 || { tail -40 "$WORK/install-ours.log"; die "installing the addons failed"; }
OCA_ARGS=()
if [ -n "$OCA_DIR" ]; then
    echo "== installing OCA helpdesk_mgmt into $OCA_DB (no demo data)"
    DBS+=("$OCA_DB")
    "${ODOO[@]}" -c "$CONF" -d "$OCA_DB" -i helpdesk_mgmt --without-demo=all --stop-after-init --log-level=warn \
        > "$WORK/install-oca.log" 2>&1 || { tail -40 "$WORK/install-oca.log"; die "installing helpdesk_mgmt failed"; }
    OCA_ARGS=(--oca-db "$OCA_DB")
fi
echo "== running the benchmarks at scale $SCALE (details on stderr)"
cd "$REPO_DIR"
ONLY_ARGS=()
[ -n "${BENCH_ONLY:-}" ] && ONLY_ARGS=(--only "$BENCH_ONLY")
set +e
"$PYTHON" -m bench.run --conf "$CONF" --db "$OURS_DB" "${OCA_ARGS[@]}" --scale "$SCALE" \
    --work-dir "$WORK" "${ONLY_ARGS[@]}"
rc=$?
"$PYTHON" -m bench.charts --scale "$SCALE" || rc=1
set -e
echo "== make bench took $(( $(date +%s) - T0 ))s (results: bench/results/latest-$SCALE.json, charts: bench/charts/)"
exit $rc
