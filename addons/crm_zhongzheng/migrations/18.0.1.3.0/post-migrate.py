"""18.0.1.3.0: the health's order rhythm takes points from one typical gap
(against the customer's and the company's gaps) and all of them at 2.5;
with it the default At Risk threshold moved from 60 to 70. Companies still
on the former default get the new one (a company that chose other
thresholds keeps them)."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        "UPDATE res_company SET health_at_risk_below = 70"
        " WHERE health_at_risk_below = 60 AND health_watch_below >= 70"
        " AND health_critical_below <= 70"
    )
