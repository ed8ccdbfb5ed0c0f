"""The recommendation step's main statement (recommendation.py): per
customer, the candidates of every rule from a product it bought and, for a
customer of fewer than two products, its tier's best sellers (key 0:
everyone's); one per product (the best), none bought in the lookback, the
top N. By popularity (%(popularity)s) no rule: everyone's best sellers to
everyone. The nightly run and the backtest (recommendation_backtest.py)
both run it, the backtest as of a past date.

Its parameters: company, recent (the lookback's first day), as_of, top,
popularity, dismissed_before (a timestamp, or None for every dismissal),
figures (a relation of partner_id, tier_id); its input: the temporary
tables zz_reco_buys, zz_reco_products and zz_reco_rules."""

RECOMMENDATION_QUERY = """
            WITH owned AS (
                SELECT partner_id, COUNT(*) AS products,
                       COUNT(*) FILTER (WHERE last_date >= %(recent)s) AS recent
                  FROM zz_reco_buys GROUP BY 1
            ),
            members AS (
                SELECT o.partner_id, o.products, o.recent, f.tier_id
                  FROM owned o
                  LEFT JOIN %(figures)s f ON f.partner_id = o.partner_id
            ),
            grouped AS (
                SELECT tier_id AS tier_key, partner_id FROM members
                 WHERE tier_id IS NOT NULL
                UNION ALL
                SELECT 0, partner_id FROM members
            ),
            sizes AS (SELECT tier_key, COUNT(*) AS n FROM grouped GROUP BY 1),
            best AS (
                SELECT s.*, ROW_NUMBER() OVER (
                           PARTITION BY s.tier_key
                           ORDER BY s.share DESC, s.product_id) AS pos
                  FROM (
                    SELECT g.tier_key, b.product_id,
                           100.0 * COUNT(*) / MIN(z.n) AS share
                      FROM grouped g
                      JOIN zz_reco_buys b
                        ON b.partner_id = g.partner_id
                       AND b.last_date >= %(recent)s
                      JOIN zz_reco_products pr
                        ON pr.product_id = b.product_id AND pr.sellable
                      JOIN sizes z ON z.tier_key = g.tier_key
                     GROUP BY 1, 2
                  ) s
            ),
            candidates AS (
                -- per customer and product its best rule (the least pos);
                -- a rule after the first N + R of its product's (R: the
                -- customer's products of the lookback, never recommended)
                -- has N better candidates from that product alone
                SELECT c.partner_id, r.b AS product_id, MIN(r.pos) AS pos
                  FROM zz_reco_buys c
                  JOIN owned o ON o.partner_id = c.partner_id
                  JOIN zz_reco_rules r
                    ON r.a = c.product_id AND r.place <= %(top)s + o.recent
                 WHERE NOT %(popularity)s
                 GROUP BY 1, 2
            ),
            fresh AS (
                -- one rule row per customer and product; best sellers (by
                -- popularity: everyone's, to everyone) only where no rule
                -- gives the product; none of the lookback
                SELECT c.partner_id, c.product_id, r.kind, r.share,
                       r.a AS reason_product_id,
                       NULL::integer AS reason_tier_id, r.median_days, r.prio,
                       c.pos
                  FROM candidates c
                  JOIN zz_reco_rules r ON r.pos = c.pos
                 WHERE NOT EXISTS (
                       SELECT 1 FROM zz_reco_buys o
                        WHERE o.partner_id = c.partner_id
                          AND o.product_id = c.product_id
                          AND o.last_date >= %(recent)s)
                UNION ALL
                SELECT m.partner_id, t.product_id, 'popular', t.share, NULL,
                       NULLIF(t.tier_key, 0), NULL, 3, NULL
                  FROM members m
                  JOIN best t
                    ON t.tier_key = CASE WHEN %(popularity)s THEN 0
                                         ELSE COALESCE(m.tier_id, 0) END
                   AND t.pos <= %(top)s + GREATEST(m.recent, 1)
                 WHERE (%(popularity)s OR m.products < 2)
                   AND NOT EXISTS (
                       SELECT 1 FROM zz_reco_buys o
                        WHERE o.partner_id = m.partner_id
                          AND o.product_id = t.product_id
                          AND o.last_date >= %(recent)s)
                   AND NOT EXISTS (
                       SELECT 1 FROM candidates c
                        WHERE c.partner_id = m.partner_id
                          AND c.product_id = t.product_id)
            ),
            ranked AS (
                -- none a salesperson dismissed for the customer, until then
                -- (a backtest: only what was dismissed before its date)
                SELECT f.*, ROW_NUMBER() OVER (
                           PARTITION BY f.partner_id
                           ORDER BY f.prio = 3, f.pos, f.share DESC, f.product_id
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
            SELECT k.partner_id, k.product_id, k.rank::integer AS rank,
                   ROUND(k.share::numeric, 1)::float8 AS score,
                   k.kind::varchar AS kind, k.reason_product_id,
                   k.reason_tier_id, k.median_days::integer AS median_days,
                   dev.last_date + k.median_days AS expected_date
              FROM ranked k
              LEFT JOIN zz_reco_buys dev
                ON k.kind = 'consumable' AND dev.partner_id = k.partner_id
               AND dev.product_id = k.reason_product_id
             WHERE k.rank <= %(top)s
        """
