"""The one harness of the end-to-end tests (tests/) and the benchmarks
(bench/): where Odoo, the addons and PostgreSQL are, odoo-bin with the
project's options, databases made and dropped, the real server on a free
port spoken to over XML-RPC, and Odoo loaded in this process.

Settings come from the environment bin/test and bench/run export, with the
defaults of bin/lib.sh: ODOO_PATH, ZZ_ADDONS_PATH, ZZ_DATA_DIR, ZZ_LOG_DIR,
PGHOST, PGPORT, PGUSER, PGPASSWORD. Import it with the repository root on
the path (bin/test and bench/run set PYTHONPATH)."""

import os
import shutil
import socket
import subprocess
import sys
import time
import xmlrpc.client
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
ADDON = "crm_zhongzheng"


def setting(name):
    """An environment setting, or bin/lib.sh's default for it."""
    odoo_path = os.environ.get("ODOO_PATH") or "/opt/odoo18"
    defaults = {
        "ODOO_PATH": odoo_path,
        "ZZ_ADDONS_PATH": f"{odoo_path}/addons,{ROOT / 'addons'}",
        "ZZ_DATA_DIR": str(ROOT / ".local" / "data"),
        "ZZ_LOG_DIR": str(ROOT / ".local" / "log"),
        "PGHOST": "127.0.0.1",
        "PGPORT": "54329",
        "PGUSER": "odoo",
        "PGPASSWORD": "",
    }
    return os.environ.get(name) or defaults[name]


def data_dir():
    return Path(setting("ZZ_DATA_DIR"))


def log_dir():
    path = Path(setting("ZZ_LOG_DIR"))
    path.mkdir(parents=True, exist_ok=True)
    return path


# ----------------------------------------------------------------------
# odoo-bin
# ----------------------------------------------------------------------
def odoo_options(db):
    """The options every Odoo run of the project gets: addons, data dir,
    database server and database."""
    return [
        f"--addons-path={setting('ZZ_ADDONS_PATH')}",
        f"--data-dir={setting('ZZ_DATA_DIR')}",
        f"--db_host={setting('PGHOST')}",
        f"--db_port={setting('PGPORT')}",
        f"--db_user={setting('PGUSER')}",
        f"--db_password={setting('PGPASSWORD')}",
        "-d",
        db,
    ]


def odoo_command(db, *args, command=None):
    """odoo-bin [command] on `db` with the project's options, then `args`."""
    return [
        sys.executable,
        str(Path(setting("ODOO_PATH")) / "odoo-bin"),
        *([command] if command else []),
        *odoo_options(db),
        *args,
    ]


def run_odoo(db, *args, command=None, stdin=None, timeout=900, log_path=None):
    """Run odoo-bin to completion; return (exit code, log text). The log is
    also written to `log_path` (by default a new file in the log dir)."""
    done = subprocess.run(
        odoo_command(db, *args, command=command),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    log = done.stdout + done.stderr
    if log_path is None:
        log_path = log_dir() / f"{db}-{int(time.time() * 1000)}.log"
    Path(log_path).write_text(log)
    return done.returncode, log


def error_lines(log):
    """The ERROR and CRITICAL lines and tracebacks of an Odoo log."""
    return [
        line
        for line in log.splitlines()
        if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback")
    ]


def load_odoo(db, *args):
    """Odoo in this process on `db` (no HTTP, no cron): (odoo, registry).
    Needs Odoo's source tree on the path (bench/run sets PYTHONPATH).
    Odoo's configuration is parsed once per process (a second parse_config
    fails in Odoo 18: KeyError 'load_language'); a later call for another
    database only opens that database's registry, with the first call's
    options."""
    import odoo
    from odoo.modules.registry import Registry

    if not _odoo_configured:
        odoo.tools.config.parse_config(
            [*odoo_options(db), "--max-cron-threads=0", *args]
        )
        _odoo_configured.append(db)
    return odoo, Registry(db)


_odoo_configured = []  # the database of the first load_odoo, once parsed


def unload_odoo(odoo, registry, db, keep=False):
    """Unless `keep` (a benchmark's --keep, to --reuse its data next
    time): let go of what load_odoo() opened on `db`, and drop it."""
    if keep:
        return
    registry.delete(db)
    odoo.sql_db.close_db(db)
    drop_db(db)


# ----------------------------------------------------------------------
# PostgreSQL
# ----------------------------------------------------------------------
def connect(db="postgres"):
    """An autocommit connection to `db` on the project's server."""
    conn = psycopg2.connect(
        dbname=db,
        host=setting("PGHOST"),
        port=setting("PGPORT"),
        user=setting("PGUSER"),
        password=setting("PGPASSWORD") or None,
    )
    conn.autocommit = True
    return conn


def query(db, sql, params=None):
    """The rows of one statement on `db`."""
    with closing(connect(db)) as conn, conn.cursor() as cr:
        cr.execute(sql, params)
        return cr.fetchall()


def execute(db, sql, params=None):
    """One statement without rows (CREATE DATABASE, VACUUM ...) on `db`."""
    with closing(connect(db)) as conn, conn.cursor() as cr:
        cr.execute(sql, params)


def db_exists(name):
    return bool(query("postgres", "SELECT 1 FROM pg_database WHERE datname=%s", [name]))


def drop_db(name):
    """Drop a database and its filestore, if there."""
    execute("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    shutil.rmtree(data_dir() / "filestore" / name, ignore_errors=True)


def copy_db(source, target):
    """`target` as a fresh copy of `source`, filestore included."""
    drop_db(target)
    execute("postgres", f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    store = data_dir() / "filestore"
    if (store / source).is_dir():
        shutil.copytree(store / source, store / target)


def db_comment(name):
    """The PostgreSQL comment of a database ("" if none, None if no such
    database)."""
    rows = query(
        "postgres",
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
        " WHERE datname = %s",
        [name],
    )
    return (rows[0][0] or "") if rows else None


def set_db_comment(name, text):
    execute("postgres", f'COMMENT ON DATABASE "{name}" IS %s', [text])


# ----------------------------------------------------------------------
# the server
# ----------------------------------------------------------------------
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OdooServer:
    """A running server: its database, URL, process and log."""

    def __init__(self, db, url, proc, log_path, bus_url):
        self.db, self.url, self.proc, self.log_path = db, url, proc, log_path
        # the gevent process's (bus, websocket) URL when --workers > 0
        self.bus_url = bus_url

    def proxy(self, service):
        """An XML-RPC proxy of /xmlrpc/2/<service> (common, object)."""
        return xmlrpc.client.ServerProxy(
            f"{self.url}/xmlrpc/2/{service}", allow_none=True
        )


@contextmanager
def running_server(db, *extra_args, log_path=None, timeout=120):
    """The real server on a free port serving only `db`, no cron, until the
    block ends; `extra_args` are more odoo-bin options (default
    --workers=0). With --workers, the gevent process (the bus) gets a free
    port of its own too (`bus_url`), so that servers never share 8072.
    Raises RuntimeError when it does not come up."""
    port, bus_port = free_port(), free_port()
    log_path = Path(log_path or log_dir() / f"server-{port}.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            odoo_command(
                db,
                "--http-interface=127.0.0.1",
                f"--http-port={port}",
                f"--db-filter=^{db}$",
                "--max-cron-threads=0",
                f"--gevent-port={bus_port}",
                *(extra_args or ("--workers=0",)),
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = OdooServer(
            db,
            f"http://127.0.0.1:{port}",
            proc,
            log_path,
            bus_url=f"http://127.0.0.1:{bus_port}",
        )
        try:
            _wait_until_up(server, timeout)
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_until_up(server, timeout):
    deadline = time.monotonic() + timeout
    while True:
        try:
            server.proxy("common").version()
            return
        except OSError:
            if server.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the Odoo server did not come up on {server.url},"
                    f" see {server.log_path}"
                ) from None
            time.sleep(0.5)
