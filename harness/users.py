"""The users the end-to-end tests log in as: an Odoo shell script that makes
them (and whatever records a test needs) in a copy of the test database, and
an XML-RPC caller that speaks as each of them."""

import json
from contextlib import contextmanager

from . import copy_db, drop_db, run_odoo, running_server

# What every setup script starts with: `make(login, groups, key=False,
# **values)` creates a user and returns what a caller needs to log in (with
# an API key when `key`), `customer(ref)` finds a demo customer company.
PRELUDE = """
import json
from odoo import Command

# with the demo data, everything happens in its Zhongzheng company, where
# the demo's customers, orders and figures are (users land there too)
demo_company = env.ref("crm_zhongzheng.res_company_zhongzheng_demo", False)
if demo_company:
    env = env(context=dict(env.context, allowed_company_ids=demo_company.ids))

def make(login, groups, key=False, **values):
    password = login + "-Pass-2026!"
    user = env["res.users"].with_context(no_reset_password=True).create({
        "name": login.replace("_", " ").title(),
        "login": login,
        "password": password,
        "email": login + "@example.com",
        "groups_id": [Command.set([env.ref(g).id for g in groups])],
        **values,
    })
    made = {"login": login, "uid": user.id, "password": password}
    if key:
        made["key"] = env["res.users.apikeys"].with_user(user).sudo()._generate(
            None, "tests", None
        )
    return made

def customer(ref):
    return env["res.partner"].search([("ref", "=", ref), ("parent_id", "=", False)])
"""


def run_setup(db, script, marker):
    """Run PRELUDE + `script` in `odoo-bin shell` on `db`; the script ends by
    printing `MARKER=<json>` (after committing), which is returned."""
    code, log = run_odoo(db, "--no-http", command="shell", stdin=PRELUDE + script)
    prefix = f"{marker}="
    lines = [line for line in log.splitlines() if line.startswith(prefix)]
    if code != 0 or not lines:
        raise RuntimeError(f"the setup script failed:\n{log[-3000:]}")
    return json.loads(lines[0][len(prefix) :])


@contextmanager
def served_copy(source, db, script, marker, *server_args):
    """A copy `db` of the database `source`, `script` run in it (as
    `run_setup` runs it), then the real server on it (`server_args` as for
    `running_server`): yields (server, what the script printed). The copy is
    dropped afterwards, whatever happened."""
    copy_db(source, db)
    try:
        setup = run_setup(db, script, marker)
        with running_server(db, *server_args) as server:
            yield server, setup
    finally:
        drop_db(db)


class Caller:
    """XML-RPC as each of `users` (what `make` returned, by name): with the
    user's API key when it has one, else its password."""

    def __init__(self, server, users, refs=None):
        self.server, self.users, self.refs = server, users, refs or {}
        self.db = server.db

    def execute(self, user, model, method, *args, **kwargs):
        who = self.users[user]
        return self.server.proxy("object").execute_kw(
            self.db,
            who["uid"],
            who.get("key") or who["password"],
            model,
            method,
            list(args),
            kwargs,
        )
