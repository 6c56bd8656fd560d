"""Entra ID's token endpoint on loopback, for the bot's outbound calls: MSAL (inside the SDK)
runs the client-credentials flow against it with the bot's app id and client secret.

MSAL accepts only an https authority and asks login.microsoftonline.com to validate any host it
does not know, except an AD FS authority (path `/adfs`), which it takes as configured. So the
stub serves TLS with a self-signed certificate for 127.0.0.1 (trusted through
REQUESTS_CA_BUNDLE, which requests reads) at `https://127.0.0.1:<port>/adfs`.

MSAL calls it with blocking `requests` (on a worker thread, bot/app_tokens.py; the SDK itself
would call from the bot's event loop, which is the test's), so the stub runs in a thread of its
own (stdlib HTTP server).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

OUTBOUND_TOKEN = "outbound-entra-token-for-the-bot-7d1f"
PATIENCE_SECONDS = 10.0  # a held token request is answered anyway after this (see `hold`)


def self_signed(directory: Path, name: str = "entra") -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as `<name>.pem` and `<name>.key` files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class EntraStub:
    client_id: str
    client_secret: str
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    # Set: each token request waits for it to be set, or for PATIENCE_SECONDS (then counted).
    hold: threading.Event | None = None
    held_past_patience: int = 0
    requested: Callable[[], None] | None = None  # called (on the stub's thread) per request

    def start(self, directory: Path) -> EntraStub:
        self.cert_path, key_path = self_signed(directory)
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self.path.startswith("/adfs/.well-known/openid-configuration"):
                    base = f"https://127.0.0.1:{stub.port}/adfs"
                    self._json(200, {"issuer": base, "token_endpoint": f"{base}/oauth2/token",
                                     "authorization_endpoint": f"{base}/oauth2/authorize"})
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                stub.token_requests.append(form)
                if stub.requested is not None:
                    stub.requested()
                if stub.hold is not None and not stub.hold.wait(PATIENCE_SECONDS):
                    stub.held_past_patience += 1
                if (form.get("client_id") == [stub.client_id]
                        and form.get("client_secret") == [stub.client_secret]
                        and form.get("grant_type") == ["client_credentials"]):
                    self._json(200, {"access_token": OUTBOUND_TOKEN, "token_type": "Bearer",
                                     "expires_in": 3600})
                else:
                    self._json(401, {"error": "invalid_client"})

            def _json(self, status: int, body: dict[str, str]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return None  # quiet

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, key_path)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def login_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/adfs"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
