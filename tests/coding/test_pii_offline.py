"""Detection never reaches the network: the e-mail check uses tldextract's bundled suffix list."""

from __future__ import annotations

import socket

import pytest

from coding.pii import detect_pii
from coding.pii.patterns import has_public_suffix


@pytest.fixture
def no_network(monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_detection_fetches_nothing(no_network, tmp_path, monkeypatch):
    monkeypatch.setenv("TLDEXTRACT_CACHE", str(tmp_path / "tld-cache"))
    found = detect_pii("scriva a mario punto rossi chiocciola gmail punto com o a j.smith@acme.co.uk", "it")
    assert [e.entity for e in found] == ["EMAIL", "EMAIL"]
    assert has_public_suffix("acme.co.uk") and not has_public_suffix("acme.notasuffix")
    assert detect_pii("call me on 07700 900123, John", "en")
    assert no_network == []
    assert not (tmp_path / "tld-cache").exists()
