#!/usr/bin/env bash
# make run: serve the helpdesk with demo data on http://localhost:8069.
# Without DB_HOST, a private PostgreSQL cluster is kept under .run/.
source "$(dirname "$0")/common.sh"
check_odoo
RUN_DIR="$REPO_DIR/.run"
ensure_rtlcss "$RUN_DIR/npm"
mkdir -p "$RUN_DIR/data"
DB_NAME=${DB_NAME:-helpdesk}
HTTP_PORT=${HTTP_PORT:-8069}
use_server_or_private_cluster "$RUN_DIR/pgdata" "${DB_PORT:-5439}"
[ -n "${OWN_CLUSTER:-}" ] && echo "PostgreSQL cluster: $RUN_DIR/pgdata (port $DB_PORT)"
CONF="$RUN_DIR/odoo.conf"
write_odoo_conf "$CONF" "$DB_HOST" "$DB_PORT" "$DB_USER" "${DB_PASSWORD:-}" "$RUN_DIR/data"
ADDONS=${ADDONS:-$(repo_addons)}
if db_exists "$DB_HOST" "$DB_PORT" "$DB_USER" "$DB_NAME"; then
    echo "Upgrading $ADDONS in database $DB_NAME..."
    "${ODOO[@]}" -c "$CONF" -d "$DB_NAME" -u "$ADDONS" --stop-after-init --log-level=warn
else
    echo "Creating database $DB_NAME with $ADDONS and demo data..."
    "${ODOO[@]}" -c "$CONF" -d "$DB_NAME" -i "$ADDONS" --stop-after-init --log-level=warn
fi
cat <<MSG

Helpdesk is starting on http://localhost:$HTTP_PORT  (database $DB_NAME)
Demo logins (login / password):
  admin / admin             administrator, helpdesk manager
  hd_manager / hd_manager   helpdesk manager
  hd_tech1 / hd_tech1       agent, Technical Support
  hd_billing / hd_billing   agent, Billing
  hd_sales / hd_sales       agent, Sales
  portal / portal           portal customer (Joel Willis)
  hd_thai / hd_thai         agent in Thai, Technical Support and Sales
  hd_persian / hd_persian   agent in Persian, Technical Support and Billing
  portal_thai / portal_thai         portal customer in Thai (ณัฐธยา ศรีสุข)
  portal_persian / portal_persian   portal customer in Persian, right to left (مریم کریمی)
MSG
exec "${ODOO[@]}" -c "$CONF" -d "$DB_NAME" --db-filter="^$DB_NAME\$" --http-port="$HTTP_PORT" --http-interface=0.0.0.0
