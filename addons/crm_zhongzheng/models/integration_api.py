"""The integrator API (XML-RPC / JSON-RPC): one entry model, ``zhongzheng.api``.

Why one AbstractModel rather than public methods scattered over the business
models: integrators get one documented surface (``execute_kw(db, uid, key,
"zhongzheng.api", method, args)``) that can stay stable while the models
behind it evolve, every method validates its input with the same helpers and
answers plain data (dicts, lists, numbers, strings) built in one place. The
methods run with the caller's rights (no sudo unless stated in the method),
so record rules and access rights hold exactly as in the web client.

Every call is one transaction: a refused call (UserError, ValidationError,
AccessError) is rolled back by the RPC layer and writes nothing.

The read methods (``customer_profile``, ``ticket_changes``) are
``@api.readonly``: the web client and the bearer-token route
``/zhongzheng/api/1/<method>`` (controllers/api.py) serve them on a read-only
cursor, i.e. on the PostgreSQL replica when there is one; XML-RPC always
answers on the primary.

This file defines the model, its customer lookup and the customer-value
methods; ``integration_api_service.py`` adds the tracking and service-ticket
methods and ``api_validators.py`` holds the input checks both use.
"""

from odoo import api, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import escape_psql

from .api_validators import (
    MAX_HISTORY,
    MAX_KEY,
    MAX_PARTNERS,
    check_group,
    check_int,
    check_str,
    plain,
)

CRM_USER = "crm_zhongzheng.group_crm_user"
CRM_MANAGER = "crm_zhongzheng.group_crm_manager"

# Figures of a profile, per section: (key in the answer, partner field).
FACTS = [
    ("first_sale_date", "first_sale_date"),
    ("last_sale_date", "last_sale_date"),
    ("sale_count_total", "sale_count_total"),
    ("sale_count_window", "sale_count_window"),
    ("revenue_total", "revenue_total"),
    ("revenue_window", "revenue_window"),
    ("average_order_value", "average_order_value"),
    ("purchase_amount_window", "purchase_amount_window"),
    ("purchase_count_window", "purchase_count_window"),
    ("invoiced_window", "invoiced_window"),
    ("receivable_open", "receivable_open"),
    ("receivable_overdue", "receivable_overdue"),
    ("average_days_to_pay", "average_days_to_pay"),
    ("delivery_count_window", "delivery_count_window"),
    ("delivery_on_time_rate", "delivery_on_time_rate"),
]
MANAGER_FACTS = [
    ("margin_total", "margin_total"),
    ("margin_window", "margin_window"),
    ("cost_to_serve", "cost_to_serve"),
]
RFM = [
    ("recency_days", "rfm_recency"),
    ("frequency", "rfm_frequency"),
    ("monetary", "rfm_monetary"),
    ("r_score", "rfm_r_score"),
    ("f_score", "rfm_f_score"),
    ("m_score", "rfm_m_score"),
]
CLV = [
    ("probability_alive", "clv_prob_alive"),
    ("expected_purchases_90d", "clv_expected_purchases"),
]
SCORE = [
    ("total", "value_score"),
    ("current_value", "value_points_current"),
    ("potential", "value_points_potential"),
    ("loyalty", "value_points_loyalty"),
    ("payment", "value_points_payment"),
    ("cost_to_serve", "value_points_cost"),
]


class IntegrationApi(models.AbstractModel):
    """Public methods for warehouse and carrier systems, the web shop and
    BI tools, called over XML-RPC or JSON-RPC on ``zhongzheng.api``."""

    _name = "zhongzheng.api"
    _description = "Zhongzheng Integrator API"

    # ------------------------------------------------------------------
    # lookups
    # ------------------------------------------------------------------
    @api.model
    def _find_partner(self, key, name="customer"):
        """A partner by id (an integer) or by reference, VAT number or
        e-mail (a string, matched exactly, case-insensitive for VAT and
        e-mail). Several matches must belong to one company (commercial
        partner): the match if there is one, else that company."""
        Partner = self.env["res.partner"]
        if isinstance(key, int) and not isinstance(key, bool):
            partner = Partner.browse(key).exists() if key > 0 else Partner
            if not partner:
                raise UserError(self.env._("No customer with id %(id)s.", id=key))
            partner.check_access("read")
            return partner
        key = check_str(self.env, key, name, MAX_KEY, required=True)
        pattern = escape_psql(key)
        compact = escape_psql(key.replace(" ", ""))
        partners = Partner.search(
            [
                "|",
                "|",
                ("ref", "=", key),
                ("vat", "=ilike", compact),
                ("email", "=ilike", pattern),
            ],
            limit=50,
        )
        if not partners:
            raise UserError(
                self.env._(
                    "No customer with reference, VAT number or e-mail %(key)s.",
                    key=repr(key),
                )
            )
        companies = partners.commercial_partner_id
        if len(companies) > 1:
            raise UserError(
                self.env._(
                    "%(key)s matches several customers (%(names)s): use the id.",
                    key=repr(key),
                    names=", ".join(companies[:5].mapped("display_name")),
                )
            )
        return partners if len(partners) == 1 else companies

    # ------------------------------------------------------------------
    # customer value
    # ------------------------------------------------------------------
    @api.model
    @api.readonly
    def customer_profile(self, customer, history_limit=10):
        """The value profile of a customer, in the caller's current company.

        :param customer: the customer's id (int), or its reference, VAT
            number or e-mail (str); a contact resolves to its company.
        :param history_limit: how many of the latest tier and class changes
            to return (int, 0 to 100, default 10).
        :returns: dict with ``id``, ``name``, ``ref``, ``vat``, ``email``,
            ``company`` (the company whose figures these are), ``currency``,
            ``tier`` (``{"code", "name"}`` or False), ``tier_since``,
            ``relationship_class``, ``relationship_since``, ``abc_class``,
            ``facts`` (sales, invoicing, payment and delivery figures of the
            analysis window and all time), ``rfm`` (recency in days,
            frequency, monetary, R/F/M scores 1-5, ``segment``), ``clv``
            (probability alive, expected purchases in 90 days), ``score``
            (``total`` out of 100 and its breakdown in points), ``health``
            (``status``: healthy, watch, at_risk or critical; ``score`` 0-100;
            ``since``; ``reasons``: ``signal``, ``points`` off the score and
            ``reason`` in words, the largest first), ``recommendations``
            (best first: ``product`` ``{"id", "name", "code"}``, ``kind``:
            cross_sell, up_sell, consumable or popular; ``score``, the share
            of customers in % behind it; ``reason`` in words;
            ``expected_date`` for consumables) and ``history`` (latest
            first: ``date``, ``kind`` (tier, class or health), ``from``,
            ``to``, ``origin``, ``reason``). CRM managers also get the margins and
            cost-to-serve in ``facts``, the lifetime value in
            ``clv["value"]`` and the 80% ranges ``clv["purchases_90d_range"]``
            and ``clv["value_range"]`` (``[low, high]``). Dates are ISO
            strings, empty values False.
        :raises AccessError: the caller is not a CRM user.
        :raises UserError: no customer, or several, match.
        :raises ValidationError: wrong argument types or values.
        """
        check_group(
            self.env,
            CRM_USER,
            self.env._("Only CRM users can read customer value profiles."),
        )
        history_limit = check_int(
            self.env, history_limit, "history_limit", 0, MAX_HISTORY
        )
        partner = self._find_partner(customer).commercial_partner_id
        return self._profile(partner, history_limit)

    def _profile(self, partner, history_limit=0):
        manager = self.env.user.has_group(CRM_MANAGER)
        company = self.env.company
        partner = partner.with_company(company)

        def section(pairs):
            return {key: plain(partner[field]) for key, field in pairs}

        facts = section(FACTS + (MANAGER_FACTS if manager else []))
        clv = section(CLV)
        if manager:
            clv["value"] = partner.clv_value
            clv["purchases_90d_range"] = [
                partner.clv_purchases_low,
                partner.clv_purchases_high,
            ]
            clv["value_range"] = [partner.clv_value_low, partner.clv_value_high]
        rfm = section(RFM)
        rfm["segment"] = partner.rfm_segment_id.name or False
        tier = partner.tier_id
        profile = {
            "id": partner.id,
            "name": partner.name,
            "ref": partner.ref or False,
            "vat": partner.vat or False,
            "email": partner.email or False,
            "company": company.name,
            "currency": company.currency_id.name,
            "tier": {"code": tier.code, "name": tier.name} if tier else False,
            "tier_since": plain(partner.tier_since),
            "relationship_class": partner.relationship_class or False,
            "relationship_since": plain(partner.relationship_since),
            "abc_class": partner.abc_class or False,
            "facts": facts,
            "rfm": rfm,
            "clv": clv,
            "score": section(SCORE),
            "health": {
                "status": partner.health_status or False,
                "score": partner.health_score,
                "since": plain(partner.health_since),
                "reasons": [
                    {
                        "signal": line.signal,
                        "points": line.points,
                        "reason": line.reason,
                    }
                    for line in partner.health_signal_ids
                ],
            },
        }
        profile["recommendations"] = [
            {
                "product": {
                    "id": line.product_id.id,
                    "name": line.product_id.display_name,
                    "code": line.product_id.default_code or False,
                },
                "kind": line.kind,
                "score": line.score,
                "reason": line.reason,
                "expected_date": plain(line.expected_date),
            }
            for line in partner.recommendation_ids
        ]
        if history_limit:
            history = self.env["zhongzheng.relationship.history"].search(
                [("partner_id", "=", partner.id), ("company_id", "=", company.id)],
                limit=history_limit,
            )
            profile["history"] = [
                {
                    "date": plain(line.date),
                    "kind": line.kind,
                    "from": {
                        "tier": line.tier_from_id.code,
                        "class": line.class_from,
                        "health": line.health_from,
                    }[line.kind]
                    or False,
                    "to": {
                        "tier": line.tier_to_id.code,
                        "class": line.class_to,
                        "health": line.health_to,
                    }[line.kind]
                    or False,
                    "origin": line.origin,
                    "reason": line.reason or False,
                }
                for line in history
            ]
        return profile

    @api.model
    def recompute_scores(self, customers):
        """Recompute the figures, scores, tiers and classes of some customers
        now, in the caller's current company (CRM managers only).

        :param customers: list of 1 to 100 customers, each an id (int) or a
            reference, VAT number or e-mail (str).
        :returns: list of dicts, one per distinct customer, in the order
            given: ``id``, ``name``, ``score`` (total out of 100), ``tier``
            (code or False), ``relationship_class``, ``abc_class``.
        :raises AccessError: the caller is not a CRM manager.
        :raises UserError: an unknown or ambiguous customer.
        :raises ValidationError: not a list, empty, too long, wrong types.
        """
        check_group(
            self.env,
            CRM_MANAGER,
            self.env._("Only CRM managers can recompute customer value."),
        )
        if not isinstance(customers, list) or not customers:
            raise ValidationError(
                self.env._("customers must be a non-empty list of ids or references.")
            )
        if len(customers) > MAX_PARTNERS:
            raise ValidationError(
                self.env._(
                    "At most %(max)s customers per call, not %(count)s.",
                    max=MAX_PARTNERS,
                    count=len(customers),
                )
            )
        partners = self.env["res.partner"]
        for key in customers:
            partners |= self._find_partner(key).commercial_partner_id
        company = self.env.company
        # The engine writes the read-only figures in set-based SQL; the
        # manager check above is what the web client's "Recompute now" asks.
        self.env["zhongzheng.value.engine"].sudo()._recompute_partners(
            company, partners.ids
        )
        # the ranks moved other customers' figures too
        self.env["res.partner"].invalidate_model()
        result = []
        for partner in partners.with_company(company):
            result.append(
                {
                    "id": partner.id,
                    "name": partner.name,
                    "score": partner.value_score,
                    "tier": partner.tier_id.code or False,
                    "relationship_class": partner.relationship_class or False,
                    "abc_class": partner.abc_class or False,
                }
            )
        return result

    @api.model
    def health_changes(self, since, limit=200):
        """Customers' health status changes since a moment, in the caller's
        current company, oldest first; polled as ticket_changes is (same
        ``since``, ``cursor`` and overlap rules; the moment is when the
        change was recorded).

        :param since: str, ISO 8601 date-time (UTC without an offset), or
            the ``cursor`` of the previous answer.
        :param limit: int, 1 to 500 (default 200).
        :returns: dict ``changes`` (list of ``id`` of the change,
            ``customer`` (``id``, ``name``, ``ref``), ``date`` (the day the
            figures are as of), ``from`` and ``to`` (healthy, watch,
            at_risk, critical or False), ``score`` (the customer's health
            score now), ``changed_at``), ``more``, ``cursor`` and
            ``next_since``, as ticket_changes answers them.
        :raises AccessError: the caller is not a CRM user.
        :raises ValidationError: bad date, cursor or limit.
        """
        check_group(
            self.env,
            CRM_USER,
            self.env._("Only CRM users can follow customer health."),
        )
        company = self.env.company
        lines, page = self._poll(
            self.env["zhongzheng.relationship.history"],
            "create_date",
            since,
            limit,
            [("kind", "=", "health"), ("company_id", "=", company.id)],
        )
        return {
            "changes": [
                {
                    "id": line.id,
                    "customer": {
                        "id": line.partner_id.id,
                        "name": line.partner_id.name,
                        "ref": line.partner_id.ref or False,
                    },
                    "date": plain(line.date),
                    "from": line.health_from or False,
                    "to": line.health_to or False,
                    "score": line.partner_id.with_company(company).health_score,
                    "changed_at": plain(line.create_date),
                }
                for line in lines
            ],
            **page,
        }
