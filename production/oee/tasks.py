"""Celery tasks of OEE: the incremental roll-up (beat) and a manager's full recompute."""

from celery import shared_task

from .rollup import roll_up_oee, run_oee_recompute


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def roll_up_oee_task() -> dict[str, int]:
    done = roll_up_oee()
    return {"machines": done.machines, "snapshots": done.snapshots, "skipped": done.skipped}


# Several of these share one recompute's queue of machines; a killed worker's task is
# delivered again (acks_late, reject on worker lost) and its machine taken again.
@shared_task(acks_late=True, time_limit=3 * 3600, soft_time_limit=3 * 3600 - 60)
def recompute_oee_task(job_id: int) -> int:
    return run_oee_recompute(job_id).snapshots
