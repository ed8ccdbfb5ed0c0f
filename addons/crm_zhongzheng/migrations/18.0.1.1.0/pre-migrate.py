"""18.0.1.1.0: the value queue is insert-only (a customer queued again while
a batch holds it is a new row, recomputed again): drop its unique key."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        "ALTER TABLE zhongzheng_value_queue"
        " DROP CONSTRAINT IF EXISTS zhongzheng_value_queue_partner_company_uniq"
    )
