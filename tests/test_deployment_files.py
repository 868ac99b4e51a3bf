"""docker-compose.yml cannot run here (no Docker engine), so check it against the code."""

import re
from pathlib import Path

import yaml
from django.core.management import get_commands
from django.urls import resolve

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = {name: spec for name, spec in SERVICES.items() if spec.get("build")}


def test_app_services_share_the_full_mode_environment():
    assert set(APP_SERVICES) == {"migrate", "web", "worker", "beat", "mqtt-ingester"}
    for spec in APP_SERVICES.values():
        env = spec["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert spec["env_file"] == ".env"


def test_dependencies_exist_and_migrate_runs_first():
    for name, spec in SERVICES.items():
        for dependency in spec.get("depends_on", {}):
            assert dependency in SERVICES, f"{name} depends on unknown {dependency}"
    for name in ("web", "worker", "beat", "mqtt-ingester"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert SERVICES["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_commands_name_things_that_exist():
    assert SERVICES["migrate"]["command"][:2] == ["python", "manage.py"]
    assert SERVICES["migrate"]["command"][2] in get_commands()
    assert SERVICES["mqtt-ingester"]["command"][:3] == ["python", "manage.py", "ingest_mqtt"]
    assert "ingest_mqtt" in get_commands()
    for name in ("worker", "beat"):
        command = SERVICES[name]["command"]
        assert command[:3] == ["celery", "-A", "mes"]
    from mes import celery_app

    assert celery_app.main == "mes"


def test_web_healthcheck_path_is_served(client, db):
    test = " ".join(SERVICES["web"]["healthcheck"]["test"])
    path = re.search(r"http://127\.0\.0\.1:8000(/[^']*)", test).group(1)
    assert resolve(path).url_name == "healthz"
    response = client.get(path)
    assert response.status_code == 200 and response.json()["database"] == "ok"


def test_dockerfile_installs_from_the_lock_with_the_same_uv_as_bin_setup():
    dockerfile = (ROOT / "Dockerfile").read_text()
    setup = (ROOT / "bin" / "setup").read_text()
    uv_version = re.search(r"uv==([\d.]+)", setup).group(1)
    assert f"uv=={uv_version}" in dockerfile
    assert "uv sync --frozen" in dockerfile
    assert "FROM python:3.11" in dockerfile


def test_gunicorn_workers_freeze_what_they_loaded():
    import gc
    import runpy

    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    try:
        config["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
