"""The README's raw-body recipes, run for real: each framework app receives a genuine Pivot
callback (200), a forged one (401, Pivot does not retry) and an authentic but unreadable one
(503, Pivot retries), through the framework's own test client."""

from __future__ import annotations

import json
import runpy
import sys
import types
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, Tuple

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
KEY = "recipe-callback-key"
GENUINE = json.dumps(
    {
        "event": "PAYOUT.SUCCESS",
        "data": {
            "uuid": "d6a46a2c-1b26-40c5-9ca3-e063e69635a0",
            "payouts": {
                "referenceId": "ORDER-7",
                "amount": {"currency": "IDR", "value": "250000"},
                "status": "SUCCESS",
            },
        },
    }
).encode()
# (headers, body) -> (expected status, expected body)
CASES = [
    ({"X-API-Key": KEY}, GENUINE, 200, {"status": "ok"}),
    ({"X-API-Key": "forged"}, GENUINE, 401, {"status": "rejected"}),
    ({}, GENUINE, 401, {"status": "rejected"}),
    ({"X-API-Key": KEY}, b"<html>502 Bad Gateway</html>", 503, {"status": "retry"}),
]


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIVOT_URL", "https://api-stg.pivot-payment.com")
    monkeypatch.setenv("PIVOT_MERCHANT_ID", "kirim-merchant")
    monkeypatch.setenv("PIVOT_SECRET", "kirim-secret")
    monkeypatch.setenv("PIVOT_CALLBACK_KEY", KEY)


Post = Callable[[Dict[str, str], bytes], Tuple[int, bytes]]


def check(post: Post, capsys: pytest.CaptureFixture[str]) -> None:
    for headers, body, status, answer in CASES:
        got_status, got_body = post(headers, body)
        assert (got_status, json.loads(got_body)) == (status, answer), (headers, body[:20])
    printed = capsys.readouterr().out
    assert printed.count("ORDER-7 succeeded") == 1, printed  # only the genuine one was used


def test_fastapi(capsys: pytest.CaptureFixture[str]) -> None:
    from fastapi.testclient import TestClient

    app = runpy.run_path(str(EXAMPLES / "fastapi_app.py"))["app"]
    client = TestClient(app)

    def post(headers: Dict[str, str], body: bytes) -> Tuple[int, bytes]:
        r = client.post("/callbacks/pivot", content=body, headers=headers)
        return r.status_code, r.content

    check(post, capsys)


def test_flask(capsys: pytest.CaptureFixture[str]) -> None:
    app = runpy.run_path(str(EXAMPLES / "flask_app.py"))["app"]
    client = app.test_client()

    def post(headers: Dict[str, str], body: bytes) -> Tuple[int, bytes]:
        r = client.post("/callbacks/pivot", data=body, headers=headers, content_type="application/json")
        return r.status_code, r.data

    check(post, capsys)


@pytest.fixture
def django_urls() -> Iterator[types.ModuleType]:
    import django
    from django.conf import settings

    urls = types.ModuleType("kirim_recipe_urls")
    sys.modules[urls.__name__] = urls
    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="recipe-test",
            ROOT_URLCONF=urls.__name__,
            ALLOWED_HOSTS=["testserver"],
            MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
            INSTALLED_APPS=[],
        )
        django.setup()
    yield urls
    del sys.modules[urls.__name__]


def test_django(django_urls: types.ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    from django.test import Client
    from django.urls import clear_url_caches, path

    view = runpy.run_path(str(EXAMPLES / "django_views.py"))["pivot_callback"]
    django_urls.urlpatterns = [path("callbacks/pivot", view)]  # type: ignore[attr-defined]
    clear_url_caches()
    client = Client(enforce_csrf_checks=True)

    def post(headers: Dict[str, str], body: bytes) -> Tuple[int, bytes]:
        extra: Dict[str, Any] = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
        r = client.post("/callbacks/pivot", data=body, content_type="application/json", **extra)
        return r.status_code, r.content

    check(post, capsys)
