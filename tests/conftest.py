"""Helpers for the end-to-end tests: they drive the real odoo-bin and
PostgreSQL that bin/test set up (it exports ODOO_PATH, PG* and ZZ_*)."""

import os
import socket
import subprocess
import sys
import time
import xmlrpc.client
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg2
import pytest

ADDON = "crm_zhongzheng"


def _env(name):
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run the tests through bin/test", returncode=2)
    return value


def odoo_command(db, *args, command=None):
    """odoo-bin [command] with bin/test's addons path, data dir and server."""
    return [
        sys.executable,
        str(Path(_env("ODOO_PATH")) / "odoo-bin"),
        *([command] if command else []),
        f"--addons-path={_env('ZZ_ADDONS_PATH')}",
        f"--data-dir={_env('ZZ_DATA_DIR')}",
        f"--db_host={_env('PGHOST')}",
        f"--db_port={_env('PGPORT')}",
        f"--db_user={_env('PGUSER')}",
        f"--db_password={os.environ.get('PGPASSWORD', '')}",
        "-d",
        db,
        *args,
    ]


def run_odoo(db, *args, command=None, stdin=None, timeout=900):
    """Run odoo-bin to completion; return (exit code, log text)."""
    done = subprocess.run(
        odoo_command(db, *args, command=command),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    log = done.stdout + done.stderr
    name = f"{db}-{int(time.time() * 1000)}.log"
    (Path(_env("ZZ_LOG_DIR")) / name).write_text(log)
    return done.returncode, log


def error_lines(log):
    return [
        line
        for line in log.splitlines()
        if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback")
    ]


def connect(db="postgres"):
    conn = psycopg2.connect(dbname=db)
    conn.autocommit = True
    return conn


def query(db, sql, params=None):
    with closing(connect(db)) as conn, conn.cursor() as cr:
        cr.execute(sql, params)
        return cr.fetchall()


def copy_db(source, target):
    drop_db(target)
    with closing(connect()) as conn, conn.cursor() as cr:
        cr.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    data = Path(_env("ZZ_DATA_DIR")) / "filestore"
    if (data / source).is_dir():
        subprocess.run(["cp", "-a", str(data / source), str(data / target)], check=True)


def drop_db(name):
    with closing(connect()) as conn, conn.cursor() as cr:
        cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def odoo_db():
    """The database bin/test created: the addon and its demo data installed."""
    return _env("ZZ_TEST_DB")


class OdooServer:
    def __init__(self, db, url, proc):
        self.db, self.url, self.proc = db, url, proc

    def proxy(self, service):
        return xmlrpc.client.ServerProxy(
            f"{self.url}/xmlrpc/2/{service}", allow_none=True
        )


@contextmanager
def running_server(db, *extra_args):
    """The real server on a free port serving only `db`, until the block
    ends; `extra_args` are more odoo-bin options (e.g. --workers=2)."""
    port = free_port()
    log = open(Path(_env("ZZ_LOG_DIR")) / f"server-{port}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        odoo_command(
            db,
            "--http-interface=127.0.0.1",
            f"--http-port={port}",
            f"--db-filter=^{db}$",
            "--max-cron-threads=0",
            *(extra_args or ("--workers=0",)),
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common").version()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"the Odoo server did not come up on {url}, see {log.name}")
            time.sleep(0.5)
    try:
        yield OdooServer(db, url, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def odoo_server(odoo_db):
    """The real server on a free port, serving the test database only."""
    with running_server(odoo_db) as server:
        yield server


def pytest_terminal_summary(terminalreporter):
    """Leave the counts for bin/test's closing line."""
    stats = terminalreporter.stats
    passed = len(stats.get("passed", []))
    failed = len(stats.get("failed", [])) + len(stats.get("error", []))
    log_dir = os.environ.get("ZZ_LOG_DIR")
    if log_dir:
        (Path(log_dir) / "pytest-counts.txt").write_text(f"{passed} {failed}\n")
