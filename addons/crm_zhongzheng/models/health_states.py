"""The customer health states (客户健康度), shared by the health step, the
alerts, the history and the analyses (no model here: importing it loads
none)."""

HEALTH_STATES = [
    ("healthy", "Healthy"),
    ("watch", "Watch"),
    ("at_risk", "At Risk"),
    ("critical", "Critical"),
]
# at risk or critical: what alerts and the backtest count as flagged
FLAGGED = ("at_risk", "critical")
