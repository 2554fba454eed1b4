#!/usr/bin/env bash
# Private PostgreSQL cluster for `make run` / `make test`.
#   pgcluster.sh start DIR PORT   initialise DIR if needed and start the server
#   pgcluster.sh stop DIR         stop the server (fast mode)
# PostgreSQL refuses to run as root: when invoked as root, the cluster is
# owned by and runs as the unprivileged user $PG_RUN_USER (default: nobody).
# The superuser role is "odoo" (Odoo refuses to connect as "postgres"),
# trust authentication, loopback only.
set -euo pipefail
cmd=${1:?start|stop}
dir=$(realpath -m "${2:?cluster directory}")
port=${3:-5432}
run_user=${PG_RUN_USER:-nobody}

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$run_user" -- "$@"
    else
        "$@"
    fi
}

case "$cmd" in
start)
    if [ ! -f "$dir/PG_VERSION" ]; then
        mkdir -p "$dir"
        [ "$(id -u)" = 0 ] && chown "$run_user" "$dir"
        chmod 700 "$dir"
        as_owner initdb -D "$dir" -U odoo --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
        cat >> "$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 256MB
CONF
    fi
    if as_owner pg_ctl -D "$dir" status >/dev/null 2>&1; then
        exit 0
    fi
    as_owner pg_ctl -D "$dir" -o "-p $port" -l "$dir/server.log" -w -t 60 start >/dev/null
    ;;
stop)
    if [ -f "$dir/PG_VERSION" ] && as_owner pg_ctl -D "$dir" status >/dev/null 2>&1; then
        as_owner pg_ctl -D "$dir" -m fast -w stop >/dev/null
    fi
    ;;
*)
    echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2;;
esac
