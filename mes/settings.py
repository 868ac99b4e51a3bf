"""One settings module, configured from the environment (12-factor).

Defaults give the embedded mode: SQLite in the project folder and Celery tasks run
eagerly in-process. Setting DATABASE_URL and REDIS_URL gives the full mode.
"""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_rate(name: str, default: str) -> str | None:
    """A request rate such as `1200/minute`; `off` is None (no limit)."""
    rate = os.environ.get(name, default).strip()
    return None if rate.lower() == "off" else rate


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


# "embedded" (default: one process, SQLite unless DATABASE_URL, dev-safe defaults)
# or "production" (SECRET_KEY required, secure cookies and HTTPS headers).
MES_ENV = os.environ.get("MES_ENV", "embedded")
PRODUCTION = MES_ENV == "production"
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when MES_ENV=production")
    SECRET_KEY = "embedded-mode-only-insecure-key"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "django_htmx",
    "mes",
    "inventory",
    "production",
    "quality",
    "orders",
    "seeds",
    "cockpit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mes.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "mes.urls"
WSGI_APPLICATION = "mes.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "mes" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'mes.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the embedded mode serve a few tablets at once.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Seoul")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"

LOGIN_URL = "admin:login"

# The largest request body (bytes) read; more is 413 problem+json. Room for a batch of
# 10,000 machine events (about 1.5 MB).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("MES_MAX_REQUEST_BYTES", str(4 * 1024 * 1024)))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "mes.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["mes.api.permissions.RoleModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "mes.api.pagination.StandardPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_FILTER_BACKENDS": [
        "mes.api.scoping.SiteScopeFilterBackend",
        "mes.api.filters.StrictFilterBackend",
    ],
    "DEFAULT_SCHEMA_CLASS": "mes.api.schema.MesAutoSchema",
    "EXCEPTION_HANDLER": "mes.api.exceptions.problem_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["mes.api.parsers.SafeJSONParser"],
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": ["mes.api.throttling.ClientRateThrottle"],
}
# Requests per client (API key or person): DRF rates, `<n>/<second|minute|hour|day>`;
# `off` switches throttling off. Gateways post machine events at plant speed.
MES_API_RATE = env_rate("MES_API_RATE", "1200/minute")
MES_API_GATEWAY_RATE = env_rate("MES_API_GATEWAY_RATE", "6000/minute")
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

SPECTACULAR_SETTINGS = {
    "TITLE": "MES API",
    "DESCRIPTION": "ERP integration contract v1 of the open-source MES. See docs/integration.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The contract: no anonymous access, the schema included (a key or a session reads it).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "TokenAuth": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Token <key>`; make a key with `manage.py create_api_key`.",
            }
        }
    },
    "SECURITY": [{"TokenAuth": []}],
    # Several resources have a `status`; each set of choices gets its own named enum.
    "ENUM_NAME_OVERRIDES": {
        "SalesOrderStatusEnum": "orders.models.SalesOrder.Status",
        "ProductionOrderStatusEnum": "production.models.ProductionOrder.Status",
        "OperationStatusEnum": "production.models.Operation.Status",
        "ShipmentStatusEnum": "orders.models.Shipment.Status",
        "AllocationStatusEnum": "orders.models.Allocation.Status",
        "NonconformanceStatusEnum": "quality.models.Nonconformance.Status",
        "NonconformanceSourceEnum": "quality.models.Nonconformance.Source",
        "LotHoldSourceEnum": "quality.models.LotHold.Source",
        "ScheduleStatusEnum": "production.models.Schedule.Status",
        "ScheduleObjectiveEnum": "production.models.Schedule.Objective",
        # Named here as well since an upsert's body is a component of its own.
        "ItemKindEnum": "inventory.models.Item.Kind",
        "LocationKindEnum": "inventory.models.Location.Kind",
        "ReasonCodeKindEnum": "production.models.ReasonCode.Kind",
        "InspectionPlanKindEnum": "quality.models.InspectionPlan.Kind",
    },
}

# Celery: without REDIS_URL, tasks run eagerly in-process (embedded mode).
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TIMEZONE = TIME_ZONE
# Task modules autodiscovery (``<app>.tasks``) does not reach.
CELERY_IMPORTS = ["production.oee.tasks", "production.scheduling.tasks", "mes.webhooks.tasks"]
# Bulk upserts (bulk/items/ …): records in one request.
MES_API_BULK_MAX_RECORDS = int(os.environ.get("MES_API_BULK_MAX_RECORDS", "1000"))
# Webhooks (docs/integration.md): a failed delivery is tried again after base, 2×base,
# 4×base … seconds (at most max), and is a dead letter after MAX_ATTEMPTS attempts.
MES_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("MES_WEBHOOK_MAX_ATTEMPTS", "15"))
MES_WEBHOOK_RETRY_BASE_S = int(os.environ.get("MES_WEBHOOK_RETRY_BASE_S", "30"))
MES_WEBHOOK_RETRY_MAX_S = int(os.environ.get("MES_WEBHOOK_RETRY_MAX_S", "3600"))
MES_WEBHOOK_TIMEOUT_S = float(os.environ.get("MES_WEBHOOK_TIMEOUT_S", "10"))
MES_WEBHOOK_SWEEP_S = int(os.environ.get("MES_WEBHOOK_SWEEP_S", "10"))
MES_WEBHOOK_KEEP_DAYS = int(os.environ.get("MES_WEBHOOK_KEEP_DAYS", "30"))
# Embedded mode has no worker: a thread of the web process delivers.
MES_WEBHOOK_IN_THREAD = os.environ.get("MES_WEBHOOK_IN_THREAD", "1") == "1"
CELERY_BEAT_SCHEDULE = {
    "purge-expired-idempotency-records": {
        "task": "mes.tasks.purge_idempotency_records_task",
        "schedule": timedelta(hours=1),
    },
    "purge-stale-import-uploads": {
        "task": "mes.tasks.purge_stale_uploads_task",
        "schedule": timedelta(hours=6),
    },
    "roll-up-oee": {
        "task": "production.oee.tasks.roll_up_oee_task",
        "schedule": timedelta(seconds=int(os.environ.get("MES_OEE_ROLLUP_EVERY_S", "30"))),
    },
    "deliver-webhooks": {
        "task": "mes.webhooks.tasks.deliver_webhooks_task",
        "schedule": timedelta(seconds=MES_WEBHOOK_SWEEP_S),
    },
    "purge-delivered-webhook-events": {
        "task": "mes.webhooks.tasks.purge_webhook_events_task",
        "schedule": timedelta(hours=6),
    },
    "reconcile-stock-balances": {
        "task": "inventory.tasks.reconcile_stock_task",
        "schedule": timedelta(days=1),
    },
}

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

MQTT_URL = os.environ.get("MQTT_URL", "mqtt://127.0.0.1:1883")
MES_MQTT_PREFIX = os.environ.get("MES_MQTT_PREFIX", "mes")
MES_MQTT_CLIENT_ID = os.environ.get("MES_MQTT_CLIENT_ID", "mes-ingester")

# How long an Idempotency-Key is remembered, and after how long an in-flight
# claim whose process died may be taken over by a retry.
IDEMPOTENCY_TTL = timedelta(hours=24)
IDEMPOTENCY_STALE_AFTER = timedelta(seconds=int(os.environ.get("IDEMPOTENCY_STALE_AFTER_S", "120")))

# Operator PIN sign-in: lock the badge after this many wrong PINs in a row.
OPERATOR_PIN_MAX_FAILURES = 5

# Demand netting (orders.services.plan_production): a sub-assembly's order is due
# this many days before the order that consumes it, one step per BOM level.
MES_PLANNING_SUBASSEMBLY_LEAD_DAYS = int(os.environ.get("MES_PLANNING_SUBASSEMBLY_LEAD_DAYS", "2"))

# Production orders: the location codes their components are issued from and
# their finished goods received into (fixed on each order at release), and how
# many percent more than the previous operation passed on (the first operation:
# than the order quantity) a report may still count as good.
MES_ISSUE_LOCATION = os.environ.get("MES_ISSUE_LOCATION", "STOCK")
MES_RECEIPT_LOCATION = os.environ.get("MES_RECEIPT_LOCATION", "STOCK")
MES_SHIPPING_LOCATION = os.environ.get("MES_SHIPPING_LOCATION", "SHIP-DOCK")
MES_QUARANTINE_LOCATION = os.environ.get("MES_QUARANTINE_LOCATION", "QC-HOLD")
MES_MACHINE_EVENT_MAX_FUTURE_S = int(os.environ.get("MES_MACHINE_EVENT_MAX_FUTURE_S", "300"))
# OEE: rejects counted this long after a setup are start-up losses (reduced yield).
MES_OEE_STARTUP_WINDOW_S = int(os.environ.get("MES_OEE_STARTUP_WINDOW_S", "600"))
# How many worker tasks share a full OEE recompute (up to the workers' concurrency).
MES_OEE_RECOMPUTE_WORKERS = int(os.environ.get("MES_OEE_RECOMPUTE_WORKERS", "2"))
# Scheduling: how far ahead the calendar goes, the default and largest time limits, the
# CP-SAT workers per run; in embedded mode a run goes to a thread (the page stays free).
MES_SCHEDULE_HORIZON_DAYS = int(os.environ.get("MES_SCHEDULE_HORIZON_DAYS", "60"))
MES_SCHEDULE_TIME_LIMIT_S = int(os.environ.get("MES_SCHEDULE_TIME_LIMIT_S", "30"))
MES_SCHEDULE_MAX_TIME_LIMIT_S = int(os.environ.get("MES_SCHEDULE_MAX_TIME_LIMIT_S", "600"))
MES_SCHEDULE_WORKERS = int(os.environ.get("MES_SCHEDULE_WORKERS", "2"))
MES_SCHEDULE_IN_THREAD = os.environ.get("MES_SCHEDULE_IN_THREAD", "1") == "1"
# The tablet: an operator idle this long is signed out (also at the end of the shift).
MES_FLOOR_IDLE_MIN = int(os.environ.get("MES_FLOOR_IDLE_MIN", "30"))
MES_REPORT_TOLERANCE_PCT = Decimal(os.environ.get("MES_REPORT_TOLERANCE_PCT", "0"))

if PRODUCTION:
    # Behind a TLS-terminating proxy (see docs/deployment.md).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
