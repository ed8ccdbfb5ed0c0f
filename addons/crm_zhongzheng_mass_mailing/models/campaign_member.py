from odoo import api, fields, models
from odoo.tools import SQL


def control_size(customers, percent):
    """How many of `customers` the control group holds at `percent`: the
    draw and the mailing's warning both count with this."""
    return round(customers * percent / 100.0)


class CampaignMember(models.Model):
    """One customer (commercial partner) of a mailing's target at send time,
    mailed or kept out as the control group. Drawn once, by the send, and
    never written afterwards: the result compares the two groups."""

    _name = "zhongzheng.campaign.member"
    _description = "Campaign Member"
    _order = "mailing_id, is_control, partner_id"

    mailing_id = fields.Many2one(
        "mailing.mailing", required=True, readonly=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    is_control = fields.Boolean(
        string="Control Group",
        readonly=True,
        help="Kept out of the mailing, to compare with the customers mailed.",
    )

    _sql_constraints = [
        (
            "mailing_partner_uniq",
            "UNIQUE(mailing_id, partner_id)",
            "A customer is drawn once per mailing.",
        ),
    ]

    @api.model
    def _draw(self, mailing, customer_ids):
        """Store the mailing's members: the share `mailing.holdout_percent` of
        `customer_ids` (rounded) is the control group, the customers first in
        the order of a hash of the mailing's seed and their id, so the same
        seed draws the same group. One INSERT; returns the members."""
        control = control_size(len(customer_ids), mailing.holdout_percent)
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO zhongzheng_campaign_member
                       (mailing_id, partner_id, company_id, is_control,
                        create_uid, create_date, write_uid, write_date)
                SELECT %(mailing)s, c.id, %(company)s,
                       ROW_NUMBER() OVER (
                           ORDER BY md5(%(seed)s || '-' || c.id::text), c.id
                       ) <= %(control)s,
                       %(uid)s, NOW() AT TIME ZONE 'UTC',
                       %(uid)s, NOW() AT TIME ZONE 'UTC'
                  FROM unnest(%(customers)s::int[]) AS c(id)
                RETURNING id
                """,
                mailing=mailing.id,
                company=mailing.company_id.id,
                seed=str(mailing.holdout_seed),
                control=control,
                uid=self.env.uid,
                customers=list(customer_ids),
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        self.invalidate_model()
        mailing.invalidate_recordset(["campaign_member_ids"])
        return self.browse(ids)
