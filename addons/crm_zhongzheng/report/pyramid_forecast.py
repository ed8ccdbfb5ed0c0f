"""A forecast of the customer pyramid: next quarter's and next year's
customers per tier and per relationship class, as a Markov chain over
quarters with the transition rates observed in the tier and class history
(the migration matrix) of the year before, new customers flowing in at
the rate observed, and the revenue that implies at each state's observed
revenue per customer. Beside it, its backtest: the same forecast made as
of a year ago against what happened."""

from collections import defaultdict
from datetime import timedelta

import numpy as np
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..models.relationship_history import CLASSES

OUT = "out"  # out of the pyramid (tiers): a tier change to no tier
NEW = "new"  # no tier or class yet at a quarter's start
STEP_MONTHS = 3
WINDOW = 4  # quarters observed for the rates: the year before


def markov_forecast(counts, inflow, start, steps):
    """The expected customers per state after each of `steps` quarters.

    :param counts: square array, counts[i, j] the customers observed
        moving from state i to j over one quarter (staying: i to i)
    :param inflow: new customers per quarter entering each state
    :param start: customers per state now
    :returns: array (steps + 1, states), row 0 being `start`
    """
    counts = np.asarray(counts, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    # a state nobody was seen leaving or staying in keeps its customers
    rates = np.where(totals > 0, counts / np.where(totals > 0, totals, 1), 0.0)
    rates[totals[:, 0] == 0] = np.eye(len(counts))[totals[:, 0] == 0]
    inflow = np.asarray(inflow, dtype=float)
    path = [np.asarray(start, dtype=float)]
    # n(t) = n(0) P^t + a (I + P + ... + P^(t-1))
    reached = np.zeros_like(rates)
    for step in range(1, steps + 1):
        reached = reached + np.linalg.matrix_power(rates, step - 1)
        path.append(path[0] @ np.linalg.matrix_power(rates, step) + inflow @ reached)
    return np.array(path)


class PyramidForecast(models.Model):
    """The forecast of one state (a tier, out of the pyramid, or a class)
    of a company, as computed on `date` (nightly, or when printed)."""

    _name = "zhongzheng.pyramid.forecast"
    _description = "Customer Pyramid Forecast"
    _order = "company_id, kind, sequence"
    _rec_name = "state"

    company_id = fields.Many2one("res.company", required=True, index=True)
    date = fields.Date(string="As Of", required=True)
    kind = fields.Selection(
        [("tier", "Tier"), ("class", "Relationship Class")], required=True
    )
    sequence = fields.Integer()
    state = fields.Char(required=True, help="Tier id, out, or class code.")
    tier_id = fields.Many2one("zhongzheng.customer.tier")
    relationship_class = fields.Selection(CLASSES)
    customers = fields.Integer(string="Customers Now")
    forecast_quarter = fields.Float(string="Next Quarter")
    forecast_year = fields.Float(string="In a Year")
    revenue_quarter = fields.Float(string="Revenue Next Quarter", digits="Account")
    revenue_year = fields.Float(string="Revenue Next Year", digits="Account")
    backtest_customers = fields.Float(
        string="Forecast a Year Ago",
        help="The customers this forecast, made as of a year ago, expected "
        "now; compare with Customers Now.",
    )
    backtest_revenue = fields.Float(
        string="Revenue Forecast a Year Ago",
        digits="Account",
        help="The year's revenue the forecast made a year ago expected.",
    )
    actual_revenue = fields.Float(
        string="Revenue of the Past Year",
        digits="Account",
        help="What customers in this state at each quarter's start (and the "
        "new ones entering it) bought in that quarter, over the past year.",
    )

    @api.model
    def _observe(self, company, kind, days):
        """What the history says at each day of `days` (ascending, a quarter
        apart): {day index: {state: customers}} at the start of each day,
        {(index, from, to): customers} for each quarter, from NEW for those
        without a state at its start, and {(index, state, is_new): revenue}
        bought in each quarter by its customers in each state at its start
        (is_new: those entering it during the quarter)."""
        History = self.env["zhongzheng.relationship.history"]
        History.check_access("read")
        self.env.flush_all()
        state = (
            SQL("COALESCE(tier_to_id::text, %s)", OUT)
            if kind == "tier"
            else SQL("class_to::text")
        )
        self.env.cr.execute(
            SQL(
                """
                WITH spans AS (
                    SELECT partner_id, %(state)s AS state, date AS valid_from,
                           LEAD(date) OVER (PARTITION BY partner_id
                                            ORDER BY date, id) AS valid_to
                      FROM zhongzheng_relationship_history
                     WHERE company_id = %(company)s AND kind = %(kind)s
                ),
                bounds AS (
                    SELECT ord::int, day,
                           LEAD(day) OVER (ORDER BY ord) AS next_day
                      FROM unnest(%(days)s::date[]) WITH ORDINALITY AS u(day, ord)
                ),
                states AS (
                    SELECT b.ord, s.partner_id, s.state
                      FROM bounds b
                      JOIN spans s ON s.valid_from < b.day
                                  AND (s.valid_to IS NULL OR s.valid_to >= b.day)
                     WHERE s.state IS NOT NULL
                ),
                moves AS (
                    SELECT e.ord - 1 AS ord, e.partner_id,
                           COALESCE(s.state, %(new)s) AS state_from,
                           e.state AS state_to
                      FROM states e
                      LEFT JOIN states s ON s.partner_id = e.partner_id
                                        AND s.ord = e.ord - 1
                     WHERE e.ord > 1
                ),
                revenue AS (
                    SELECT b.ord, p.commercial_partner_id AS partner_id,
                           SUM(so.amount_untaxed
                               / COALESCE(NULLIF(so.currency_rate, 0), 1))
                               AS revenue
                      FROM sale_order so
                      JOIN res_partner p ON p.id = so.partner_id
                      JOIN bounds b ON so.date_order >= b.day
                                   AND so.date_order < b.next_day
                     WHERE so.state = 'sale' AND so.company_id = %(company)s
                     GROUP BY 1, 2
                )
                SELECT 'state', ord, state, NULL, COUNT(*)::float8
                  FROM states GROUP BY ord, state
                UNION ALL
                SELECT 'move', ord, state_from, state_to, COUNT(*)::float8
                  FROM moves GROUP BY ord, state_from, state_to
                UNION ALL
                -- a quarter's revenue by the state at its start, or entered
                SELECT 'revenue', m.ord,
                       CASE WHEN m.state_from = %(new)s THEN m.state_to
                            ELSE m.state_from END,
                       (m.state_from = %(new)s)::text, SUM(r.revenue)
                  FROM moves m
                  JOIN revenue r ON r.ord = m.ord AND r.partner_id = m.partner_id
                 GROUP BY 2, 3, 4
                """,
                state=state,
                company=company.id,
                kind=kind,
                days=list(days),
                new=NEW,
            )
        )
        states, moves, revenue = defaultdict(dict), defaultdict(float), {}
        for row_kind, ord_, first, second, value in self.env.cr.fetchall():
            if row_kind == "state":
                states[ord_ - 1][first] = value
            elif row_kind == "move":
                moves[(ord_ - 1, first, second)] = value
            else:
                revenue[(ord_ - 1, first, second == "true")] = value
        return states, moves, revenue

    @api.model
    def _states(self, company, kind):
        """The states of `kind` in order: the pyramid's tiers (best first)
        then out of it, or the relationship classes."""
        if kind == "class":
            return [code for code, _label in CLASSES]
        tiers = (
            self.env["zhongzheng.customer.tier"]
            .search([])
            .sorted(lambda t: (t.is_lead, t.sequence, t.id))
        )
        return [str(tier.id) for tier in tiers] + [OUT]

    @api.model
    def _forecast(self, company, kind, as_of):
        """{state: figures} of the forecast as of the end of `as_of` (quarters
        of three months from the day after) and its backtest
        (the same made a year before), for the states of `kind`; for CRM
        managers, as the stored forecast."""
        self.check_access("read")
        names = self._states(company, kind)
        index = {name: i for i, name in enumerate(names)}
        # the states at the end of `as_of` (its changes included) are those
        # at the start of the day after
        days = [
            as_of + timedelta(days=1) - relativedelta(months=STEP_MONTHS * k)
            for k in range(2 * WINDOW, -1, -1)
        ]
        states, moves, revenue = self._observe(company, kind, days)

        def fitted(first):
            """Rates, inflow and revenue per customer from the WINDOW
            quarters starting at day index `first`."""
            counts = np.zeros((len(names), len(names)))
            inflow = np.zeros(len(names))
            kept = np.zeros(len(names))
            kept_revenue, new_revenue = np.zeros(len(names)), np.zeros(len(names))
            for (step, source, target), customers in moves.items():
                if not first <= step < first + WINDOW or target not in index:
                    continue
                if source == NEW:
                    inflow[index[target]] += customers / WINDOW
                elif source in index:
                    counts[index[source], index[target]] += customers
            for step in range(first, first + WINDOW):
                for name, customers in states[step].items():
                    if name in index:
                        kept[index[name]] += customers
                for name, i in index.items():
                    kept_revenue[i] += revenue.get((step, name, False), 0.0)
                    new_revenue[i] += revenue.get((step, name, True), 0.0)
            per_customer = np.divide(
                kept_revenue, kept, out=np.zeros(len(names)), where=kept > 0
            )
            per_new = np.divide(
                new_revenue,
                inflow * WINDOW,
                out=np.zeros(len(names)),
                where=inflow > 0,
            )
            return counts, inflow, per_customer, per_new

        def run(first, start_day):
            counts, inflow, per_customer, per_new = fitted(first)
            start = np.array([states[start_day].get(name, 0.0) for name in names])
            path = markov_forecast(counts, inflow, start, WINDOW)
            # each quarter: its customers at the start at their state's
            # revenue per customer, the new ones at a newcomer's
            quarterly = path[:-1] * per_customer + inflow * per_new
            return path, quarterly

        path, quarterly = run(WINDOW, 2 * WINDOW)
        past_path, past_quarterly = run(0, WINDOW)
        result = {}
        for name, i in index.items():
            actual = sum(
                revenue.get((step, name, False), 0.0)
                + revenue.get((step, name, True), 0.0)
                for step in range(WINDOW, 2 * WINDOW)
            )
            result[name] = {
                "customers": int(path[0, i]),
                "forecast_quarter": float(path[1, i]),
                "forecast_year": float(path[WINDOW, i]),
                "revenue_quarter": float(quarterly[0, i]),
                "revenue_year": float(quarterly[:, i].sum()),
                "backtest_customers": float(past_path[WINDOW, i]),
                "backtest_revenue": float(past_quarterly[:, i].sum()),
                "actual_revenue": float(actual),
            }
        return names, result

    @api.model
    def _refresh(self, companies=None, as_of=None):
        """Store the forecasts of `companies` (all by default) as of
        `as_of` (today), replacing their previous ones."""
        companies = companies or self.env["res.company"].search([])
        as_of = as_of or fields.Date.context_today(self)
        self.sudo().search([("company_id", "in", companies.ids)]).unlink()
        values = []
        for company in companies:
            for kind in ("tier", "class"):
                names, figures = self.sudo()._forecast(company, kind, as_of)
                for sequence, name in enumerate(names):
                    values.append(
                        {
                            "company_id": company.id,
                            "date": as_of,
                            "kind": kind,
                            "sequence": sequence,
                            "state": name,
                            "tier_id": int(name)
                            if kind == "tier" and name != OUT
                            else False,
                            "relationship_class": name if kind == "class" else False,
                            **figures[name],
                        }
                    )
        return self.sudo().create(values)
