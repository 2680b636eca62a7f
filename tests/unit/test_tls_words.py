"""A TLS failure while connecting is told in a sentence, never in Python's exception text.
Against real TLS servers on loopback: one with a self-signed certificate, one whose certificate
names another host, one that speaks plain HTTP on an https address."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hubbub.connections.views import explain
from hubbub.core.http import classify_transport_error, guarded_session
from hubbub.networks.errors import ConnectorError
from hubbub.networks.mastodon.connector import MastodonConnector

PYTHON_WORDS = ("SSL:", "_ssl.c", "CERTIFICATE_VERIFY_FAILED", "Errno", "Max retries",
                "HTTPSConnectionPool")


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


def _cert(tmp: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    san = x509.SubjectAlternativeName([x509.DNSName(name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(san, critical=False).sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / f"{name}.pem", tmp / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _serve(server: ThreadingHTTPServer) -> Iterator[str]:
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def self_signed(tmp_path: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_cert(tmp_path, "127.0.0.1.example"))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    yield from _serve(server)


@pytest.fixture
def plain_http() -> Iterator[str]:
    yield from _serve(ThreadingHTTPServer(("127.0.0.1", 0), _Handler))


def _sentence(text: str) -> None:
    for words in PYTHON_WORDS:
        assert words not in text, text


def test_an_unverifiable_certificate_is_said_in_a_sentence(self_signed: str) -> None:
    with pytest.raises(requests.exceptions.SSLError) as raised:
        guarded_session().get(self_signed + "/")
    failure = classify_transport_error(raised.value)
    assert failure is not None
    assert failure.kind == "tls"
    assert "certificate could not be verified" in failure.reason
    _sentence(failure.reason)


def test_plain_http_on_an_https_address_is_said_in_a_sentence(plain_http: str) -> None:
    with pytest.raises(requests.exceptions.SSLError) as raised:
        guarded_session().get(plain_http + "/")
    failure = classify_transport_error(raised.value)
    assert failure is not None
    assert failure.kind == "tls"
    assert "secure connection" in failure.reason
    _sentence(failure.reason)


@pytest.mark.django_db
def test_connecting_to_a_server_with_a_bad_certificate_explains_it(self_signed: str) -> None:
    with pytest.raises(ConnectorError) as raised:
        MastodonConnector().begin_auth(self_signed, "http://127.0.0.1/callback")
    shown = explain(raised.value)
    assert "certificate could not be verified" in shown
    _sentence(shown)
