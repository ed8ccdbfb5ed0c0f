"""The project's own promises: the test command refuses to run without Odoo
or PostgreSQL, quickly and in one line, the Compose file is valid, and the
virtualenv runs Odoo's prefork server whole."""

import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

from harness import running_server

ROOT = Path(__file__).resolve().parent.parent


def run_test_command(**env):
    started = time.monotonic()
    done = subprocess.run(
        [str(ROOT / "bin" / "test")],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done, time.monotonic() - started


def test_without_odoo_it_fails_in_one_line():
    done, seconds = run_test_command(ODOO_PATH="/nonexistent/odoo")
    assert done.returncode != 0
    assert seconds < 10
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Odoo 18 not found at ODOO_PATH=/nonexistent/odoo" in lines[0]
    assert "git clone" in lines[0]


def test_without_postgresql_it_fails_in_one_line():
    env = {k: "" for k in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD")}
    done, seconds = run_test_command(ZZ_PG_BINDIR="/nonexistent/pg", **env)
    assert done.returncode != 0
    assert seconds < 10
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("ERROR: PostgreSQL not found")


def test_docker_compose_file_validates():
    if shutil.which("docker-compose"):
        command = ["docker-compose", "config", "--quiet"]
    else:
        command = ["docker", "compose", "config", "--quiet"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    config = subprocess.run(
        [*command[:-1]], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "postgres:16" in config
    assert "8069:8069" in config or "published: 8069" in config


def test_a_prefork_server_runs_its_bus_process(odoo_db):
    """With --workers (as deployed, and as the benchmarks run it), Odoo
    starts a gevent process for the bus and the web client's websocket. It
    must come up and stay up: a venv whose gevent cannot load its plugins
    had it die at import, restarted several times a second, eating a core."""
    with running_server(odoo_db, "--workers=2") as server:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(
                    f"{server.bus_url}/web/health", timeout=5
                ) as answer:
                    assert answer.status == 200
                    assert json.load(answer)["status"] == "pass"
                break
            except OSError:
                assert time.monotonic() < deadline, (
                    f"no gevent process answered on {server.bus_url}, see "
                    f"{server.log_path}"
                )
                time.sleep(0.5)
        time.sleep(2)  # a dying process would have been restarted by now
        log = Path(server.log_path).read_text()
    assert "Evented Service (longpolling) running" in log
    assert "Traceback" not in log, log[-3000:]
