"""A local HTTPS server in a thread for the fetcher tests: real sockets, real TLS, counted connections.

It listens on 127.0.0.1 only, with a fresh self-signed certificate for ``localhost`` and ``127.0.0.1``.
Every response ends by itself: a dripping route stops after ``drip_limit`` seconds or at ``close()``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path


@dataclass(frozen=True)
class Route:
    """What the server answers for one path."""

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    #: False: no Content-Length, the body ends when the connection closes.
    content_length: bool = True
    #: Seconds between single bytes of the whole response (status line included); None: send at once.
    drip_interval: float | None = None


_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 404: "Not Found"}


def _self_signed(directory: Path) -> tuple[Path, Path, str]:
    """Write a P-256 self-signed certificate and key for localhost / 127.0.0.1; return paths and PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    # The TLS stack checks validity against the real clock, so the certificate must cover it.
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_path = directory / "server-cert.pem"
    key_path = directory / "server-key.pem"
    cert_path.write_bytes(cert_pem)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path, cert_pem.decode("ascii")


class TlsServer:
    """Serve ``routes`` over HTTPS on 127.0.0.1; unknown paths get a 404."""

    def __init__(self, directory: Path, routes: Mapping[str, Route], *, drip_limit: float = 3.0) -> None:
        cert_path, key_path, self._cert_pem = _self_signed(directory)
        self._routes = dict(routes)
        self._drip_limit = drip_limit
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(cert_path, key_path)
        self._context.sni_callback = self._record_sni
        self._lock = threading.Lock()
        self._connections = 0
        self.requests: list[str] = []
        self.hosts: list[str] = []
        self.server_names: list[str | None] = []
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._handlers: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._accept_loop, name="tls-server", daemon=True)
        self._thread.start()

    def _record_sni(self, _sock: ssl.SSLObject, server_name: str | None, _context: ssl.SSLContext) -> None:
        with self._lock:
            self.server_names.append(server_name)

    @property
    def connections(self) -> int:
        """TCP connections accepted so far."""
        with self._lock:
            return self._connections

    def add_route(self, path: str, route: Route) -> None:
        """Serve ``route`` at ``path`` from now on (for bodies that must name the server's port)."""
        with self._lock:
            self._routes[path] = route

    def url(self, path: str, *, host: str = "localhost") -> str:
        """The https URL of ``path`` on this server."""
        return f"https://{host}:{self.port}{path}"

    def client_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts only this server's certificate."""
        return ssl.create_default_context(cadata=self._cert_pem)

    def close(self) -> None:
        """Stop accepting, end drips, and wait for every handler."""
        self._stop.set()
        self._thread.join(5)
        for handler in self._handlers:
            handler.join(5)
        self._listener.close()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._connections += 1
            handler = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._handlers.append(handler)
            handler.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                tls = self._context.wrap_socket(conn, server_side=True)
            except OSError:
                return
            with tls:
                try:
                    self._answer(tls)
                except OSError:
                    return  # the client went away (refused a redirect, an oversize body, a drip)

    def _answer(self, tls: ssl.SSLSocket) -> None:
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 16_384:
            chunk = tls.recv(4096)
            if not chunk:
                return
            head += chunk
        lines = head.split(b"\r\n")
        path = lines[0].split(b" ")[1].decode("ascii")
        host = next(
            (line[5:].strip().decode("ascii") for line in lines if line.lower().startswith(b"host:")), ""
        )
        with self._lock:
            self.requests.append(path)
            self.hosts.append(host)
            route = self._routes.get(path, Route(status=404, body=b"not found"))
        headers = [*route.headers, ("Connection", "close")]
        if route.content_length:
            headers.append(("Content-Length", str(len(route.body))))
        response = f"HTTP/1.1 {route.status} {_REASONS.get(route.status, 'Status')}\r\n".encode("ascii")
        response += b"".join(f"{name}: {value}\r\n".encode("ascii") for name, value in headers)
        response += b"\r\n" + route.body
        if route.drip_interval is None:
            tls.sendall(response)
            return
        started = time.monotonic()
        for index in range(len(response)):
            if self._stop.is_set() or time.monotonic() - started > self._drip_limit:
                return
            tls.sendall(response[index : index + 1])
            self._stop.wait(route.drip_interval)
