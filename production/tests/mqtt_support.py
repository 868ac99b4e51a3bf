"""Tests against the real Mosquitto broker (MQTT_URL)."""

import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings


def skip_without_broker() -> None:
    target = urlparse(settings.MQTT_URL)
    try:
        with socket.create_connection((target.hostname, target.port or 1883), timeout=1):
            return
    except OSError:
        pytest.skip(f"needs the MQTT broker at {settings.MQTT_URL} (.ci/run starts Mosquitto)")
