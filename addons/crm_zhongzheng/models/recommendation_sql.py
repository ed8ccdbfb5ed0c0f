"""The recommendation step's main statement (recommendation.py): per
customer, the candidates of every rule from a product it bought and, for a
customer of fewer than two products, its tier's best sellers (key 0:
everyone's); one per product (the best), none bought in the lookback, the
top N. By popularity (%(popularity)s) no rule: everyone's best sellers to
everyone. The nightly run and the backtest (recommendation_backtest.py)
both run it, the backtest as of a past date.

Its parameters: company, recent (the lookback's first day), as_of, top,
popularity, dismissed_before (a timestamp, or None for every dismissal);
its input: the temporary tables zz_reco_buys, zz_reco_members,
zz_reco_products and zz_reco_rules."""

from contextlib import contextmanager

# its hash tables and sort (about 1.2 million candidates at 100,000
# customers) fit in memory
BIG_WORK_MEM = "256MB"


@contextmanager
def big_statement(cr):
    """Settings for the statement, put back after it: no nested loop (a
    table estimated at a few rows, such as the dismissals since their last
    ANALYZE, must not be read once per candidate) and room for its hash
    tables and sort. A failure leaves them to its savepoint's rollback."""
    cr.execute("SELECT current_setting('enable_nestloop'), current_setting('work_mem')")
    before = cr.fetchone()
    cr.execute(
        "SELECT set_config('enable_nestloop', 'off', true),"
        " set_config('work_mem', %s, true)",
        [BIG_WORK_MEM],
    )
    yield
    cr.execute(
        "SELECT set_config('enable_nestloop', %s, true),"
        " set_config('work_mem', %s, true)",
        before,
    )


RECOMMENDATION_QUERY = """
            WITH sizes AS (
                -- customers per tier (key 0: everyone)
                SELECT CASE WHEN GROUPING(tier_id) = 1 THEN 0 ELSE tier_id END
                           AS tier_key, COUNT(*) AS n
                  FROM zz_reco_members
                 GROUP BY GROUPING SETS ((tier_id), ())
                HAVING GROUPING(tier_id) = 1 OR tier_id IS NOT NULL
            ),
            best AS (
                SELECT s.*, ROW_NUMBER() OVER (
                           PARTITION BY s.tier_key
                           ORDER BY s.share DESC, s.product_id) AS pos
                  FROM (
                    SELECT t.tier_key, t.product_id,
                           100.0 * t.buyers / z.n AS share
                      FROM (
                        SELECT CASE WHEN GROUPING(m.tier_id) = 1 THEN 0
                                    ELSE m.tier_id END AS tier_key,
                               b.product_id, COUNT(*) AS buyers
                          FROM zz_reco_members m
                          JOIN zz_reco_buys b
                            ON b.partner_id = m.partner_id
                           AND b.last_date >= %(recent)s
                          JOIN zz_reco_products pr
                            ON pr.product_id = b.product_id AND pr.sellable
                         GROUP BY GROUPING SETS ((m.tier_id, b.product_id),
                                                 (b.product_id))
                        HAVING GROUPING(m.tier_id) = 1 OR m.tier_id IS NOT NULL
                      ) t
                      JOIN sizes z ON z.tier_key = t.tier_key
                  ) s
            ),
            few AS (
                -- the customers offered best sellers: of fewer than two
                -- products (by popularity: everyone)
                SELECT * FROM zz_reco_members
                 WHERE %(popularity)s OR products < 2
            ),
            few_buys AS (
                -- their purchases (none read by popularity)
                SELECT b.partner_id, b.product_id, b.last_date, f.recent
                  FROM few f JOIN zz_reco_buys b ON b.partner_id = f.partner_id
            ),
            candidates AS (
                -- per customer and product its best rule (the least pos),
                -- none of a product of the lookback: its purchase meets a
                -- rule of no pos (the product to itself) in the same group,
                -- which is dropped (one aggregate of the rows as they come,
                -- a customer's one after the other, rather than an
                -- anti-join probing a hash of the lookback's purchases at
                -- random); a rule after the first N + R of its product's
                -- (R: the customer's products of the lookback) has N better
                -- candidates from that product alone
                SELECT c.partner_id, r.b AS product_id, MIN(r.pos) AS pos
                  FROM zz_reco_buys c
                  JOIN zz_reco_members o ON o.partner_id = c.partner_id
                  JOIN (SELECT a, b, pos, place FROM zz_reco_rules
                        UNION ALL
                        SELECT product_id, product_id, NULL, 0
                          FROM zz_reco_products) r
                    ON r.a = c.product_id AND r.place <= %(top)s + o.recent
                 WHERE NOT %(popularity)s
                   AND (r.pos IS NOT NULL OR c.last_date >= %(recent)s)
                 GROUP BY 1, 2
                HAVING COUNT(*) = COUNT(r.pos)
            ),
            fresh AS (
                -- one rule per customer and product; best sellers (by
                -- popularity: everyone's, to everyone) only where no rule
                -- gives the product; none of the lookback
                SELECT c.partner_id, c.product_id, c.pos,
                       NULL::numeric AS share, NULL::integer AS tier_key
                  FROM candidates c
                UNION ALL
                SELECT m.partner_id, t.product_id, NULL, t.share, t.tier_key
                  FROM few m
                  JOIN best t
                    ON t.tier_key = CASE WHEN %(popularity)s THEN 0
                                         ELSE COALESCE(m.tier_id, 0) END
                   AND t.pos <= %(top)s + GREATEST(m.recent, 1)
                 WHERE NOT EXISTS (
                       SELECT 1 FROM zz_reco_buys o
                        WHERE o.partner_id = m.partner_id
                          AND o.product_id = t.product_id
                          AND o.last_date >= %(recent)s)
                   AND NOT EXISTS (
                       SELECT 1 FROM few_buys c
                         JOIN zz_reco_rules r
                           ON r.a = c.product_id
                          AND r.place <= %(top)s + c.recent
                        WHERE NOT %(popularity)s
                          AND c.partner_id = m.partner_id
                          AND r.b = t.product_id)
            ),
            ranked AS (
                -- none a salesperson dismissed for the customer, until then
                -- (a backtest: only what was dismissed before its date);
                -- the rules first (pos: a rule's place among all), then
                -- the best sellers
                SELECT f.*, ROW_NUMBER() OVER (
                           PARTITION BY f.partner_id
                           ORDER BY f.pos, f.share DESC, f.product_id
                       ) AS rank
                  FROM fresh f
                 WHERE NOT EXISTS (
                       SELECT 1 FROM zhongzheng_recommendation_dismissal d
                        WHERE d.company_id = %(company)s
                          AND d.partner_id = f.partner_id
                          AND d.product_id = f.product_id
                          AND d.date_until >= %(as_of)s
                          AND (%(dismissed_before)s::timestamp IS NULL
                               OR d.create_date < %(dismissed_before)s))
            )
            -- a consumable is expected its median days after the device
            -- (the purchases of devices only: every recommendation by a
            -- rule finds its customer's purchase of the rule's product)
            SELECT k.partner_id, k.product_id, k.rank::integer AS rank,
                   ROUND(COALESCE(r.share, k.share)::numeric, 1)::float8
                       AS score,
                   COALESCE(r.kind, 'popular')::varchar AS kind,
                   r.a AS reason_product_id,
                   NULLIF(k.tier_key, 0) AS reason_tier_id,
                   r.median_days::integer AS median_days,
                   dev.last_date + r.median_days AS expected_date
              FROM ranked k
              LEFT JOIN zz_reco_rules r ON r.pos = k.pos
              LEFT JOIN (
                SELECT partner_id, product_id, last_date FROM zz_reco_buys
                 WHERE product_id IN (SELECT a FROM zz_reco_rules
                                       WHERE kind = 'consumable')
              ) dev
                ON r.kind = 'consumable' AND dev.partner_id = k.partner_id
               AND dev.product_id = r.a
             WHERE k.rank <= %(top)s
        """
