from celery import shared_task

from . import services


# Runs on every commit that wrote an event and every MES_WEBHOOK_SWEEP_S (beat). Two at
# once are fine: each endpoint is delivered by one of them (a row lock, skip locked).
@shared_task(time_limit=600, soft_time_limit=540)
def deliver_webhooks_task() -> int:
    return services.deliver_due()


@shared_task(time_limit=300, soft_time_limit=240)
def purge_webhook_events_task() -> int:
    return services.purge_delivered_events()
