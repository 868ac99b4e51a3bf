"""The Celery task of a schedule run (see services.run_schedule)."""

from celery import shared_task
from django.conf import settings

from .services import run_schedule


# A run is delivered again if its worker dies (acks_late) and starts over; the hard
# limit leaves room for the longest time limit plus building and storing.
@shared_task(
    acks_late=True,
    time_limit=settings.MES_SCHEDULE_MAX_TIME_LIMIT_S + 600,
    soft_time_limit=settings.MES_SCHEDULE_MAX_TIME_LIMIT_S + 540,
)
def run_schedule_task(schedule_id: int) -> str:
    return run_schedule(schedule_id).status
