# Shared helpers for run.sh / test.sh / bench.sh (sourced, not executed).
set -euo pipefail
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
# How every script starts Odoo (like `python3 -m odoo`, and re-executable by the prefork
# server for its gevent process: see scripts/odoo_launcher.py). Python code uses
# scripts/odoo_process.py, which runs the same launcher.
ODOO=("$PYTHON" "$REPO_DIR/scripts/odoo_launcher.py")

die() { echo "error: $*" >&2; exit 1; }

check_odoo() {
    local version
    version=$("$PYTHON" -c "import odoo.release as r; print(r.major_version)" 2>/dev/null) \
        || die "Odoo is not importable by $PYTHON: install Odoo 18.0 from source first (see README.md, Prerequisites)."
    [ "$version" = "18.0" ] || die "Odoo $version found, Odoo 18.0 is required."
}

# Odoo's own addons folders (explicit --addons-path replaces Odoo's default), then every other
# odoo/addons folder on sys.path holding addons installed with pip (OCA's mail_gateway and its
# connectors from requirements-test.txt): see scripts/addons_dirs.py.
odoo_addons_dirs() {
    "$PYTHON" "$REPO_DIR/scripts/addons_dirs.py" "$REPO_DIR"
}

# Addons of this repository, in dependency-friendly order (helpdesk_ticket first).
repo_addons() {
    local list=()
    for manifest in "$REPO_DIR"/*/__manifest__.py; do
        list+=("$(basename "$(dirname "$manifest")")")
    done
    printf '%s\n' "${list[@]}" | sort | paste -sd, -
}

free_port() {
    "$PYTHON" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1]); s.close()"
}

# write_odoo_conf FILE DBHOST DBPORT DBUSER DBPASSWORD DATADIR
write_odoo_conf() {
    cat > "$1" <<CONF
[options]
db_host = $2
db_port = $3
db_user = $4
db_password = ${5:-False}
data_dir = $6
addons_path = $(odoo_addons_dirs),$REPO_DIR
http_interface = 127.0.0.1
list_db = False
without_demo = False
CONF
}

db_exists() {
    PGPASSWORD="${DB_PASSWORD:-}" psql -h "$1" -p "$2" -U "$3" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$4'" 2>/dev/null | grep -q 1
}

# Without DB_HOST: start the private cluster kept under $1 (sets OWN_CLUSTER=1).
# Sets and exports DB_HOST, DB_PORT, DB_USER, DB_PASSWORD either way.
use_server_or_private_cluster() {
    # $1: cluster directory; $2: its port (default: a free one)
    if [ -z "${DB_HOST:-}" ]; then
        DB_HOST=127.0.0.1
        DB_PORT=${2:-$(free_port)}
        DB_USER=odoo
        DB_PASSWORD=
        OWN_CLUSTER=1
        "$REPO_DIR/scripts/pgcluster.sh" start "$1" "$DB_PORT"
    fi
    DB_PORT=${DB_PORT:-5432}
    DB_USER=${DB_USER:-odoo}
    export DB_HOST DB_PORT DB_USER DB_PASSWORD
}

# Odoo builds the right-to-left stylesheets (Persian pages) with rtlcss, an npm package.
# Install it when it is missing and npm is there: globally, or else under $1 (put on the PATH).
ensure_rtlcss() {
    command -v rtlcss >/dev/null 2>&1 && return 0
    if [ -x "$1/node_modules/.bin/rtlcss" ]; then
        export PATH="$1/node_modules/.bin:$PATH"
        return 0
    fi
    if ! command -v npm >/dev/null 2>&1; then
        echo "warning: rtlcss is missing and npm is not installed: Persian pages will be drawn left to right." >&2
        echo "         Install Node.js with npm (Debian: apt-get install npm), then: npm install -g rtlcss" >&2
        return 0
    fi
    echo "Installing rtlcss from the npm registry (right-to-left stylesheets for Persian)..."
    if npm install -g rtlcss >/dev/null 2>&1 && command -v rtlcss >/dev/null 2>&1; then
        return 0
    fi
    if npm install --prefix "$1" rtlcss >/dev/null 2>&1; then
        export PATH="$1/node_modules/.bin:$PATH"
        return 0
    fi
    echo "warning: npm could not install rtlcss: Persian pages will be drawn left to right." >&2
    echo "         Install it yourself with: npm install -g rtlcss" >&2
}
