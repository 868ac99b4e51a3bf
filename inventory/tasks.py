import logging

from celery import shared_task

from inventory.selectors import reconcile_balances

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def reconcile_stock_task() -> int:
    """Compare every balance with the sum of its ledger moves; log each difference."""
    mismatches = reconcile_balances()
    for mismatch in mismatches:
        logger.error(
            "Stock balance differs from the ledger: item %s, lot %s, location %s: "
            "ledger %s, balance %s",
            mismatch.item_id,
            mismatch.lot_id,
            mismatch.location_id,
            mismatch.ledger_qty,
            mismatch.balance_qty,
        )
    return len(mismatches)
