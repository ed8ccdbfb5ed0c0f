from odoo.tests import TransactionCase, new_test_user


class ZhongzhengCase(TransactionCase):
    """Shared fixtures: a CRM user, a CRM manager and a plain internal user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.crm_user = new_test_user(
            cls.env,
            login="zz_crm_user",
            groups="base.group_user,crm_zhongzheng.group_crm_user",
        )
        cls.crm_manager = new_test_user(
            cls.env,
            login="zz_crm_manager",
            groups="base.group_user,crm_zhongzheng.group_crm_manager",
        )
        cls.plain_user = new_test_user(
            cls.env, login="zz_plain_user", groups="base.group_user"
        )
