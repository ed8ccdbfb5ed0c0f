from datetime import date, datetime, timedelta

from odoo import Command
from odoo.tests import TransactionCase, new_test_user

from ..models.value_writer import FIGURES_TABLE

AS_OF = date(2026, 6, 30)


def table_keys(cr, table):
    """The table's constraints but its primary key, and its indexes, as
    PostgreSQL defines them: what a bulk load (value_sql.bulk_load) drops
    and must make again."""
    cr.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype <> 'p'"
        " UNION ALL SELECT indexname, indexdef FROM pg_indexes"
        " WHERE schemaname = current_schema() AND tablename = %s ORDER BY 1, 2",
        [table, table],
    )
    return cr.fetchall()


def demo_company(env):
    """The demo's Zhongzheng company, where its customers and figures are,
    when the demo is installed; else the current company."""
    demo = env.ref("crm_zhongzheng.res_company_zhongzheng_demo", False)
    return demo or env.company


def make_user(env, login, *groups, company=None, **values):
    """A user of the `groups` (xml ids), working in `company` only if one
    is given."""
    if company:
        values.update(company_ids=[Command.set(company.ids)], company_id=company.id)
    return new_test_user(env, login=login, groups=",".join(groups), **values)


def portal_customer(env, login, company_name, contact_name):
    """A customer company, its contact and the contact's portal user
    (password = login, e-mail login@example.com)."""
    company = env["res.partner"].create({"name": company_name, "is_company": True})
    email = f"{login}@example.com"
    contact = env["res.partner"].create(
        {"name": contact_name, "parent_id": company.id, "email": email}
    )
    new_test_user(
        env,
        login=login,
        groups="base.group_portal",
        partner_id=contact.id,
        name=contact_name,
        email=email,
    )
    return company, contact


class ZhongzhengCase(TransactionCase):
    """Shared fixtures: a CRM user, a CRM manager, a plain internal user, and
    helpers to build a sales history with exact dates and amounts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for attr, groups in (
            ("crm_user", "crm_zhongzheng.group_crm_user"),
            ("crm_manager", "crm_zhongzheng.group_crm_manager"),
            ("plain_user", ""),
            ("service_user", "crm_zhongzheng.group_service_user"),
            ("service_manager", "crm_zhongzheng.group_service_manager"),
        ):
            user = make_user(
                cls.env, f"zz_{attr}", *filter(None, ("base.group_user", groups))
            )
            setattr(cls, attr, user)


class ValueCase(ZhongzhengCase):
    """Engine tests run in a company of their own: ranks are relative to all
    of a company's customers, and the demo's must not shift them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create(
            {"name": "Zhongzheng Test Co.", "currency_id": cls.env.ref("base.USD").id}
        )
        cls.env.user.company_ids |= cls.company
        (
            cls.crm_user | cls.crm_manager | cls.service_user | cls.service_manager
        ).company_ids |= cls.company
        cls.env = cls.env(
            context=dict(cls.env.context, allowed_company_ids=[cls.company.id])
        )
        cls.engine = cls.env["zhongzheng.value.engine"]
        # the loss-making tier (code "lead", 铅层)
        cls.lead = cls.env.ref("crm_zhongzheng.customer_tier_lead")
        # a service product: confirming orders creates no pickings (fast)
        cls.monitor = cls.env["product.product"].create(
            {
                "name": "Patient Monitor",
                "type": "service",
                "list_price": 100.0,
                "standard_price": 60.0,
                "taxes_id": [Command.clear()],
            }
        )

    @classmethod
    def _customer(cls, name, **vals):
        return cls.env["res.partner"].create({"name": name, "is_company": True, **vals})

    @classmethod
    def _order(cls, partner, when, price=100.0, qty=1.0, confirm=True, **vals):
        """A sale order dated `when` (date or datetime) of qty x price."""
        if not isinstance(when, datetime):
            when = datetime.combine(when, datetime.min.time()) + timedelta(hours=10)
        order = partner.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": cls.monitor.id,
                            "product_uom_qty": qty,
                            "price_unit": price,
                            "tax_id": [Command.clear()],
                        }
                    )
                ],
                **vals,
            }
        )
        if confirm:
            order.action_confirm()
        order.date_order = when
        return order

    @classmethod
    def _load_chart(cls):
        """A chart of accounts for the test company: invoices and credit notes."""
        cls.env["account.chart.template"].try_loading(
            "generic_coa", company=cls.company, install_demo=False
        )

    @classmethod
    def _purchase(cls, supplier, product, qty, price):
        """A confirmed purchase order of qty x price, without taxes."""
        order = cls.env["purchase.order"].create(
            {
                "partner_id": supplier.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_qty": qty,
                            "price_unit": price,
                            "taxes_id": [Command.clear()],
                        }
                    )
                ],
            }
        )
        order.button_confirm()
        return order

    @classmethod
    def _repeat_buyers(cls, customers=25, name="Repeat Buyer"):
        """Customers with 2 to 6 orders before AS_OF; every third one buys
        again twice after it (25 customers: 9 of them, 18 orders after)."""
        partners = []
        for i in range(customers):
            partner = cls._customer(f"{name} {i:02d}")
            for k in range(2 + i % 5):
                cls._order(
                    partner, AS_OF - timedelta(days=20 + 45 * k + 3 * i), 100 + i
                )
            if i % 3 == 0:
                cls._order(partner, AS_OF + timedelta(days=10), 150)
                cls._order(partner, AS_OF + timedelta(days=40), 150)
            partners.append(partner)
        return partners

    def _recompute(self, as_of=AS_OF, **kwargs):
        self.engine._recompute(companies=self.company, as_of=as_of, **kwargs)

    def _forget_figures(self):
        """The partners hold no figure for the company any more (their rows
        deleted from the figures' table), as before its first full pass."""
        self.env.flush_all()
        self.env.cr.execute(
            f"DELETE FROM {FIGURES_TABLE} WHERE company_id = %s", [self.company.id]
        )
        self.env.invalidate_all()
