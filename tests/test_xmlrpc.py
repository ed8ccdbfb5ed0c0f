"""End-to-end: the real server on a free port, spoken to with xmlrpc.client."""

import xmlrpc.client

import pytest


def test_version_is_odoo_18(odoo_server):
    version = odoo_server.proxy("common").version()
    assert version["server_version_info"][:2] == [18, 0]


def test_authenticate(odoo_server):
    common = odoo_server.proxy("common")
    uid = common.authenticate(odoo_server.db, "admin", "admin", {})
    assert isinstance(uid, int) and uid > 0
    assert common.authenticate(odoo_server.db, "admin", "wrong password", {}) is False


def test_admin_sees_the_app_over_rpc(odoo_server):
    uid = odoo_server.proxy("common").authenticate(odoo_server.db, "admin", "admin", {})
    models = odoo_server.proxy("object")
    menus = models.execute_kw(
        odoo_server.db,
        uid,
        "admin",
        "ir.ui.menu",
        "search_read",
        [[("parent_id", "=", False), ("name", "=", "Customer Relations")]],
        {"fields": ["name", "child_id"]},
    )
    assert len(menus) == 1 and len(menus[0]["child_id"]) >= 2
    in_group = models.execute_kw(
        odoo_server.db,
        uid,
        "admin",
        "res.users",
        "has_group",
        [[uid], "crm_zhongzheng.group_crm_manager"],
    )
    assert in_group is True


def test_wrong_credentials_are_refused(odoo_server):
    models = odoo_server.proxy("object")
    with pytest.raises(xmlrpc.client.Fault, match="Access Denied"):
        models.execute_kw(odoo_server.db, 2, "bad", "res.partner", "search", [[]])
