"""Key and document resolution: did:key, did:web, HTTPS key documents and status lists.

The verifier fetches only what a check needs, through a :class:`Fetcher` the caller chooses:

- :class:`MapFetcher` serves URLs from local files (the CLI's ``--resolve MAP.json``);
- :class:`HttpsFetcher` is the network, HTTPS only, refusing private and special addresses (SSRF), with a
  total deadline, a size cap, no redirects and a small ``Cache-Control``-aware cache;
- :class:`OfflineFetcher` refuses everything (the default when the network is not opted in);
- :class:`ChainFetcher` tries them in order; :class:`RecordingFetcher` keeps what was returned.

:class:`Resolver` turns a verification method URL into a :class:`ResolvedKey` (public key, controller and
the verification relationships that list it), and fetches JSON documents such as status list credentials.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, cast, runtime_checkable
from urllib.parse import urldefrag, urlsplit

from keys.encoding import did_key_document, did_web_to_url, jwk_to_public_key, multikey_to_public_key
from keys.errors import KeysError
from verifier.errors import KeyResolutionError, RetrievalError, VerificationMethodError

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterator, Mapping

    from _typeshed import WriteableBuffer

    from keys.encoding import PublicKey

__all__ = [
    "VERIFICATION_RELATIONSHIPS",
    "ChainFetcher",
    "Fetcher",
    "HttpsFetcher",
    "MapFetcher",
    "OfflineFetcher",
    "RecordingFetcher",
    "ResolvedKey",
    "Resolver",
    "ScopedFetcher",
    "retrieve_verification_method",
]

#: The verification relationships of DID Core / Controlled Identifiers that may list a key.
VERIFICATION_RELATIONSHIPS = (
    "assertionMethod",
    "authentication",
    "capabilityDelegation",
    "capabilityInvocation",
    "keyAgreement",
)

_JWK_METHOD_TYPES = frozenset({"JsonWebKey", "JsonWebKey2020"})
_MULTIKEY_METHOD_TYPES = frozenset({"Multikey"})


# --------------------------------------------------------------------------------------------------
# Fetchers
# --------------------------------------------------------------------------------------------------


class Fetcher(Protocol):
    """Anything that turns a URL into the bytes of the document it names."""

    def fetch(self, url: str) -> bytes:
        """Return the document at ``url``.

        Raises:
            RetrievalError: the document could not be obtained; the message says why.
        """
        ...


@runtime_checkable
class ScopedFetcher(Protocol):
    """A fetcher that can say, without fetching, whether a URL is its to serve.

    :class:`ChainFetcher` skips fetchers whose ``knows(url)`` is false; a fetcher without ``knows`` is
    taken to serve every URL.
    """

    def fetch(self, url: str) -> bytes:
        """Return the document at ``url`` (see :class:`Fetcher`)."""
        ...

    def knows(self, url: str) -> bool:
        """Whether ``url`` is one this fetcher serves."""
        ...


def _knows(fetcher: Fetcher, url: str) -> bool:
    return fetcher.knows(url) if isinstance(fetcher, ScopedFetcher) else True


class MapFetcher:
    """Serve URLs from local files: the ``--resolve MAP.json`` file of the CLI.

    A URL is looked up as given, then without its fragment. Unknown URLs are refused.
    """

    def __init__(self, mapping: Mapping[str, Path]) -> None:
        """Serve each URL of ``mapping`` from the file it maps to.

        Args:
            mapping: URL -> file path.
        """
        self._mapping = {url: Path(path) for url, path in mapping.items()}

    @classmethod
    def from_file(cls, path: Path | str) -> MapFetcher:
        """Read a resolve map: a JSON object URL -> file path, relative paths relative to the map file.

        Args:
            path: the map file.

        Returns:
            A fetcher serving the mapped files.

        Raises:
            RetrievalError: the map file cannot be read, is not JSON, or is not an object of strings.
        """
        map_path = Path(path)
        try:
            raw = json.loads(map_path.read_bytes())
        except OSError as err:
            raise RetrievalError(f"resolve map {map_path}: cannot read it ({err.strerror or err})") from err
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
            raise RetrievalError(f"resolve map {map_path}: not valid JSON ({err})") from err
        if not isinstance(raw, dict) or not all(
            isinstance(url, str) and isinstance(file, str) for url, file in raw.items()
        ):
            raise RetrievalError(f"resolve map {map_path}: must be a JSON object of URL -> file path strings")
        base = map_path.parent
        return cls({url: base / file for url, file in raw.items()})

    def _path_for(self, url: str) -> Path | None:
        found = self._mapping.get(url)
        return found if found is not None else self._mapping.get(urldefrag(url).url)

    def knows(self, url: str) -> bool:
        """Whether ``url`` (with or without its fragment) is in the map."""
        return self._path_for(url) is not None

    def fetch(self, url: str) -> bytes:
        """Return the bytes of the file ``url`` maps to.

        Raises:
            RetrievalError: the URL is not in the map, or its file cannot be read.
        """
        path = self._path_for(url)
        if path is None:
            raise RetrievalError(f"{url}: not in the resolve map")
        try:
            return path.read_bytes()
        except OSError as err:
            raise RetrievalError(f"{url}: mapped file {path} cannot be read ({err.strerror or err})") from err


class OfflineFetcher:
    """Refuse every URL: the network was not opted in."""

    def knows(self, url: str) -> bool:
        """Always false: nothing is served offline."""
        return False

    def fetch(self, url: str) -> bytes:
        """Refuse.

        Raises:
            RetrievalError: always, with a message starting ``"offline: "``.
        """
        raise RetrievalError(f"offline: {url} is not in the resolve map and network access is off")


class ChainFetcher:
    """Ask the first fetcher that knows the URL (map first, then network).

    When no fetcher knows the URL, the last one is asked, so that its refusal (``"offline: …"``,
    ``"not in the resolve map"``, ``"https only"``) is what the caller sees.
    """

    def __init__(self, *fetchers: Fetcher) -> None:
        """Chain ``fetchers``, first match wins."""
        self._fetchers = fetchers

    def knows(self, url: str) -> bool:
        """Whether any chained fetcher knows ``url``."""
        return any(_knows(fetcher, url) for fetcher in self._fetchers)

    def fetch(self, url: str) -> bytes:
        """Fetch ``url`` from the first fetcher that knows it.

        Raises:
            RetrievalError: from the chosen fetcher, or when the chain is empty.
        """
        for fetcher in self._fetchers:
            if _knows(fetcher, url):
                return fetcher.fetch(url)
        if not self._fetchers:
            raise RetrievalError(f"{url}: no fetcher configured")
        return self._fetchers[-1].fetch(url)


class RecordingFetcher:
    """Keep every document returned, keyed by the URL asked (for verification bundles)."""

    def __init__(self, inner: Fetcher) -> None:
        """Record what ``inner`` returns."""
        self._inner = inner
        self.fetched: dict[str, bytes] = {}

    def knows(self, url: str) -> bool:
        """Whether the inner fetcher knows ``url``."""
        return _knows(self._inner, url)

    def fetch(self, url: str) -> bytes:
        """Fetch through the inner fetcher and record the result.

        Raises:
            RetrievalError: from the inner fetcher (nothing is recorded then).
        """
        body = self._inner.fetch(url)
        self.fetched[url] = body
        return body


# --------------------------------------------------------------------------------------------------
# HTTPS
# --------------------------------------------------------------------------------------------------

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_USER_AGENT = "mastery-badges-verifier"
_ACCEPT = "application/did+json, application/ld+json, application/json;q=0.9, */*;q=0.1"
_CACHE_ENTRIES = 256


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64, IPv4-compatible)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    # ::/96 is the deprecated IPv4-compatible form, except :: and ::1, which are themselves.
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def _refusal_reason(address: _Address) -> str | None:
    """Why connecting to ``address`` could reach the verifier's own network, or None if it cannot."""
    candidates: list[_Address] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            # The embedded IPv4 address says more about where the packets go: check it first.
            candidates.insert(0, embedded)
    for candidate in candidates:
        checks = (
            (candidate.is_loopback, "loopback"),
            (candidate.is_link_local, "link-local"),
            (candidate.is_multicast, "multicast"),
            (candidate.is_unspecified, "unspecified"),
            (candidate.is_reserved, "reserved"),
            (candidate.is_private, "private"),
            (isinstance(candidate, ipaddress.IPv6Address) and candidate.is_site_local, "site-local"),
            (not candidate.is_global, "not globally routable"),
        )
        for refused, reason in checks:
            if refused:
                return reason if candidate is address else f"{reason} (embedded {candidate})"
    return None


def _cache_lifetime(cache_control: str | None, age: str | None) -> float:
    """Seconds a response may be reused (0: do not store), from Cache-Control and Age (RFC 9111 §5.2)."""
    if not cache_control:
        return 0.0
    max_age: int | None = None
    for directive in cache_control.lower().split(","):
        name, _, value = directive.strip().partition("=")
        if name in ("no-store", "no-cache"):
            return 0.0
        if name == "max-age":
            try:
                max_age = int(value.strip().strip('"'))
            except ValueError:
                return 0.0
    if max_age is None or max_age <= 0:
        return 0.0
    try:
        already = int(age) if age else 0
    except ValueError:
        already = 0
    return float(max(0, max_age - max(0, already)))


class _DeadlineReader(io.RawIOBase):
    """A socket reader that gives each ``recv`` only the time left before a total deadline.

    A socket timeout alone bounds each read, not the response: a server dripping one byte per second
    would hold the verifier for as long as it likes.
    """

    def __init__(self, sock: socket.socket, deadline: float, clock: Callable[[], float]) -> None:
        super().__init__()
        self._sock = sock
        self._deadline = deadline
        self._clock = clock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        remaining = self._deadline - self._clock()
        if remaining <= 0:
            raise TimeoutError("deadline exceeded")
        self._sock.settimeout(remaining)
        return self._sock.recv_into(buffer)


class _ReaderSocket:
    """The one socket method :class:`http.client.HTTPResponse` uses, over a deadline reader."""

    def __init__(self, reader: io.BufferedReader[_DeadlineReader]) -> None:
        self._reader = reader

    def makefile(self, *_args: object, **_kwargs: object) -> io.BufferedReader[_DeadlineReader]:
        return self._reader


class HttpsFetcher:
    """Fetch over HTTPS without letting a credential aim the verifier at its own network.

    - ``https://`` only; no user info in the URL; the fragment is never sent.
    - The host is resolved once; every address is checked (loopback, private, link-local, multicast,
      reserved, unspecified, not globally routable, and IPv4 addresses embedded in IPv6) and the
      connection goes to a checked address, with SNI and ``Host`` set to the name: no second DNS
      lookup, so DNS rebinding cannot swap the address.
    - Redirects are not followed; any status other than 200 is refused.
    - Bodies over ``max_bytes`` are cut off and refused.
    - ``timeout`` is a total deadline over DNS, connect, TLS, headers and body.
    - Responses with ``Cache-Control: max-age`` (and no ``no-store`` / ``no-cache``) are kept in memory.
    """

    def __init__(
        self,
        *,
        timeout: float = 5.0,
        max_bytes: int = 1_048_576,
        allow_private: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Configure the fetcher.

        Args:
            timeout: total seconds allowed per fetch, from DNS lookup to the last body byte.
            max_bytes: largest body accepted.
            allow_private: also connect to private, loopback and other special addresses (tests, intranets).
            ssl_context: TLS settings; the default verifies certificates against the system store.
            clock: monotonic seconds, for the deadline and the cache.
        """
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._allow_private = allow_private
        if ssl_context is None:
            ssl_context = ssl.create_default_context()
            ssl_context.minimum_version = ssl.TLSVersion.TLSv1_2
        self._ssl_context = ssl_context
        self._clock = clock
        self._cache: dict[str, tuple[float, bytes]] = {}
        self._lock = threading.Lock()

    def knows(self, url: str) -> bool:
        """Whether ``url`` is an ``https://`` URL (the only kind this fetcher serves)."""
        return urlsplit(url).scheme.lower() == "https"

    def fetch(self, url: str) -> bytes:
        """GET ``url`` under the rules of the class.

        Args:
            url: an ``https://`` URL.

        Returns:
            The response body.

        Raises:
            RetrievalError: a refused URL or address, a network or TLS failure, a redirect, a status other
                than 200, a body over ``max_bytes``, or the deadline passed.
        """
        target = urldefrag(url).url
        now = self._clock()
        with self._lock:
            cached = self._cache.get(target)
            if cached is not None:
                if cached[0] > now:
                    return cached[1]
                del self._cache[target]
        body, lifetime = self._get(target, deadline=now + self._timeout)
        if lifetime > 0:
            with self._lock:
                if len(self._cache) >= _CACHE_ENTRIES:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[target] = (self._clock() + lifetime, body)
        return body

    def _get(self, url: str, *, deadline: float) -> tuple[bytes, float]:
        parts = urlsplit(url)
        if parts.scheme.lower() != "https":
            raise RetrievalError(f"{url}: refused: only https:// URLs are fetched")
        if not url.isascii() or any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
            raise RetrievalError(f"{url}: refused: the URL has spaces, control or non-ASCII characters")
        if parts.username is not None or parts.password is not None:
            raise RetrievalError(f"{url}: refused: user info in the URL")
        host = parts.hostname
        if not host:
            raise RetrievalError(f"{url}: refused: no host")
        try:
            port = parts.port or 443
        except ValueError as err:
            raise RetrievalError(f"{url}: refused: invalid port") from err
        addresses = self._checked_addresses(url, host, port, deadline=deadline)
        sock = self._connect(url, addresses, deadline=deadline)
        try:
            return self._exchange(url, sock, host=host, port=port, deadline=deadline)
        finally:
            sock.close()

    def _remaining(self, url: str, deadline: float) -> float:
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise RetrievalError(f"{url}: deadline of {self._timeout:g}s exceeded")
        return remaining

    def _checked_addresses(
        self, url: str, host: str, port: int, *, deadline: float
    ) -> list[tuple[socket.AddressFamily, tuple[Any, ...]]]:
        """Resolve ``host`` once and refuse the URL if any address is off limits."""
        try:
            literal: _Address | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        infos: list[tuple[socket.AddressFamily, tuple[Any, ...]]]
        if literal is not None:
            family = socket.AF_INET6 if literal.version == 6 else socket.AF_INET
            infos = [(family, (str(literal), port))]
        else:
            infos = self._lookup(url, host, port, deadline=deadline)
        if not self._allow_private:
            for _family, sockaddr in infos:
                address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
                reason = _refusal_reason(address)
                if reason is not None:
                    raise RetrievalError(f"{url}: refused: {host} is at {address}, a {reason} address")
        return infos

    def _lookup(
        self, url: str, host: str, port: int, *, deadline: float
    ) -> list[tuple[socket.AddressFamily, tuple[Any, ...]]]:
        """getaddrinfo under the deadline (it has no timeout of its own, so it runs in a thread)."""
        result: list[tuple[socket.AddressFamily, tuple[Any, ...]]] = []
        failure: list[BaseException] = []

        def lookup() -> None:
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
                result.extend((family, tuple(sockaddr)) for family, _, _, _, sockaddr in infos)
            except (OSError, UnicodeError) as err:
                failure.append(err)

        worker = threading.Thread(target=lookup, name=f"dns {host}", daemon=True)
        worker.start()
        worker.join(self._remaining(url, deadline))
        if worker.is_alive():
            raise RetrievalError(f"{url}: deadline of {self._timeout:g}s exceeded during DNS lookup")
        if failure:
            raise RetrievalError(f"{url}: DNS lookup of {host} failed ({failure[0]})") from failure[0]
        if not result:
            raise RetrievalError(f"{url}: DNS lookup of {host} returned no address")
        return result

    def _connect(
        self, url: str, addresses: list[tuple[socket.AddressFamily, tuple[Any, ...]]], *, deadline: float
    ) -> socket.socket:
        """TCP connect to the first checked address that answers."""
        last: OSError | None = None
        for family, sockaddr in addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(self._remaining(url, deadline))
                sock.connect(sockaddr)
            except OSError as err:
                sock.close()
                last = err
                continue
            except RetrievalError:
                sock.close()
                raise
            return sock
        raise RetrievalError(f"{url}: could not connect ({last})") from last

    def _exchange(
        self, url: str, raw: socket.socket, *, host: str, port: int, deadline: float
    ) -> tuple[bytes, float]:
        """TLS handshake, one GET, and the response under the deadline and size cap."""
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        host_header = f"[{host}]" if ":" in host else host
        if port != 443:
            host_header += f":{port}"
        request = (
            f"GET {target} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: {_USER_AGENT}\r\n"
            f"Accept: {_ACCEPT}\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n"
        ).encode("ascii")
        try:
            raw.settimeout(self._remaining(url, deadline))
            tls = self._ssl_context.wrap_socket(raw, server_hostname=host, do_handshake_on_connect=False)
        except (OSError, ValueError) as err:
            raise RetrievalError(f"{url}: TLS setup failed ({err})") from err
        try:
            tls.do_handshake()
            tls.settimeout(self._remaining(url, deadline))
            tls.sendall(request)
            reader = io.BufferedReader(_DeadlineReader(tls, deadline, self._clock))
            # HTTPResponse only calls makefile(); the shim hands it the deadline-bound reader.
            response = http.client.HTTPResponse(cast("socket.socket", _ReaderSocket(reader)), method="GET")
            response.begin()
            return self._read_response(url, response)
        except TimeoutError as err:
            raise RetrievalError(f"{url}: deadline of {self._timeout:g}s exceeded") from err
        except ssl.SSLError as err:
            raise RetrievalError(f"{url}: TLS failed ({err.reason or err})") from err
        except (OSError, http.client.HTTPException) as err:
            raise RetrievalError(f"{url}: HTTP exchange failed ({err!r})") from err
        finally:
            tls.close()

    def _read_response(self, url: str, response: http.client.HTTPResponse) -> tuple[bytes, float]:
        status = response.status
        if 300 <= status < 400:
            location = response.getheader("Location")
            raise RetrievalError(f"{url}: redirect not followed (HTTP {status} to {location!r})")
        if status != 200:
            raise RetrievalError(f"{url}: HTTP {status} {response.reason}".rstrip())
        declared = response.getheader("Content-Length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self._max_bytes:
            raise RetrievalError(f"{url}: refused: body of {int(declared)} bytes exceeds {self._max_bytes}")
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = response.read(65_536)
            if not chunk:
                break
            size += len(chunk)
            if size > self._max_bytes:
                raise RetrievalError(f"{url}: refused: body exceeds {self._max_bytes} bytes (cut off)")
            chunks.append(chunk)
        lifetime = _cache_lifetime(response.getheader("Cache-Control"), response.getheader("Age"))
        return b"".join(chunks), lifetime


# --------------------------------------------------------------------------------------------------
# Resolution
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedKey:
    """A verification method, resolved.

    Attributes:
        id: the full verification method URL.
        controller: who controls the key: the DID, the controller document URL, or, for a bare JWK or
            JWKS, the URL of the document that published it.
        public_key: the public key.
        purposes: the verification relationships (``assertionMethod``, ``authentication``, …) of the
            controller document that list this method, by reference or embedded. Empty when the key
            came from a document that states none (a bare JWK, a JWKS, a standalone Multikey).
    """

    id: str
    controller: str
    public_key: PublicKey
    purposes: frozenset[str]


def _refuse_constant(name: str) -> NoReturn:
    # NaN and Infinity are Python extensions, not JSON (RFC 8259 §6).
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def _parse_json_object(body: bytes, url: str) -> dict[str, Any]:
    try:
        value = json.loads(body, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise RetrievalError(f"{url}: not a JSON document ({err})") from err
    if not isinstance(value, dict):
        raise RetrievalError(f"{url}: the JSON document is not an object")
    return value


def _entries(value: object) -> Iterator[object]:
    # JSON-LD compaction may give a single entry instead of a list.
    if isinstance(value, list):
        yield from value
    elif value is not None:
        yield value


def _absolute(reference: object, base: str) -> object:
    """A relative ``#fragment`` reference made absolute against the controller document URL."""
    if isinstance(reference, str) and reference.startswith("#"):
        return base + reference
    return reference


def _decode_method(method: Mapping[str, Any], vm_url: str) -> PublicKey:
    """The public key of a Multikey or JsonWebKey verification method."""
    method_type = method.get("type")
    try:
        if method_type in _MULTIKEY_METHOD_TYPES:
            value = method.get("publicKeyMultibase")
            if not isinstance(value, str):
                raise VerificationMethodError(f"{vm_url}: Multikey without a publicKeyMultibase string")
            return multikey_to_public_key(value)
        if method_type in _JWK_METHOD_TYPES:
            jwk = method.get("publicKeyJwk")
            if not isinstance(jwk, dict):
                raise VerificationMethodError(f"{vm_url}: {method_type} without a publicKeyJwk object")
            return jwk_to_public_key(jwk)
    except KeysError as err:
        raise VerificationMethodError(f"{vm_url}: unusable key ({err})") from err
    raise VerificationMethodError(
        f"{vm_url}: unsupported verification method type {method_type!r} (Multikey, JsonWebKey, JsonWebKey2020)"
    )


def _decode_jwk(jwk: Mapping[str, Any], vm_url: str) -> PublicKey:
    try:
        return jwk_to_public_key(jwk)
    except KeysError as err:
        raise VerificationMethodError(f"{vm_url}: unusable JWK ({err})") from err


def retrieve_verification_method(
    document: Mapping[str, Any], *, controller_url: str, vm_url: str
) -> ResolvedKey:
    """Find a verification method in its controller document, check it, and list its relationships.

    https://www.w3.org/TR/cid-1.0/#retrieve-verification-method (steps 5 to 9) and
    https://www.w3.org/TR/did-1.0/#verification-relationships

    Args:
        document: the controller (DID) document, already fetched and parsed.
        controller_url: the URL (or DID) the document was fetched for: its ``id`` must equal it.
        vm_url: the full verification method URL: ``controller_url`` + ``#fragment``.

    Returns:
        The key, with ``purposes`` = the relationships that list it by reference or embed it.

    Raises:
        KeyResolutionError: document ``id`` mismatch, method missing or defined twice differently,
            method ``controller`` not the document, or an unusable key.
    """
    if document.get("id") != controller_url:
        raise VerificationMethodError(
            f"{vm_url}: the document id {document.get('id')!r} does not match {controller_url!r}"
        )
    if not urldefrag(vm_url).fragment:
        raise VerificationMethodError(f"{vm_url}: a verification method URL needs a #fragment")
    found: list[dict[str, Any]] = []
    purposes: set[str] = set()
    for entry in _entries(document.get("verificationMethod")):
        if isinstance(entry, dict) and _absolute(entry.get("id"), controller_url) == vm_url:
            found.append(entry)
    for relationship in VERIFICATION_RELATIONSHIPS:
        for entry in _entries(document.get(relationship)):
            reference = entry.get("id") if isinstance(entry, dict) else entry
            if _absolute(reference, controller_url) != vm_url:
                continue
            purposes.add(relationship)
            if isinstance(entry, dict):
                found.append(entry)
    if not found:
        raise VerificationMethodError(f"{vm_url}: no such verification method in {controller_url}")
    # The same method may appear embedded and in verificationMethod; two different ones is an attack.
    if len({json.dumps({**method, "id": vm_url}, sort_keys=True) for method in found}) > 1:
        raise VerificationMethodError(f"{vm_url}: defined more than once, differently, in {controller_url}")
    method = found[0]
    controller = _absolute(method.get("controller"), controller_url)
    if controller != controller_url:
        raise VerificationMethodError(
            f"{vm_url}: its controller {method.get('controller')!r} is not {controller_url!r}"
        )
    return ResolvedKey(
        id=vm_url,
        controller=controller_url,
        public_key=_decode_method(method, vm_url),
        purposes=frozenset(purposes),
    )


def _split_did_url(did_url: str) -> tuple[str, str]:
    """(DID, fragment) of a did:key / did:web DID URL; paths and queries are not supported."""
    did, _, fragment = did_url.partition("#")
    if any(char in did for char in "/?"):
        raise VerificationMethodError(f"{did_url}: DID URLs with a path or query are not supported")
    return did, fragment


class Resolver:
    """Resolve verification methods and fetch documents through a :class:`Fetcher` (the KeyResolver)."""

    def __init__(self, fetcher: Fetcher) -> None:
        """Resolve through ``fetcher`` (choose offline, map, network or a chain of them)."""
        self._fetcher = fetcher
        #: Results derived from resolved documents (a status list's verification), keyed by the caller
        #: with the document's content, so a batch checks each list once. Lives as long as the resolver.
        self.memo: dict[Hashable, Any] = {}

    def _fetchable(self, url: str) -> bool:
        """https URLs, and whatever else the fetcher itself serves (a mapped file)."""
        scheme = urlsplit(url).scheme.lower()
        return scheme == "https" or (isinstance(self._fetcher, ScopedFetcher) and self._fetcher.knows(url))

    def resolve_document(self, url: str) -> dict[str, Any]:
        """Fetch and parse a JSON document, such as a status list credential.

        Args:
            url: an ``https://`` URL, or one the fetcher maps.

        Returns:
            The parsed JSON object.

        Raises:
            RetrievalError: another scheme, a fetch failure, not JSON, or not a JSON object.
        """
        if not self._fetchable(url):
            raise RetrievalError(f"{url}: refused: only https:// (or mapped) URLs are fetched")
        return _parse_json_object(self._fetcher.fetch(url), url)

    def did_document(self, did: str) -> dict[str, Any]:
        """The DID document of a did:key (built locally) or did:web (fetched) DID.

        https://w3c-ccg.github.io/did-key-spec/#read and https://w3c-ccg.github.io/did-method-web/#read-resolve

        Args:
            did: ``did:key:…`` or ``did:web:…`` (a fragment is ignored).

        Returns:
            The DID document; for did:web its ``id`` has been checked to be the DID.

        Raises:
            KeyResolutionError: another method, an invalid DID, a fetch failure (cause kept), bad JSON, or a
                document whose ``id`` is not the DID.
        """
        did, _ = _split_did_url(did)
        if did.startswith("did:key:"):
            try:
                return dict(did_key_document(did))
            except KeysError as err:
                raise VerificationMethodError(f"{did}: invalid did:key ({err})") from err
        if did.startswith("did:web:"):
            return self._did_web_document(did)
        raise VerificationMethodError(f"{did}: unsupported DID method (did:key and did:web are)")

    def _did_web_document(self, did: str) -> dict[str, Any]:
        try:
            url = did_web_to_url(did)
        except KeysError as err:
            raise VerificationMethodError(f"{did}: invalid did:web ({err})") from err
        try:
            document = _parse_json_object(self._fetcher.fetch(url), url)
        except RetrievalError as err:
            raise KeyResolutionError(f"{did}: DID document not retrieved: {err}") from err
        if document.get("id") != did:
            raise VerificationMethodError(f"{did}: the DID document at {url} has id {document.get('id')!r}")
        return document

    def resolve_key(self, verification_method: str) -> ResolvedKey:
        """Resolve a verification method URL to its public key, controller and relationships.

        - ``did:key:X#X`` (or ``did:key:X``): no network.
        - ``did:web:…#frag``: the DID document is fetched; the method is found by full id or ``#frag``.
        - ``https://…``: a controller document (``verificationMethod`` and relationships, method found by
          fragment), a Multikey or JsonWebKey document whose ``id`` is the URL, a bare JWK, or a JWKS
          with a key whose ``kid`` is the fragment (or the whole URL).

        https://www.w3.org/TR/cid-1.0/#retrieve-verification-method

        Args:
            verification_method: the ``verificationMethod`` of a proof, or a JWT ``kid``.

        Returns:
            The resolved key.

        Raises:
            KeyResolutionError: anything wrong, naming the URL and the reason; a fetch failure keeps its
                :class:`RetrievalError` as ``__cause__``. Always "indeterminate".
        """
        vm_url = verification_method
        if vm_url.startswith("did:key:"):
            did, fragment = _split_did_url(vm_url)
            document = self.did_document(did)
            # A bare did:key names its only key.
            full = vm_url if fragment else f"{did}#{did.removeprefix('did:key:')}"
            return retrieve_verification_method(document, controller_url=did, vm_url=full)
        if vm_url.startswith("did:web:"):
            did, fragment = _split_did_url(vm_url)
            if not fragment:
                raise VerificationMethodError(f"{vm_url}: a did:web verification method needs a #fragment")
            return retrieve_verification_method(
                self._did_web_document(did), controller_url=did, vm_url=vm_url
            )
        if self._fetchable(vm_url):
            return self._resolve_url_key(vm_url)
        raise VerificationMethodError(
            f"{vm_url}: unsupported verification method URL (did:key, did:web or https)"
        )

    def _resolve_url_key(self, vm_url: str) -> ResolvedKey:
        base, fragment = urldefrag(vm_url)
        try:
            document = _parse_json_object(self._fetcher.fetch(base), base)
        except RetrievalError as err:
            raise KeyResolutionError(f"{vm_url}: key document not retrieved: {err}") from err
        if isinstance(document.get("keys"), list):
            return self._from_jwks(document["keys"], vm_url=vm_url, base=base, fragment=fragment)
        if "verificationMethod" in document or any(rel in document for rel in VERIFICATION_RELATIONSHIPS):
            return retrieve_verification_method(document, controller_url=base, vm_url=vm_url)
        if document.get("type") in _MULTIKEY_METHOD_TYPES | _JWK_METHOD_TYPES:
            if document.get("id") != vm_url:
                raise VerificationMethodError(f"{vm_url}: the key document has id {document.get('id')!r}")
            controller = document.get("controller")
            if not isinstance(controller, str) or not controller:
                raise VerificationMethodError(f"{vm_url}: the key document has no controller")
            return ResolvedKey(
                id=vm_url,
                controller=controller,
                public_key=_decode_method(document, vm_url),
                purposes=frozenset(),
            )
        if "kty" in document:
            kid = document.get("kid")
            if fragment and kid is not None and kid not in (fragment, vm_url):
                raise VerificationMethodError(f"{vm_url}: the JWK has kid {kid!r}")
            return ResolvedKey(
                id=vm_url, controller=base, public_key=_decode_jwk(document, vm_url), purposes=frozenset()
            )
        raise VerificationMethodError(
            f"{vm_url}: not a key document (controller document, Multikey, JsonWebKey, JWK or JWKS)"
        )

    @staticmethod
    def _from_jwks(keys: list[Any], *, vm_url: str, base: str, fragment: str) -> ResolvedKey:
        if not fragment:
            raise VerificationMethodError(f"{vm_url}: a JWKS key is named by its kid in the URL fragment")
        matches = [key for key in keys if isinstance(key, dict) and key.get("kid") in (fragment, vm_url)]
        if not matches:
            raise VerificationMethodError(f"{vm_url}: no key with kid {fragment!r} in the JWKS")
        if len(matches) > 1:
            raise VerificationMethodError(f"{vm_url}: {len(matches)} keys with kid {fragment!r} in the JWKS")
        return ResolvedKey(
            id=vm_url, controller=base, public_key=_decode_jwk(matches[0], vm_url), purposes=frozenset()
        )
