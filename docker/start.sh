#!/bin/bash
# Container start: on the first start create the database with the addon and
# its demo data, then serve it. Later starts find it installed and just serve.
set -euo pipefail
DB=${ZZ_DB:-zhongzheng}
CONF=/etc/odoo/odoo.conf
state=$(PGPASSWORD=odoo psql -h db -U odoo -d "$DB" -tAc \
  "SELECT state FROM ir_module_module WHERE name = 'crm_zhongzheng'" 2>/dev/null || true)
if [ "$state" != installed ]; then
  echo "creating database '$DB' with crm_zhongzheng and its demo data (a few minutes)"
  odoo -c "$CONF" -d "$DB" -i crm_zhongzheng --stop-after-init
fi
exec odoo -c "$CONF" -d "$DB" --db-filter "^$DB\$" "$@"
