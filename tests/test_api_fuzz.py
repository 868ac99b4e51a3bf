"""Schemathesis against the served OpenAPI schema, in-process (WSGI), on the demo plant.

Every operation of `/api/v1/schema/` gets schema-valid and schema-invalid requests
(strings with NUL bytes and any unicode, out-of-range numbers, wrong types, missing
fields), sent with a key that may write. No answer may be a 5xx, every answer must be
what the schema says (status, content type, headers, body), and invalid data must be
refused (a schema-valid request may be refused too: see NOT_CHECKED). Fixed seed, so CI
runs the same cases each time.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.specs.openapi.checks import positive_data_acceptance

from mes.services import create_api_key
from seeds.services import load_demo_plant

pytestmark = pytest.mark.django_db

# Writes of machine data need a gateway key; everything else an ERP key.
GATEWAY_PATHS = ("/api/v1/machine-events/", "/api/v1/downtime/classify/")
# Schema-valid data may still be refused: a code that names no record (400), a state
# that forbids the step (409). The schema cannot say which codes exist.
NOT_CHECKED = [positive_data_acceptance]
EXAMPLES = 15  # per operation and mode
STATEFUL_SCENARIOS = 150
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def demo_api():
    """The served schema of an app holding the demo plant, and a header per client."""
    # The WSGI handler would close the test's connection (and its transaction) after
    # each request, which Django's own test client prevents the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    load_demo_plant(today=timezone.localdate())
    headers = {
        role: {"Authorization": f"Token {create_api_key(actor=None, name=role, role=role)[1]}"}
        for role in ("erp", "gateway")
    }
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json", get_wsgi_application(), headers=headers["erp"]
    )
    schema.config.generation.update(allow_x00=True)
    yield schema, headers
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _client(path: str) -> str:
    return "gateway" if path.startswith(GATEWAY_PATHS) else "erp"


def test_every_operation_answers_as_the_schema_says(demo_api):
    schema, headers = demo_api
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in schemathesis.GenerationMode:

            @FUZZ_SETTINGS
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                with transaction.atomic():  # a request's own transaction, as in production
                    case.call_and_validate(
                        headers=headers[_client(case.path)], excluded_checks=NOT_CHECKED
                    )

            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # try every operation, report all
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert operations > 50
    assert not failures, "\n\n".join(failures)


def test_sequences_of_calls_follow_the_schema(demo_api):
    # Stateful: a response's values (a created record's code, a schedule's id) feed the
    # next calls along the links Schemathesis infers from the schema.
    schema, headers = demo_api
    machine = schema.as_state_machine()

    class Api(machine):
        # Each scenario starts from the demo plant as loaded (a savepoint rolled back after
        # it): Hypothesis needs the same calls to give the same answers in every scenario.
        def setup(self):
            self.savepoint = transaction.atomic()
            self.savepoint.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)

        def get_call_kwargs(self, case):
            return {"headers": headers[_client(case.path)]}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # The headers apart, as call_and_validate passes them: the auth checks
            # replay the request without them.
            call_headers = kwargs.pop("headers", None)
            case.validate_response(
                response,
                excluded_checks=NOT_CHECKED,
                headers=call_headers,
                transport_kwargs=kwargs or None,
            )

    run_state_machine_as_test(
        Api,
        settings=settings(FUZZ_SETTINGS, max_examples=STATEFUL_SCENARIOS, stateful_step_count=6),
    )


def _write_operations():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return [
        (method.upper(), path.replace("{", "").replace("}", "").replace("id", "1"))
        for path, operations in sorted(paths.items())
        for method in operations
        if method in {"post", "put", "patch"}
    ]


HOSTILE_BODIES = {
    "deep JSON": b"[" * 50_000 + b"]" * 50_000,
    "huge numbers": b'{"qty": 1e400, "count_total": 1' + b"0" * 400 + b', "seq": -1e400}',
    "NUL bytes": b'{"code": "A\\u0000B", "name": "\\u0000", "item": "\\u0000"}',
    "unicode": '{"code": "부품-𝔘", "name": "\\ud800", "item": "\U0010ffff"}'.encode(),
    "a list of NULs": b'[{"machine": "\\u0000", "ts": "\\u0000"}]',
}


@pytest.mark.parametrize("method,path", _write_operations())
def test_hostile_bodies_are_refused_as_problems(api_client_for, method, path):
    client = api_client_for("gateway" if path.startswith(GATEWAY_PATHS) else "erp")
    client.raise_request_exception = False
    for name, body in HOSTILE_BODIES.items():
        response = client.generic(method, path, body, content_type="application/json")
        assert response.status_code < 500, (name, response.content)
        if response.status_code >= 400:
            assert response["Content-Type"] == "application/problem+json", name


# What the fuzzing found, each once as a plain request: all were 500s or wrong answers.
FOUND = [
    ("post", "/api/v1/machine-events/", [{"machine": "M\u0000", "ts": "2026-01-01T00:00:00Z"}]),
    ("post", "/api/v1/machine-events/", [{"machine": {"a": 1}, "ts": "2026-01-01T12:99:00Z"}]),
    ("post", "/api/v1/items/", {"code": "X", "name": "x", "uom": "\u0000EA"}),
    ("post", "/api/v1/receipts/", {"item": "X", "qty": "1", "location": "\u0000"}),
    ("post", "/api/v1/spc/X/Y/freeze/", [{"from": "2026-01-01T00:00:00Z"}]),
    ("post", "/api/v1/reason-codes/", {"code": "R", "name": "r", "affects_availability": ""}),
    ("get", "/api/v1/lot-holds/?updated_after=0135-09-03T19:06:10-21:29", None),
    ("get", "/api/v1/areas/?page_size=x&page_size=", None),
    ("get", "/api/v1/inspection-plans/?is_active=0.5", None),
    ("get", "/api/v1/quality-kpis/?from=", None),
]


@pytest.mark.parametrize("method,path,body", FOUND)
def test_what_the_fuzzing_found_is_a_4xx_problem(api_client_for, method, path, body):
    client = api_client_for("gateway" if path.startswith(GATEWAY_PATHS) else "erp")
    client.raise_request_exception = False
    response = getattr(client, method)(path, body, format="json") if body else client.get(path)
    if path.startswith("/api/v1/lot-holds/"):
        assert response.status_code == 200
    else:
        assert 400 <= response.status_code < 500, response.content
        assert response["Content-Type"] == "application/problem+json"
