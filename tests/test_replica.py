"""End-to-end: reads on a PostgreSQL streaming replica, writes on the primary.

The test makes its own pair of clusters on free loopback ports under a
temporary folder (the shared server is left alone): a primary holding a copy
of the test database, and a replica made from it with ``pg_basebackup -R``,
streaming; then the API users of test_integration_api.py, with their keys.
The real server runs with ``--db_replica_host``/``--db_replica_port``. With
the replica's replay paused (``pg_wal_replay_pause()``) a change on the
primary is not on the replica yet, so each read shows where it ran:

- the bearer-token route ``/zhongzheng/api/1/<method>`` and the web client's
  read-only calls answer from the replica (the old state); XML-RPC and
  buttons run on the primary (the new state);
- right after *Recompute now* the same session's form reload reads the
  primary: the manager sees the new figures, while another session still
  reads the lagging replica.

Without PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup) it
fails, saying so, as bin/test does.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg2
import pytest

from harness import data_dir, free_port, running_server, setting
from harness.users import Caller

ROUTE = "/zhongzheng/api/1/"


def pg_bindir():
    """Where initdb, pg_ctl and pg_basebackup are (bin/lib.sh's pg_bindir)."""
    candidates = [os.environ.get("ZZ_PG_BINDIR")]
    if not candidates[0]:
        pg_ctl = shutil.which("pg_ctl")
        candidates = [str(Path(pg_ctl).parent) if pg_ctl else None]
        candidates += sorted(map(str, Path("/usr/lib/postgresql").glob("*/bin")))
    for folder in filter(None, candidates):
        if all((Path(folder) / tool).exists() for tool in ("initdb", "pg_basebackup")):
            return Path(folder)
    pytest.fail(
        "PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) not found:"
        " install PostgreSQL's server package or set ZZ_PG_BINDIR",
        pytrace=False,
    )


class Pair:
    """A primary and a streaming replica under one temporary folder."""

    def __init__(self, folder, bindir):
        self.folder, self.bin = Path(folder), bindir
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        self.primary_port, self.replica_port = free_port(), free_port()

    def run(self, *command, pg_user=True):
        done = subprocess.run(
            [*(self.as_pg if pg_user else []), *map(str, command)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"{command[0]}: {done.stdout}{done.stderr}"

    def start(self, name, port):
        self.run(
            self.bin / "pg_ctl",
            "-D",
            self.folder / name,
            "-l",
            self.folder / f"{name}.log",
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {port} -k {self.folder} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c wal_level=replica -c max_wal_senders=4",
            "start",
        )

    def stop(self, name):
        subprocess.run(
            [
                *self.as_pg,
                self.bin / "pg_ctl",
                "-D",
                self.folder / name,
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )

    def connect(self, port, db="postgres"):
        conn = psycopg2.connect(host="127.0.0.1", port=port, user="odoo", dbname=db)
        conn.autocommit = True
        return conn

    def sql(self, port, db, statement, params=None):
        with closing(self.connect(port, db)) as conn, conn.cursor() as cr:
            cr.execute(statement, params)
            return cr.fetchall() if cr.description else None

    def replica(self, statement, params=None, db="postgres"):
        return self.sql(self.replica_port, db, statement, params)

    def primary(self, statement, params=None, db="postgres"):
        return self.sql(self.primary_port, db, statement, params)


def client_env(port):
    """The environment of PostgreSQL's client tools for one of our clusters."""
    return dict(os.environ, PGHOST="127.0.0.1", PGPORT=str(port), PGUSER="odoo")


@contextmanager
def primary_and_replica(source_db, db):
    """The pair: the primary holding `db`, a copy of `source_db` (filestore
    included), the replica streaming it."""
    bindir = pg_bindir()
    folder = tempfile.mkdtemp(prefix="zz-replica-")
    pair = Pair(folder, bindir)
    if pair.as_pg:
        shutil.chown(folder, "postgres")
    try:
        pair.run(bindir / "initdb", "-D", pair.folder / "primary", "-U", "odoo",
                 "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
        pair.start("primary", pair.primary_port)
        target = client_env(pair.primary_port)
        subprocess.run([bindir / "createdb", db], env=target, check=True)
        shared = dict(
            os.environ,
            PGHOST=setting("PGHOST"),
            PGPORT=setting("PGPORT"),
            PGUSER=setting("PGUSER"),
            PGPASSWORD=setting("PGPASSWORD"),
        )
        # the dump streams into the restore
        dump = subprocess.Popen(
            [bindir / "pg_dump", "-Fc", "-Z0", source_db],
            env=shared,
            stdout=subprocess.PIPE,
        )
        restore = subprocess.run(
            [bindir / "pg_restore", "--no-owner", "-d", db],
            env=target,
            stdin=dump.stdout,
            timeout=300,
            check=False,
        )
        dump.stdout.close()
        assert dump.wait(timeout=60) == 0 and restore.returncode == 0, "dump/restore"
        store = data_dir() / "filestore"
        shutil.rmtree(store / db, ignore_errors=True)
        if (store / source_db).is_dir():
            shutil.copytree(store / source_db, store / db)
        pair.run(bindir / "pg_basebackup", "-h", "127.0.0.1", "-p",
                 pair.primary_port, "-U", "odoo", "-D", pair.folder / "replica",
                 "-R", "-X", "stream", "-c", "fast")  # fmt: skip
        pair.start("replica", pair.replica_port)
        assert pair.replica("SELECT pg_is_in_recovery()") == [(True,)]
        yield pair
    finally:
        pair.stop("replica")
        pair.stop("primary")
        shutil.rmtree(data_dir() / "filestore" / db, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


# the users of test_integration_api.py: (login, groups)
USERS = {
    "integrator": ("integrator", ["base.group_user", "stock.group_stock_user",
                                  "crm_zhongzheng.group_crm_user",
                                  "crm_zhongzheng.group_service_user"]),
    "manager": ("bi_manager", ["base.group_user", "crm_zhongzheng.group_crm_manager",
                               "crm_zhongzheng.group_service_manager"]),
    "plain": ("plain_employee", ["base.group_user"]),
}  # fmt: skip


def make_users(server, pair):
    """The users, made by the admin over XML-RPC on the primary, each with an
    API key stored as res.users.apikeys._generate stores it (that method
    is not callable over RPC: a key is made by its user in the web client)."""
    from odoo.addons.base.models.res_users import (
        API_KEY_SIZE,
        INDEX_SIZE,
        KEY_CRYPT_CONTEXT,
    )

    rpc = server.proxy("object")

    def admin(model, method, *args, **kwargs):
        return rpc.execute_kw(server.db, 2, "admin", model, method, list(args), kwargs)

    users = {}
    for name, (login, groups) in USERS.items():
        group_ids = []
        for xmlid in groups:
            module, _dot, ref = xmlid.partition(".")
            [data] = admin("ir.model.data", "search_read",
                           [("module", "=", module), ("name", "=", ref)],
                           fields=["res_id"])  # fmt: skip
            group_ids.append(data["res_id"])
        password = login + "-Pass-2026!"
        uid = admin(
            "res.users", "create",
            {"name": login.title(), "login": login, "password": password,
             "groups_id": [(6, 0, group_ids)]},
            context={"no_reset_password": True},
        )  # fmt: skip
        key = os.urandom(API_KEY_SIZE).hex()
        pair.primary(
            "INSERT INTO res_users_apikeys (name, user_id, scope, key, index)"
            " VALUES ('tests', %s, NULL, %s, %s)",
            [uid, KEY_CRYPT_CONTEXT.hash(key), key[:INDEX_SIZE]],
            db=server.db,
        )
        users[name] = {"login": login, "uid": uid, "key": key, "password": password}
    return users


class Setup(Caller):
    """The pair, the server on it, and its callers: XML-RPC (`execute`, on
    the primary) and the read route."""

    def __init__(self, pair, users, server):
        super().__init__(server, users)
        self.pair = pair

    def route(self, method, arguments, key=None, raw=None):
        """(HTTP status, JSON answer) of the read route."""
        request = urllib.request.Request(
            self.server.url + ROUTE + method,
            data=raw if raw is not None else json.dumps(arguments).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        if key is not None:
            request.add_header("Authorization", f"Bearer {key}")
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def read(self, method, **arguments):
        status, answer = self.route(method, arguments, self.users["integrator"]["key"])
        assert status == 200, answer
        return answer["result"]

    def paused(self):
        """The replica stops replaying the primary's changes until resumed."""
        self.pair.replica("SELECT pg_wal_replay_pause()")
        # what was already replayed stays: nothing after this point
        return self

    def resume(self):
        self.pair.replica("SELECT pg_wal_replay_resume()")
        lsn = self.pair.primary("SELECT pg_current_wal_lsn()")[0][0]
        deadline = time.monotonic() + 30
        while self.pair.replica("SELECT pg_last_wal_replay_lsn() < %s::pg_lsn", [lsn])[
            0
        ][0]:
            assert time.monotonic() < deadline, "the replica did not catch up"
            time.sleep(0.1)


class WebSession:
    """A browser's session: JSON-RPC to the web client's routes."""

    def __init__(self, server, login, password):
        self.url = server.url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        self.call(
            "/web/session/authenticate",
            {"db": server.db, "login": login, "password": password},
        )

    def call(self, path, params):
        body = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with self.opener.open(request, timeout=60) as answer:
            reply = json.loads(answer.read())
        assert "error" not in reply, reply["error"]
        return reply["result"]

    def call_kw(self, model, method, *args, **kwargs):
        return self.call(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def button(self, model, method, ids):
        return self.call(
            f"/web/dataset/call_button/{model}/{method}",
            {"model": model, "method": method, "args": [ids], "kwargs": {}},
        )

    def figures(self, partner_id):
        [record] = self.call_kw(
            "res.partner",
            "web_read",
            [partner_id],
            specification={"sale_count_total": {}, "revenue_total": {}},
        )
        return record["sale_count_total"], record["revenue_total"]


@pytest.fixture(scope="module")
def setup(odoo_db):
    db = f"{odoo_db}_replica"
    with (
        primary_and_replica(odoo_db, db) as pair,
        running_server(
            db,
            "--workers=0",
            f"--db_port={pair.primary_port}",
            "--db_replica_host=127.0.0.1",
            f"--db_replica_port={pair.replica_port}",
        ) as server,
    ):
        setup = Setup(pair, make_users(server, pair), server)
        setup.resume()  # the replica has the users too
        yield setup


def customer_id(setup, ref="C-0001"):
    rows = setup.pair.primary(
        "SELECT id FROM res_partner WHERE ref = %s AND parent_id IS NULL",
        [ref],
        db=setup.db,
    )
    return rows[0][0]


def test_read_route_and_web_reads_run_on_the_replica(setup):
    partner = customer_id(setup)
    before = setup.read("customer_profile", customer=partner)
    assert before["id"] == partner and before["facts"]["sale_count_total"] > 0
    web = WebSession(setup.server, "bi_manager", setup.users["manager"]["password"])
    setup.paused()
    try:
        # a change on the primary the replica has not replayed
        setup.pair.primary(
            "UPDATE res_partner SET email = 'moved@example.com' WHERE id = %s",
            [partner],
            db=setup.db,
        )
        assert (
            setup.read("customer_profile", customer=partner)["email"] == before["email"]
        ), "the read route answers from the replica"
        [seen] = web.call_kw(
            "res.partner",
            "web_search_read",
            domain=[("id", "=", partner)],
            specification={"email": {}},
        )["records"]
        assert seen["email"] == before["email"], "web_search_read reads the replica"
        over_xmlrpc = setup.execute(
            "integrator", "zhongzheng.api", "customer_profile", partner
        )
        assert over_xmlrpc["email"] == "moved@example.com", "XML-RPC reads the primary"
        # a write (XML-RPC) goes to the primary: the replica is read-only
        ticket = setup.execute(
            "integrator",
            "zhongzheng.api",
            "create_ticket",
            {"subject": "Written during the lag", "customer": partner},
        )
        since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 600))
        polled = setup.execute(
            "integrator", "zhongzheng.api", "ticket_changes", since, 500
        )
        assert ticket["number"] in [c["number"] for c in polled["changes"]]
        on_replica = setup.read("ticket_changes", since=since, limit=500)
        assert ticket["number"] not in [c["number"] for c in on_replica["changes"]]
    finally:
        setup.resume()
    assert setup.read("customer_profile", customer=partner)["email"] == (
        "moved@example.com"
    )
    on_replica = setup.read("ticket_changes", since=since, limit=500)
    assert ticket["number"] in [c["number"] for c in on_replica["changes"]]
    odoo_on_replica = setup.pair.replica(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
        " AND application_name LIKE 'odoo-%%'",
        [setup.db],
    )[0][0]
    assert odoo_on_replica > 0, "the server keeps connections to the replica"


def test_recompute_now_shows_the_new_figures_despite_the_lag(setup):
    """A manager confirms an order, clicks *Recompute now* and the form
    reloads with the new figures although the replica lags; another
    session, without the click, still reads the replica's old ones."""
    partner = customer_id(setup, "C-0003")
    manager = WebSession(setup.server, "bi_manager", setup.users["manager"]["password"])
    other = WebSession(
        setup.server, "integrator", setup.users["integrator"]["password"]
    )
    count, revenue = manager.figures(partner)
    product = setup.pair.primary(
        "SELECT pp.id FROM product_product pp JOIN product_template pt"
        " ON pt.id = pp.product_tmpl_id WHERE pp.active AND pt.sale_ok"
        " AND pt.type = 'service' ORDER BY pp.id LIMIT 1",
        db=setup.db,
    )[0][0]
    setup.paused()
    try:
        order = setup.server.proxy("object").execute_kw(
            setup.db,
            2,
            "admin",
            "sale.order",
            "create",
            [
                {
                    "partner_id": partner,
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": product,
                                "product_uom_qty": 1,
                                "price_unit": 1000.0,
                                "tax_id": [(5, 0, 0)],
                            },
                        )
                    ],
                }
            ],
        )
        setup.server.proxy("object").execute_kw(
            setup.db, 2, "admin", "sale.order", "action_confirm", [[order]]
        )
        answer = manager.button("res.partner", "action_recompute_value", [partner])
        assert answer["tag"] == "display_notification"
        new_count, new_revenue = manager.figures(partner)
        assert new_count == count + 1, "read-your-writes: the reload reads the primary"
        assert new_revenue > revenue
        assert other.figures(partner) == (count, revenue), "the replica lags"
    finally:
        setup.resume()
    assert other.figures(partner)[0] == count + 1


def test_read_route_refusals_are_json(setup):
    integrator = setup.users["integrator"]["key"]
    cases = [
        ("customer_profile", {"customer": "C-0001"}, None, None, 401, "invalid_token"),
        (
            "customer_profile",
            {"customer": "C-0001"},
            "not-a-key",
            None,
            401,
            "invalid_token",
        ),
        (
            "recompute_scores",
            {"customers": ["C-0001"]},
            integrator,
            None,
            404,
            "unknown_method",
        ),
        ("customer_profile", None, integrator, b"{not json", 400, "bad_input"),
        (
            "customer_profile",
            {"customer": "C-0001", "teleported": 1},
            integrator,
            None,
            400,
            "bad_input",
        ),
        ("customer_profile", {}, integrator, None, 400, "bad_input"),
        (
            "customer_profile",
            {"customer": "C-0001", "history_limit": 1000},
            integrator,
            None,
            400,
            "bad_input",
        ),
        (
            "customer_profile",
            {"customer": "no such customer"},
            integrator,
            None,
            400,
            "bad_input",
        ),
        (
            "customer_profile",
            {"customer": "C-0001"},
            setup.users["plain"]["key"],
            None,
            403,
            "access_denied",
        ),
        (
            "ticket_changes",
            {"since": "2026-01-01T00:00:00"},
            setup.users["plain"]["key"],
            None,
            403,
            "access_denied",
        ),
        ("ticket_changes", {"since": "yesterday"}, integrator, None, 400, "bad_input"),
    ]
    for method, arguments, key, raw, status, code in cases:
        got_status, answer = setup.route(method, arguments, key, raw)
        assert (got_status, answer["error"]["code"]) == (status, code), (
            method,
            arguments,
            answer,
        )
        assert answer["error"]["message"]
    # the manager sees margins over the route as over XML-RPC; the
    # integrator (CRM user) does not
    manager = setup.route(
        "customer_profile", {"customer": "C-0001"}, setup.users["manager"]["key"]
    )[1]["result"]
    assert "margin_total" in manager["facts"]
    assert (
        "margin_total" not in setup.read("customer_profile", customer="C-0001")["facts"]
    )
