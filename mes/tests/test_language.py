import pytest

from mes.models import UserProfile

pytestmark = pytest.mark.django_db


def test_choosing_korean_in_the_admin_is_remembered_for_the_person(client, make_person):
    user = make_person("planner", password="pw-Secret-123")
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "ko", "next": "/admin/"})
    assert response.status_code == 302
    assert UserProfile.objects.get(user=user).language == "ko"
    # The profile wins over the browser's Accept-Language.
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert 'lang="ko"' in page.content.decode()


def test_browser_language_applies_without_a_choice(client, make_person):
    client.force_login(make_person("planner"))
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9")
    assert 'lang="ko"' in page.content.decode()
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-US")
    assert 'lang="en"' in page.content.decode()


def test_unknown_language_changes_nothing(client, make_person):
    user = make_person("planner", language="en")
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/admin/"})
    assert UserProfile.objects.get(user=user).language == "en"
