# shellcheck shell=bash
# Shared by bin/run and bin/test: where things are, and how to set them up.
# Every step is idempotent, so a fresh clone and a second run take the same path.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Odoo 18 source tree; the fixed default is where CI machines keep it.
ODOO_PATH=${ODOO_PATH:-/opt/odoo18}
LOCAL=$ROOT/.local
VENV=${ZZ_VENV:-$ROOT/.venv}
PY=$VENV/bin/python
ADDON=crm_zhongzheng
DATA_DIR=$LOCAL/data
LOG_DIR=$LOCAL/log
ZZ_PGPORT=${ZZ_PGPORT:-54329}
PG_STARTED_HERE=0
DEBIAN_PACKAGES=(libpq-dev libldap2-dev libsasl2-dev build-essential
  chromium wkhtmltopdf fonts-noto-cjk poppler-utils docker-compose)

# The addon and its bridges: every addons/crm_zhongzheng_*/ with a manifest
# (each depends on the addon and one Odoo app, auto_install), comma-separated
# as odoo-bin's -i wants them.
addons_list() {
  local d out=$ADDON
  for d in "$ROOT/addons/$ADDON"_*/; do
    if [ -f "$d/__manifest__.py" ]; then out+=",$(basename "$d")"; fi
  done
  echo "$out"
}
ADDONS=$(addons_list)

die() { echo "ERROR: $*" >&2; exit 2; }
info() { echo "==> $*" >&2; }

preflight_odoo() {
  local clone="git clone --depth 1 -b 18.0 https://github.com/odoo/odoo.git $ODOO_PATH"
  [ -f "$ODOO_PATH/odoo-bin" ] && [ -f "$ODOO_PATH/odoo/release.py" ] \
    || die "Odoo 18 not found at ODOO_PATH=$ODOO_PATH: set ODOO_PATH to an Odoo 18.0 source tree, or create one there with: $clone"
  grep -q "version_info = (18, 0" "$ODOO_PATH/odoo/release.py" \
    || die "ODOO_PATH=$ODOO_PATH is not Odoo 18.0: set ODOO_PATH to an Odoo 18.0 source tree, or create one with: $clone"
}

pg_bindir() {
  local d
  # ZZ_PG_BINDIR names the PostgreSQL binaries outright (and lets tests hide them).
  if [ -n "${ZZ_PG_BINDIR:-}" ]; then [ -x "$ZZ_PG_BINDIR/initdb" ] && echo "$ZZ_PG_BINDIR"; return 0; fi
  d=$(dirname "$(command -v pg_ctl 2>/dev/null || true)")
  [ -x "$d/initdb" ] && { echo "$d"; return; }
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return; }; done
  return 0
}

preflight_pg() {
  [ -n "${PGHOST:-}" ] && return 0
  [ -n "$(pg_bindir)" ] || die "PostgreSQL not found: install its server (apt-get install postgresql), or set PGHOST/PGPORT/PGUSER/PGPASSWORD to a server where PGUSER (not 'postgres') may create databases."
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

setup_system() {
  local missing=() p
  for p in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  info "installing Debian packages: ${missing[*]}"
  command -v apt-get >/dev/null || die "missing system packages ${missing[*]} and no apt-get to install them: install them by hand."
  { as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >"$LOCAL/apt.log" 2>&1 || die "could not install ${missing[*]} (see $LOCAL/apt.log): install them as root."
}

python_for_odoo() {
  local c
  for c in "${ZZ_PYTHON:-}" python3.12 python3.11 python3.10 python3; do
    [ -n "$c" ] && command -v "$c" >/dev/null \
      && "$c" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 12))' 2>/dev/null \
      && { echo "$c"; return; }
  done
  die "Odoo 18 needs Python 3.10 to 3.12 with venv: install one, or point ZZ_PYTHON at it."
}

setup_venv() {
  local stamp
  stamp=$(cat "$ODOO_PATH/requirements.txt" "$ROOT/requirements.txt" | sha1sum | cut -c1-40)
  [ -f "$VENV/.zz-stamp" ] && [ "$(cat "$VENV/.zz-stamp")" = "$stamp" ] && return 0
  info "building the virtualenv $VENV (Odoo's requirements + requirements.txt); a few minutes the first time"
  [ -x "$PY" ] || "$(python_for_odoo)" -m venv "$VENV"
  # Odoo 18 pins packages that build from source; cbor2 needs pkg_resources
  # (gone from setuptools 70) and setuptools_scm, hence the old setuptools and
  # its scm plugin, used without build isolation.
  "$PY" -m pip install -q "setuptools<70" "setuptools_scm<8" wheel >"$LOCAL/pip.log" 2>&1 \
    && "$PY" -m pip install -q --no-build-isolation -r "$ODOO_PATH/requirements.txt" -r "$ROOT/requirements.txt" >>"$LOCAL/pip.log" 2>&1 \
    || die "pip install failed, see $LOCAL/pip.log"
  echo "$stamp" >"$VENV/.zz-stamp"
}

LINT_VENV=$LOCAL/lint-venv
setup_lint_venv() {
  local stamp
  stamp=$(sha1sum <"$ROOT/requirements-lint.txt" | cut -c1-40)
  [ -f "$LINT_VENV/.zz-stamp" ] && [ "$(cat "$LINT_VENV/.zz-stamp")" = "$stamp" ] && return 0
  info "building the lint virtualenv $LINT_VENV"
  [ -x "$LINT_VENV/bin/python" ] || "$(python_for_odoo)" -m venv "$LINT_VENV"
  "$LINT_VENV/bin/python" -m pip install -q -r "$ROOT/requirements-lint.txt" >"$LOCAL/pip-lint.log" 2>&1 \
    || die "pip install of the lint tools failed, see $LOCAL/pip-lint.log"
  echo "$stamp" >"$LINT_VENV/.zz-stamp"
}

# A private PostgreSQL cluster under .local/pg, unless PGHOST names a server.
start_pg() {
  if [ -n "${PGHOST:-}" ]; then
    export PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-odoo}
    [ "$PGUSER" != postgres ] || die "Odoo refuses the 'postgres' role: set PGUSER to another role that may create databases."
    return 0
  fi
  local bin pgdir=$LOCAL/pg run=()
  bin=$(pg_bindir)
  mkdir -p "$pgdir"
  if [ "$(id -u)" = 0 ]; then
    # initdb refuses root: the cluster belongs to the postgres system user.
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
    chown postgres "$pgdir"
    run=(runuser -u postgres --)
    "${run[@]}" test -w "$pgdir" || die "the postgres user cannot write $pgdir (a parent folder is closed to it): clone the project elsewhere or set PGHOST."
  fi
  if [ ! -f "$pgdir/data/PG_VERSION" ]; then
    info "creating a private PostgreSQL cluster in $pgdir"
    "${run[@]}" "$bin/initdb" -D "$pgdir/data" -U odoo --auth=trust -E UTF8 --locale=C.UTF-8 >"$pgdir/initdb.log" 2>&1 \
      || die "initdb failed, see $pgdir/initdb.log"
  fi
  export PGHOST=127.0.0.1 PGPORT=$ZZ_PGPORT PGUSER=odoo PGPASSWORD=odoo
  if ! "${run[@]}" "$bin/pg_ctl" -D "$pgdir/data" status >/dev/null 2>&1; then
    "${run[@]}" "$bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 60 \
      -o "-p $ZZ_PGPORT -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 -c max_locks_per_transaction=256" start >/dev/null \
      || die "PostgreSQL did not start on port $ZZ_PGPORT, see $pgdir/server.log (another server on that port? set ZZ_PGPORT)"
    PG_STARTED_HERE=1
  fi
}

stop_pg() {
  [ "$PG_STARTED_HERE" = 1 ] || return 0
  local run=()
  [ "$(id -u)" = 0 ] && run=(runuser -u postgres --)
  "${run[@]}" "$(pg_bindir)/pg_ctl" -D "$LOCAL/pg/data" -m fast stop >/dev/null 2>&1 || true
  PG_STARTED_HERE=0
}


# odoo-bin with this project's addons, data dir and database server.
odoo_bin() {
  "$PY" "$ODOO_PATH/odoo-bin" --addons-path="$ODOO_PATH/addons,$ROOT/addons" \
    --data-dir="$DATA_DIR" --db_host="$PGHOST" --db_port="$PGPORT" \
    --db_user="$PGUSER" --db_password="${PGPASSWORD:-}" "$@"
}

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

setup_all() {
  preflight_odoo
  preflight_pg
  mkdir -p "$LOCAL" "$DATA_DIR" "$LOG_DIR"
  setup_system
  setup_venv
  export ODOO_PATH PYTHONPATH="$ODOO_PATH${PYTHONPATH:+:$PYTHONPATH}"
}
