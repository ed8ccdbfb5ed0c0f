#!/bin/bash
# Container start: on the first start create the database with crm_zhongzheng,
# its bridge addons and their demo data, then serve it. Later starts find them
# installed (a bridge added since is installed) and just serve. Odoo logs to
# Docker's logs at ZZ_LOG_LEVEL (warn: a startup line, then warnings and
# errors only; info for Odoo's full log).
set -euo pipefail
DB=${ZZ_DB:-zhongzheng}
CONF=/etc/odoo/odoo.conf
LOG_LEVEL=${ZZ_LOG_LEVEL:-warn}
# Odoo's own "HTTP service running on ..." line, whatever the level
LOG=(--log-level="$LOG_LEVEL" --log-handler=odoo.service.server:INFO)
ADDONS=$(cd /mnt/extra-addons && ls -d crm_zhongzheng* | paste -sd, -)
missing=$(PGPASSWORD=odoo psql -h db -U odoo -d "$DB" -tAc \
  "SELECT string_agg(m.name, ',' ORDER BY m.name)
     FROM unnest(string_to_array('$ADDONS', ',')) AS m(name)
    WHERE NOT EXISTS (SELECT 1 FROM ir_module_module i
                       WHERE i.name = m.name AND i.state = 'installed')" 2>/dev/null) \
  || missing=$ADDONS
install=$missing
# a new database: China's chart of accounts (l10n_cn, which the addon does not
# depend on) for the demo's Zhongzheng company, and Chinese for its staff
if [ "$missing" = "$ADDONS" ]; then install="l10n_cn,$missing"; fi
if [ -n "$missing" ]; then
  echo "installing $install into database '$DB' with Chinese and the demo data (a few minutes)"
  odoo -c "$CONF" -d "$DB" -i "$install" --stop-after-init --no-http --log-level="$LOG_LEVEL"
  echo "installed: $install"
  # Chinese for the staff, loaded once the database exists (while creating it
  # Odoo would make it every new partner's language, admin's too)
  if [ "$missing" = "$ADDONS" ]; then
    odoo -c "$CONF" -d "$DB" --load-language=zh_CN --stop-after-init --no-http --log-level="$LOG_LEVEL"
  fi
fi
echo "serving database '$DB' on http://localhost:8069 (admin / admin); log level $LOG_LEVEL"
exec odoo -c "$CONF" -d "$DB" --db-filter "^$DB\$" "${LOG[@]}" "$@"
