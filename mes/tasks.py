from celery import shared_task
from django.conf import settings
from django.utils import timezone

from mes.models import IdempotencyRecord


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def purge_idempotency_records_task() -> int:
    cutoff = timezone.now() - settings.IDEMPOTENCY_TTL
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def purge_stale_uploads_task() -> int:
    from mes.exchange.services import purge_stale_uploads

    return purge_stale_uploads()
