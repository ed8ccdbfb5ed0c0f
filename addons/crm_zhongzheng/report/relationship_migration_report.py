from odoo import fields, models
from odoo.tools import SQL

from ..models.health_states import HEALTH_STATES
from ..models.relationship_history import CHANGE_COLUMNS, CLASSES

# best first: a move towards the start is "up"
HEALTH_ORDER = [state for state, _label in HEALTH_STATES]


class RelationshipMigrationReport(models.Model):
    """Tier and class migration: every move of a customer from one tier or
    class to another, by month-end; its pivot of from x to is the migration
    matrix."""

    _name = "zhongzheng.relationship.migration.report"
    _description = "Tier and Class Migration Analysis"
    _auto = False
    _order = "date desc"
    _rec_name = "partner_id"
    _depends = {
        # a change's columns but its reason and figures
        "zhongzheng.relationship.history": [
            "date",
            "company_id",
            *CHANGE_COLUMNS[: CHANGE_COLUMNS.index("reason")],
            "health_from",
            "health_to",
        ],
        "zhongzheng.customer.tier": ["sequence"],
        "res.partner": ["user_id"],
    }

    date = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    # the customer's salesperson: salespeople limited to their own documents
    # see their customers' moves only (report_rules.xml)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    kind = fields.Selection(
        [("tier", "Tier"), ("class", "Relationship Class"), ("health", "Health")],
        readonly=True,
    )
    tier_from_id = fields.Many2one(
        "zhongzheng.customer.tier", string="From Tier", readonly=True
    )
    tier_to_id = fields.Many2one(
        "zhongzheng.customer.tier", string="To Tier", readonly=True
    )
    class_from = fields.Selection(CLASSES, string="From Class", readonly=True)
    class_to = fields.Selection(CLASSES, string="To Class", readonly=True)
    health_from = fields.Selection(HEALTH_STATES, string="From Health", readonly=True)
    health_to = fields.Selection(HEALTH_STATES, string="To Health", readonly=True)
    direction = fields.Selection(
        [("new", "New"), ("up", "Up"), ("down", "Down"), ("out", "Out")],
        readonly=True,
        help="For tiers: into the pyramid, up towards platinum, down, or out.",
    )
    origin = fields.Selection(
        [("auto", "Automatic"), ("manual", "Manual")], readonly=True
    )
    move_count = fields.Integer(string="Moves", readonly=True)

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT h.id, h.date, h.company_id, h.partner_id, h.kind,
                   h.tier_from_id, h.tier_to_id, h.class_from, h.class_to,
                   h.origin, p.user_id, h.health_from, h.health_to,
                   CASE WHEN h.kind = 'health' THEN
                            CASE WHEN h.health_from IS NULL THEN 'new'
                                 WHEN array_position(%s, h.health_to)
                                    < array_position(%s, h.health_from)
                                 THEN 'up' ELSE 'down' END
                        WHEN h.kind <> 'tier' THEN NULL
                        WHEN h.tier_from_id IS NULL THEN 'new'
                        WHEN h.tier_to_id IS NULL THEN 'out'
                        WHEN tt.sequence < tf.sequence
                          OR (tt.sequence = tf.sequence AND tt.id < tf.id)
                        THEN 'up'
                        ELSE 'down' END AS direction,
                   1 AS move_count
              FROM zhongzheng_relationship_history h
              JOIN res_partner p ON p.id = h.partner_id
              LEFT JOIN zhongzheng_customer_tier tf ON tf.id = h.tier_from_id
              LEFT JOIN zhongzheng_customer_tier tt ON tt.id = h.tier_to_id
            """,
            HEALTH_ORDER,
            HEALTH_ORDER,
        )
