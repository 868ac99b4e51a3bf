"""`Idempotency-Key` on POST, as API-CONTRACT.md "Conventions" says, on /api/v1/customers/."""

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from mes.api.idempotency import REPLAYED_HEADER, request_fingerprint
from mes.models import AuditEntry, IdempotencyRecord
from mes.testing import run_together
from orders.models import Customer

from .factories import CustomerFactory, IdempotencyRecordFactory

URL = "/api/v1/customers/"
PROBLEM = "application/problem+json"
BODY = {"code": "HMC", "name": "Hyundai Mobis"}


def post(client, body=BODY, key="order-sync-1", **headers):
    payload = json.dumps(body).encode()
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.generic("POST", URL, payload, content_type="application/json", **headers)


def in_flight_claim(owner, body=BODY, key="order-sync-1", age=timedelta(0), **fields):
    fingerprint = request_fingerprint("POST", URL, json.dumps(body).encode())
    return IdempotencyRecordFactory(
        owner=owner, key=key, request_hash=fingerprint, created_at=timezone.now() - age, **fields
    )


@pytest.mark.django_db
class TestReplay:
    def test_same_key_same_body_replays_the_first_response_and_creates_nothing(self, erp):
        first = post(erp)
        second = post(erp)

        assert first.status_code == second.status_code == 201
        assert REPLAYED_HEADER not in first
        assert second[REPLAYED_HEADER] == "true"
        assert second.content == first.content
        assert second["Content-Type"] == first["Content-Type"] == "application/json"
        assert second["Location"] == first["Location"]
        assert Customer.objects.count() == 1
        assert AuditEntry.objects.filter(model="orders.customer").count() == 1

    def test_replay_returns_the_first_response_even_after_the_record_changed(self, erp):
        first = post(erp)
        erp.patch(URL + "HMC/", {"name": "Renamed"}, format="json")
        replay = post(erp)
        assert replay.json() == first.json()
        assert Customer.objects.get().name == "Renamed"

    def test_same_key_other_body_is_422_and_changes_nothing(self, erp):
        post(erp)
        response = post(erp, {"code": "HMC", "name": "Other name"})
        assert response.status_code == 422
        assert response["Content-Type"] == PROBLEM
        assert response.json()["code"] == "idempotency_key_reused"
        assert REPLAYED_HEADER not in response
        other_code = post(erp, {"code": "KIA", "name": "Kia"})
        assert other_code.status_code == 422
        assert list(Customer.objects.values_list("code", "name")) == [("HMC", "Hyundai Mobis")]

    def test_keys_are_per_client(self, erp, api_client_for):
        other_erp = api_client_for("erp")
        first = post(erp)
        other = post(other_erp, {"code": "KIA", "name": "Kia"})
        assert (first.status_code, other.status_code) == (201, 201)
        assert REPLAYED_HEADER not in other
        # The same request from the other client is its own: a create of an existing code.
        same = post(other_erp)
        assert same.status_code == 422  # the other client used this key for KIA
        fresh = post(other_erp, key="other-key")
        assert fresh.status_code == 409 and REPLAYED_HEADER not in fresh
        assert sorted(Customer.objects.values_list("code", flat=True)) == ["HMC", "KIA"]

    def test_a_409_refusal_is_replayed_as_409(self, erp):
        CustomerFactory(code="HMC", name="First")
        refused = post(erp)
        replay = post(erp)
        assert refused.status_code == replay.status_code == 409
        assert refused.json()["code"] == "already_exists"
        assert replay[REPLAYED_HEADER] == "true"
        assert replay["Content-Type"] == PROBLEM
        assert replay.content == refused.content
        assert Customer.objects.get().name == "First"

    def test_a_400_is_replayed_as_400(self, erp):
        bad = {"code": "bad code!", "name": "x"}
        first, second = post(erp, bad), post(erp, bad)
        assert first.status_code == second.status_code == 400
        assert second[REPLAYED_HEADER] == "true"
        assert "code" in second.json()["errors"]
        assert not Customer.objects.exists()

    def test_without_a_key_nothing_is_remembered(self, erp):
        assert post(erp, key=None).status_code == 201
        assert post(erp, key=None).status_code == 409
        assert not IdempotencyRecord.objects.exists()

    def test_the_key_only_applies_to_post(self, erp):
        CustomerFactory(code="HMC", name="Old")
        for name in ("A", "B"):
            response = erp.patch(
                URL + "HMC/", {"name": name}, format="json", HTTP_IDEMPOTENCY_KEY="k"
            )
            assert response.status_code == 200 and REPLAYED_HEADER not in response
        assert Customer.objects.get().name == "B"
        assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
class TestKeyLimits:
    def test_a_key_of_255_characters_is_accepted(self, erp):
        assert post(erp, key="k" * 255).status_code == 201
        assert post(erp, key="k" * 255)[REPLAYED_HEADER] == "true"

    @pytest.mark.parametrize("key", ["k" * 256, "", "   "])
    def test_an_over_long_or_empty_key_is_400_and_nothing_is_done(self, erp, key):
        response = post(erp, key=key)
        assert response.status_code == 400
        assert response["Content-Type"] == PROBLEM
        assert response.json()["code"] == "invalid_idempotency_key"
        assert not Customer.objects.exists()
        assert not IdempotencyRecord.objects.exists()

    def test_anonymous_with_a_key_is_401_and_claims_nothing(self):
        response = post(APIClient())
        assert response.status_code == 401
        assert not IdempotencyRecord.objects.exists()

    def test_forbidden_with_a_key_is_403_and_the_refusal_is_replayed(self, api_client_for):
        reader = api_client_for("readonly")
        first, second = post(reader), post(reader)
        assert first.status_code == second.status_code == 403
        assert not Customer.objects.exists()


@pytest.mark.django_db
class TestSessionClients:
    """A browser signed in to the admin: the key must not change how it is authenticated."""

    @pytest.fixture
    def browser(self, make_person):
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(make_person("planner"))
        client.get("/admin/")  # hands out the CSRF cookie
        client.csrf = client.cookies["csrftoken"].value
        return client

    def test_a_session_post_with_a_key_is_replayed(self, browser):
        first = post(browser, HTTP_X_CSRFTOKEN=browser.csrf)
        again = post(browser, HTTP_X_CSRFTOKEN=browser.csrf)
        assert (first.status_code, again[REPLAYED_HEADER]) == (201, "true")
        assert Customer.objects.count() == 1

    def test_without_the_csrf_token_it_is_403_as_without_a_key(self, browser):
        response = post(browser)
        assert response.status_code == 403
        assert "CSRF" in response.json()["detail"]
        assert not IdempotencyRecord.objects.exists()

    def test_a_form_body_is_415_as_without_a_key(self, browser):
        response = browser.post(
            URL,
            BODY,
            format="multipart",
            HTTP_X_CSRFTOKEN=browser.csrf,
            HTTP_IDEMPOTENCY_KEY="form",
        )
        assert response.status_code == 415
        assert not Customer.objects.exists()


@pytest.mark.django_db
class TestInFlightAndExpiry:
    def test_a_key_whose_first_request_is_in_flight_is_409(self, erp):
        in_flight_claim(erp.user)
        response = post(erp)
        assert response.status_code == 409
        assert response["Content-Type"] == PROBLEM
        assert response.json()["code"] == "idempotency_key_in_flight"
        assert not Customer.objects.exists()

    def test_a_stale_in_flight_claim_is_taken_over(self, erp):
        in_flight_claim(erp.user, age=settings.IDEMPOTENCY_STALE_AFTER + timedelta(seconds=1))
        response = post(erp)
        assert response.status_code == 201 and REPLAYED_HEADER not in response
        record = IdempotencyRecord.objects.get()
        assert record.completed and record.status_code == 201
        assert timezone.now() - record.created_at < timedelta(minutes=1)
        assert post(erp)[REPLAYED_HEADER] == "true"
        assert Customer.objects.count() == 1

    def test_an_in_flight_claim_younger_than_the_stale_limit_is_not_taken_over(self, erp):
        in_flight_claim(erp.user, age=settings.IDEMPOTENCY_STALE_AFTER - timedelta(seconds=5))
        assert post(erp).status_code == 409
        assert not Customer.objects.exists()

    def test_an_expired_record_lets_the_key_be_used_again(self, erp):
        in_flight_claim(
            erp.user,
            body={"code": "OLD", "name": "old"},
            age=timedelta(hours=24, seconds=1),
            completed=True,
            status_code=201,
            response_body=b'{"code": "OLD"}',
            content_type="application/json",
        )
        response = post(erp)
        assert response.status_code == 201 and REPLAYED_HEADER not in response
        assert response.json()["code"] == "HMC"
        assert list(Customer.objects.values_list("code", flat=True)) == ["HMC"]
        assert IdempotencyRecord.objects.get().status_code == 201

    def test_a_record_within_24_hours_is_still_replayed(self, erp):
        first = post(erp)
        IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=23))
        replay = post(erp)
        assert replay[REPLAYED_HEADER] == "true" and replay.content == first.content

    def test_a_5xx_is_never_stored_and_a_retry_with_the_same_key_succeeds(self, erp, monkeypatch):
        def crash(*args, **kwargs):
            raise RuntimeError("database went away")

        client = APIClient(raise_request_exception=False)
        client.credentials(**erp._credentials)
        monkeypatch.setattr("orders.services.create_record", crash)

        failed = post(client)

        assert failed.status_code == 500
        assert failed["Content-Type"] == PROBLEM
        assert not IdempotencyRecord.objects.exists()  # the claim was released
        monkeypatch.undo()
        retry = post(client)
        assert retry.status_code == 201 and REPLAYED_HEADER not in retry
        assert Customer.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_the_same_key_create_exactly_once(erp):
    credentials = erp._credentials

    def send():
        client = APIClient()
        client.credentials(**credentials)
        return post(client)

    responses = run_together([send] * 8)

    assert not any(isinstance(r, BaseException) for r in responses), responses
    assert Customer.objects.count() == 1
    assert AuditEntry.objects.filter(model="orders.customer").count() == 1
    for response in responses:
        assert response.status_code in (201, 409), response.content
        if response.status_code == 409:
            assert response.json()["code"] == "idempotency_key_in_flight"
    originals = [r for r in responses if r.status_code == 201 and REPLAYED_HEADER not in r]
    assert len(originals) == 1
    replays = [r for r in responses if r.status_code == 201 and REPLAYED_HEADER in r]
    assert all(r.content == originals[0].content for r in replays)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_puts_of_a_new_code_create_one_row_and_update_it(erp):
    credentials = erp._credentials

    def send():
        client = APIClient()
        client.credentials(**credentials)
        return client.put(URL + "NEW/", {"name": "Same"}, format="json")

    responses = run_together([send] * 8)

    assert not any(isinstance(r, BaseException) for r in responses), responses
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert list(Customer.objects.values_list("code", "name")) == [("NEW", "Same")]
    assert AuditEntry.objects.filter(model="orders.customer", action="create").count() == 1
