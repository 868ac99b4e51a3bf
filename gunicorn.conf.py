"""gunicorn's settings: gunicorn reads this file from its working directory (the
Dockerfile's command and docs/deployment.md's run from the project folder)."""

import gc


def post_worker_init(worker) -> None:
    # What a worker has loaded (Django, the models, the URL conf) lives as long as the
    # worker: frozen, it is no longer walked by the collector, whose full passes otherwise
    # held a request up by 100–200 ms now and then (bench/plant_overview.py).
    gc.freeze()
