"""The addon installs without and with demo data, upgrades and uninstalls
cleanly, each time in a real database through odoo-bin."""

import ast

import pytest

from harness import ADDON, ROOT, copy_db, drop_db, error_lines, query, run_odoo

# the version the manifest declares is the one a database must end up with
VERSION = ast.literal_eval(
    (ROOT / "addons" / ADDON / "__manifest__.py").read_text(encoding="utf-8")
)["version"]


def module_state(db):
    rows = query(
        db, "SELECT state, latest_version FROM ir_module_module WHERE name=%s", [ADDON]
    )
    return rows[0] if rows else (None, None)


def own_xmlids(db):
    return query(db, "SELECT count(*) FROM ir_model_data WHERE module=%s", [ADDON])[0][
        0
    ]


def test_install_without_demo(odoo_db):
    db = f"{odoo_db}_nodemo"
    drop_db(db)
    try:
        code, log = run_odoo(db, "-i", ADDON, "--without-demo=all", "--stop-after-init")
        assert code == 0, log[-3000:]
        assert error_lines(log) == []
        assert module_state(db) == ("installed", VERSION)
        demo = query(
            db,
            "SELECT count(*) FROM ir_model_data WHERE module=%s AND name LIKE %s",
            [ADDON, "%\\_demo"],
        )[0][0]
        assert demo == 0, "demo records loaded although demo data was off"
        # the application's root menu exists
        assert (
            query(
                db,
                "SELECT count(*) FROM ir_model_data WHERE module=%s AND name=%s",
                [ADDON, "crm_zhongzheng_menu_root"],
            )[0][0]
            == 1
        )
    finally:
        drop_db(db)


@pytest.fixture(scope="module")
def db_copy(odoo_db):
    db = f"{odoo_db}_lifecycle"
    copy_db(odoo_db, db)
    yield db
    drop_db(db)


def test_demo_install_is_installed(odoo_db):
    assert module_state(odoo_db) == ("installed", VERSION)


def test_upgrade(db_copy):
    before = own_xmlids(db_copy)
    code, log = run_odoo(db_copy, "-u", ADDON, "--stop-after-init")
    assert code == 0, log[-3000:]
    assert error_lines(log) == []
    assert module_state(db_copy) == ("installed", VERSION)
    assert own_xmlids(db_copy) == before, "an upgrade neither adds nor loses records"


def test_uninstall(db_copy):
    script = (
        f"env['ir.module.module'].search([('name', '=', '{ADDON}')])"
        ".button_immediate_uninstall()\nenv.cr.commit()\n"
    )
    code, log = run_odoo(db_copy, "--no-http", command="shell", stdin=script)
    assert code == 0, log[-3000:]
    assert error_lines(log) == []
    assert module_state(db_copy)[0] == "uninstalled"
    assert own_xmlids(db_copy) == 0
    assert (
        query(
            db_copy,
            "SELECT count(*) FROM ir_ui_menu WHERE name->>'en_US' = %s",
            ["Customer Relations"],
        )[0][0]
        == 0
    )
    assert (
        query(
            db_copy,
            "SELECT count(*) FROM ir_model WHERE model LIKE %s",
            ["zhongzheng.%"],
        )[0][0]
        == 0
    )
    # nor the table of the customer value figures, which no model owns
    assert query(
        db_copy, "SELECT to_regclass('zhongzheng_partner_figures') IS NULL"
    ) == [(True,)]
    # the demo's portal login (known password) does not outlive the addon
    assert query(db_copy, "SELECT active FROM res_users WHERE login = 'ruijin'") == [
        (False,)
    ]
