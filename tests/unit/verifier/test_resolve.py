"""verifier.resolve: fetchers (map, offline, chain, recording, HTTPS with SSRF guards) and key resolution."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from keys.encoding import public_key_to_jwk, public_key_to_multikey
from tests.unit.verifier.tls_server import Route, TlsServer
from verifier.errors import KeyResolutionError, RetrievalError, VerificationMethodError
from verifier.resolve import (
    ChainFetcher,
    HttpsFetcher,
    MapFetcher,
    OfflineFetcher,
    RecordingFetcher,
    Resolver,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

REPO = Path(__file__).resolve().parents[3]
SPEC = REPO.parent / "shared" / "spec"
EDDSA = SPEC / "vectors" / "eddsa"

DID = "did:web:issuer.example"
DID_URL = "https://issuer.example/.well-known/did.json"
BIG = 4096


# --------------------------------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------------------------------


@pytest.fixture(name="server")
def fx_server(tmp_path: Path) -> Iterator[TlsServer]:
    routes = {
        "/doc.json": Route(body=b'{"hello": "world"}'),
        "/cached.json": Route(body=b'{"n": 1}', headers=(("Cache-Control", "public, max-age=60"),)),
        "/no-store.json": Route(body=b'{"n": 2}', headers=(("Cache-Control", "no-store, max-age=60"),)),
        "/redirect": Route(status=302, headers=(("Location", "https://169.254.169.254/latest/meta-data/"),)),
        "/big-declared": Route(body=b"x" * (BIG + 1)),
        "/big-undeclared": Route(body=b"x" * (BIG * 4), content_length=False),
        "/drip": Route(body=b"y" * 200, drip_interval=0.05),
    }
    server = TlsServer(tmp_path, routes)
    yield server
    server.close()


def _fetcher(server: TlsServer, **kwargs: Any) -> HttpsFetcher:
    return HttpsFetcher(ssl_context=server.client_context(), allow_private=True, max_bytes=BIG, **kwargs)


def _ed25519(seed: int) -> ed25519.Ed25519PrivateKey:
    # Deterministic test keys: no randomness needed for resolution tests.
    return ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)


def _raw(key: object) -> bytes:
    assert isinstance(key, ed25519.Ed25519PublicKey)
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _write_map(tmp_path: Path, documents: dict[str, object]) -> MapFetcher:
    """Write each document to a file and a resolve map (relative paths) naming them."""
    mapping: dict[str, str] = {}
    for index, (url, document) in enumerate(documents.items()):
        name = f"doc{index}.json"
        content = document if isinstance(document, bytes) else json.dumps(document).encode()
        (tmp_path / name).write_bytes(content)
        mapping[url] = name
    map_path = tmp_path / "resolve.json"
    map_path.write_text(json.dumps(mapping), encoding="utf-8")
    return MapFetcher.from_file(map_path)


def _did_web_document(*, assertion: list[object] | None = None, **overrides: object) -> dict[str, object]:
    key_1 = public_key_to_multikey(_ed25519(1).public_key())
    key_2 = public_key_to_multikey(_ed25519(2).public_key())
    document: dict[str, object] = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": DID,
        "verificationMethod": [
            {"id": f"{DID}#key-1", "type": "Multikey", "controller": DID, "publicKeyMultibase": key_1},
            {"id": "#key-2", "type": "Multikey", "controller": DID, "publicKeyMultibase": key_2},
        ],
        "assertionMethod": [f"{DID}#key-1"] if assertion is None else assertion,
        "authentication": ["#key-2"],
    }
    document.update(overrides)
    return document


def _did_web_resolver(tmp_path: Path, document: object) -> Resolver:
    return Resolver(_write_map(tmp_path, {DID_URL: document}))


# --------------------------------------------------------------------------------------------------
# Map, offline, chain and recording fetchers
# --------------------------------------------------------------------------------------------------


def test_map_fetcher_serves_files_relative_to_the_map_file(tmp_path: Path) -> None:
    sub = tmp_path / "maps"
    sub.mkdir()
    (sub / "list.json").write_bytes(b'{"a": 1}')
    (sub / "map.json").write_text(json.dumps({"https://x.example/list": "list.json"}), encoding="utf-8")
    fetcher = MapFetcher.from_file(sub / "map.json")
    assert fetcher.fetch("https://x.example/list") == b'{"a": 1}'
    assert fetcher.fetch("https://x.example/list#frag") == b'{"a": 1}'
    assert fetcher.knows("https://x.example/list")
    assert not fetcher.knows("https://x.example/other")


def test_map_fetcher_unknown_url_is_retrieval_error(tmp_path: Path) -> None:
    fetcher = MapFetcher({"https://x.example/a": tmp_path / "a.json"})
    with pytest.raises(RetrievalError, match="not in the resolve map"):
        fetcher.fetch("https://x.example/b")


def test_map_fetcher_missing_mapped_file_is_retrieval_error(tmp_path: Path) -> None:
    fetcher = MapFetcher({"https://x.example/a": tmp_path / "missing.json"})
    with pytest.raises(RetrievalError, match="cannot be read"):
        fetcher.fetch("https://x.example/a")


@pytest.mark.parametrize("content", [b"[1, 2]", b'{"https://x.example/a": 3}', b"{nope"])
def test_map_fetcher_from_file_rejects_a_bad_map(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "map.json").write_bytes(content)
    with pytest.raises(RetrievalError, match="resolve map"):
        MapFetcher.from_file(tmp_path / "map.json")


def test_offline_fetcher_refuses_everything() -> None:
    with pytest.raises(RetrievalError, match=r"^offline: https://x\.example/a"):
        OfflineFetcher().fetch("https://x.example/a")


def test_chain_fetcher_first_that_knows_wins_then_the_last_refuses(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(b"mapped")
    chain = ChainFetcher(MapFetcher({"https://x.example/a": tmp_path / "a.json"}), OfflineFetcher())
    assert chain.fetch("https://x.example/a") == b"mapped"
    with pytest.raises(RetrievalError, match=r"^offline: "):
        chain.fetch("https://x.example/b")


def test_chain_fetcher_map_is_preferred_over_network(tmp_path: Path, server: TlsServer) -> None:
    (tmp_path / "a.json").write_bytes(b"from the map")
    url = server.url("/doc.json")
    chain = ChainFetcher(MapFetcher({url: tmp_path / "a.json"}), _fetcher(server))
    assert chain.fetch(url) == b"from the map"
    assert server.connections == 0
    assert chain.fetch(server.url("/cached.json")) == b'{"n": 1}'
    assert server.connections == 1


def test_recording_fetcher_keeps_what_it_returned(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(b"A")
    recorder = RecordingFetcher(
        ChainFetcher(MapFetcher({"https://x.example/a": tmp_path / "a.json"}), OfflineFetcher())
    )
    assert recorder.fetch("https://x.example/a") == b"A"
    with pytest.raises(RetrievalError):
        recorder.fetch("https://x.example/b")
    assert recorder.fetched == {"https://x.example/a": b"A"}


# --------------------------------------------------------------------------------------------------
# HttpsFetcher against a real local TLS server
# --------------------------------------------------------------------------------------------------


def test_https_fetcher_fetches_with_name_in_sni_and_host(server: TlsServer) -> None:
    body = _fetcher(server).fetch(server.url("/doc.json#fragment-not-sent"))
    assert body == b'{"hello": "world"}'
    assert server.requests == ["/doc.json"]
    assert server.hosts == [f"localhost:{server.port}"]
    assert server.server_names == ["localhost"]


def test_https_fetcher_refuses_http_scheme(server: TlsServer) -> None:
    with pytest.raises(RetrievalError, match="only https"):
        _fetcher(server).fetch(f"http://localhost:{server.port}/doc.json")
    assert server.connections == 0


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.0.0.1", "private"),
        ("[::1]", "loopback"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - an address the fetcher must refuse
        ("224.0.0.1", "multicast"),
        ("100.64.0.1", "not globally routable"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("[64:ff9b::a00:1]", "private"),
    ],
)
def test_https_fetcher_refuses_special_addresses_without_connecting(
    server: TlsServer, host: str, reason: str
) -> None:
    fetcher = HttpsFetcher(ssl_context=server.client_context())
    with pytest.raises(RetrievalError, match=f"refused: .* a {re.escape(reason)}"):
        fetcher.fetch(f"https://{host}:{server.port}/doc.json")
    # The server listens on 127.0.0.1: a connection attempt to the loopback case would have been counted.
    assert server.connections == 0


def test_https_fetcher_refuses_a_name_that_resolves_to_loopback(server: TlsServer) -> None:
    fetcher = HttpsFetcher(ssl_context=server.client_context())
    with pytest.raises(RetrievalError, match=r"refused: localhost is at .*loopback"):
        fetcher.fetch(server.url("/doc.json"))
    assert server.connections == 0


def test_https_fetcher_refuses_user_info(server: TlsServer) -> None:
    with pytest.raises(RetrievalError, match="user info"):
        _fetcher(server).fetch(f"https://user:pw@localhost:{server.port}/doc.json")
    assert server.connections == 0


def test_https_fetcher_does_not_follow_a_redirect(server: TlsServer) -> None:
    with pytest.raises(
        RetrievalError, match=r"redirect not followed \(HTTP 302 to 'https://169\.254\.169\.254/"
    ):
        _fetcher(server).fetch(server.url("/redirect"))
    assert server.requests == ["/redirect"]


def test_https_fetcher_refuses_a_404(server: TlsServer) -> None:
    with pytest.raises(RetrievalError, match="HTTP 404"):
        _fetcher(server).fetch(server.url("/missing"))


def test_https_fetcher_refuses_a_declared_oversized_body(server: TlsServer) -> None:
    with pytest.raises(RetrievalError, match=f"body of {BIG + 1} bytes exceeds {BIG}"):
        _fetcher(server).fetch(server.url("/big-declared"))


def test_https_fetcher_cuts_off_an_undeclared_oversized_body(server: TlsServer) -> None:
    with pytest.raises(RetrievalError, match=f"body exceeds {BIG} bytes"):
        _fetcher(server).fetch(server.url("/big-undeclared"))


def test_https_fetcher_slow_drip_is_stopped_by_the_total_deadline(server: TlsServer) -> None:
    # Each byte arrives well within any socket timeout; only a total deadline ends this.
    with pytest.raises(RetrievalError, match=re.escape("deadline of 0.5s exceeded")):
        _fetcher(server, timeout=0.5).fetch(server.url("/drip"))


def test_https_fetcher_refuses_an_untrusted_certificate(server: TlsServer) -> None:
    with pytest.raises(RetrievalError, match="TLS failed"):
        HttpsFetcher(allow_private=True).fetch(server.url("/doc.json"))


def test_https_fetcher_cache_hit_does_not_reconnect_until_max_age(server: TlsServer) -> None:
    now = [1000.0]
    fetcher = _fetcher(server, clock=lambda: now[0])
    url = server.url("/cached.json")
    assert fetcher.fetch(url) == b'{"n": 1}'
    now[0] += 59
    assert fetcher.fetch(url) == b'{"n": 1}'
    assert server.connections == 1
    now[0] += 2
    assert fetcher.fetch(url) == b'{"n": 1}'
    assert server.connections == 2


def test_https_fetcher_no_store_is_not_cached(server: TlsServer) -> None:
    fetcher = _fetcher(server, clock=lambda: 1000.0)
    url = server.url("/no-store.json")
    assert fetcher.fetch(url) == fetcher.fetch(url)
    assert server.connections == 2


# --------------------------------------------------------------------------------------------------
# Resolver: did:key
# --------------------------------------------------------------------------------------------------


def test_resolver_did_key_w3c_vector_key_verifies_the_vector_signature() -> None:
    signed = json.loads((EDDSA / "eddsa-rdfc-2022" / "signedDataInt.json").read_text(encoding="utf-8"))
    method = signed["proof"]["verificationMethod"]
    key = Resolver(OfflineFetcher()).resolve_key(method)
    assert key.id == method
    assert key.controller == method.partition("#")[0]
    assert "assertionMethod" in key.purposes
    signature = bytes.fromhex((EDDSA / "eddsa-rdfc-2022" / "sigHexDataInt.txt").read_text().strip())
    combined = bytes.fromhex((EDDSA / "eddsa-rdfc-2022" / "combinedHashDataInt.txt").read_text().strip())
    assert isinstance(key.public_key, ed25519.Ed25519PublicKey)
    key.public_key.verify(signature, combined)  # raises InvalidSignature on a wrong key


def test_resolver_did_key_1edtech_and_dcc_vector_keys() -> None:
    html = (SPEC / "vectors" / "ob-eddsa-rdfc-2022" / "linked-data-proof-ob.html").read_text(encoding="utf-8")
    match = re.search(r"Public key \(hex\):\s*<code\s*>([0-9a-f]{64})", html)
    assert match is not None
    resolver = Resolver(OfflineFetcher())
    ob = resolver.resolve_key("did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")
    assert _raw(ob.public_key) == bytes.fromhex(match.group(1))
    assert (
        ob.id
        == "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
    )
    dcc = json.loads(
        (SPEC / "examples" / "dcc" / "obv3-eddsa-rdfc-2022-didkey-with-bitstring-status.json").read_text(
            encoding="utf-8"
        )
    )
    key = resolver.resolve_key(dcc["proof"]["verificationMethod"])
    assert key.controller == dcc["issuer"]["id"]
    assert key.purposes >= {"assertionMethod", "authentication"}


def test_resolver_did_key_wrong_fragment_is_invalid_verification_method() -> None:
    keypair = json.loads((EDDSA / "keyPair.json").read_text(encoding="utf-8"))
    did = "did:key:" + keypair["publicKeyMultibase"]
    with pytest.raises(VerificationMethodError, match=re.escape(did)):
        Resolver(OfflineFetcher()).resolve_key(did + "#key-1")


def test_resolver_did_key_invalid_is_invalid_verification_method() -> None:
    with pytest.raises(VerificationMethodError, match="invalid did:key"):
        Resolver(OfflineFetcher()).resolve_key("did:key:zNotBase58!#zNotBase58!")


# --------------------------------------------------------------------------------------------------
# Resolver: did:web through a resolve map
# --------------------------------------------------------------------------------------------------


def test_resolver_did_web_key_under_assertion_method_has_that_purpose(tmp_path: Path) -> None:
    key = _did_web_resolver(tmp_path, _did_web_document()).resolve_key(f"{DID}#key-1")
    assert key.id == f"{DID}#key-1"
    assert key.controller == DID
    assert key.purposes == frozenset({"assertionMethod"})
    assert _raw(key.public_key) == _raw(_ed25519(1).public_key())


def test_resolver_did_web_key_not_listed_lacks_assertion_method(tmp_path: Path) -> None:
    key = _did_web_resolver(tmp_path, _did_web_document()).resolve_key(f"{DID}#key-2")
    assert "assertionMethod" not in key.purposes
    assert key.purposes == frozenset({"authentication"})
    assert _raw(key.public_key) == _raw(_ed25519(2).public_key())


def test_resolver_did_web_relative_reference_and_embedded_method(tmp_path: Path) -> None:
    embedded = {
        "id": "#key-3",
        "type": "JsonWebKey",
        "controller": DID,
        "publicKeyJwk": public_key_to_jwk(ec.derive_private_key(7, ec.SECP256R1()).public_key()),
    }
    document = _did_web_document(assertion=["#key-2", embedded])
    resolver = _did_web_resolver(tmp_path, document)
    assert resolver.resolve_key(f"{DID}#key-2").purposes == frozenset({"assertionMethod", "authentication"})
    key_3 = resolver.resolve_key(f"{DID}#key-3")
    assert key_3.purposes == frozenset({"assertionMethod"})
    assert isinstance(key_3.public_key, ec.EllipticCurvePublicKey)


def test_resolver_did_web_wrong_controller_is_invalid_verification_method(tmp_path: Path) -> None:
    document = _did_web_document()
    methods = document["verificationMethod"]
    assert isinstance(methods, list)
    methods[0]["controller"] = "did:web:attacker.example"
    with pytest.raises(VerificationMethodError, match=re.escape("controller 'did:web:attacker.example'")):
        _did_web_resolver(tmp_path, document).resolve_key(f"{DID}#key-1")


def test_resolver_did_web_document_id_mismatch_is_invalid_verification_method(tmp_path: Path) -> None:
    document = _did_web_document(id="did:web:attacker.example")
    with pytest.raises(VerificationMethodError, match=re.escape("has id 'did:web:attacker.example'")):
        _did_web_resolver(tmp_path, document).resolve_key(f"{DID}#key-1")


def test_resolver_did_web_unknown_fragment_is_invalid_verification_method(tmp_path: Path) -> None:
    with pytest.raises(VerificationMethodError, match="no such verification method"):
        _did_web_resolver(tmp_path, _did_web_document()).resolve_key(f"{DID}#key-9")


def test_resolver_did_web_conflicting_definitions_are_refused(tmp_path: Path) -> None:
    other = public_key_to_multikey(_ed25519(9).public_key())
    impostor = {"id": f"{DID}#key-1", "type": "Multikey", "controller": DID, "publicKeyMultibase": other}
    document = _did_web_document(assertion=[impostor])
    with pytest.raises(VerificationMethodError, match="defined more than once"):
        _did_web_resolver(tmp_path, document).resolve_key(f"{DID}#key-1")


def test_resolver_did_web_private_jwk_is_refused(tmp_path: Path) -> None:
    jwk = public_key_to_jwk(_ed25519(1).public_key())
    jwk["d"] = base64.urlsafe_b64encode(bytes([1]) * 32).rstrip(b"=").decode()
    method = {"id": "#jwk", "type": "JsonWebKey2020", "controller": DID, "publicKeyJwk": jwk}
    document = _did_web_document(verificationMethod=[method], assertionMethod=["#jwk"])
    with pytest.raises(VerificationMethodError, match="private key material"):
        _did_web_resolver(tmp_path, document).resolve_key(f"{DID}#jwk")


def test_resolver_did_web_without_fragment_is_invalid_verification_method(tmp_path: Path) -> None:
    with pytest.raises(VerificationMethodError, match="needs a #fragment"):
        _did_web_resolver(tmp_path, _did_web_document()).resolve_key(DID)


def test_resolver_did_web_fetch_failure_is_indeterminate_with_retrieval_cause() -> None:
    with pytest.raises(KeyResolutionError, match="offline: ") as caught:
        Resolver(OfflineFetcher()).resolve_key(f"{DID}#key-1")
    assert isinstance(caught.value.__cause__, RetrievalError)
    assert caught.value.indeterminate


def test_resolver_did_web_not_json_is_indeterminate(tmp_path: Path) -> None:
    with pytest.raises(KeyResolutionError, match="not a JSON document"):
        _did_web_resolver(tmp_path, b"<html></html>").resolve_key(f"{DID}#key-1")


def test_resolver_did_document_for_did_key_and_did_web(tmp_path: Path) -> None:
    resolver = _did_web_resolver(tmp_path, _did_web_document())
    assert resolver.did_document(DID)["id"] == DID
    did_key = "did:key:" + public_key_to_multikey(_ed25519(1).public_key())
    assert resolver.did_document(did_key)["assertionMethod"] == [f"{did_key}#{did_key[8:]}"]
    with pytest.raises(VerificationMethodError, match="unsupported DID method"):
        resolver.did_document("did:example:123")


def test_resolver_did_web_over_tls_end_to_end(server: TlsServer) -> None:
    # did_web_to_url refuses IP hosts, so this goes through "localhost", a real DNS lookup and TLS.
    did = f"did:web:localhost%3A{server.port}"
    key = public_key_to_multikey(_ed25519(4).public_key())
    document = {
        "id": did,
        "verificationMethod": [
            {"id": "#k", "type": "Multikey", "controller": did, "publicKeyMultibase": key}
        ],
        "assertionMethod": ["#k"],
    }
    server.add_route("/.well-known/did.json", Route(body=json.dumps(document).encode()))
    resolved = Resolver(_fetcher(server)).resolve_key(f"{did}#k")
    assert resolved.purposes == frozenset({"assertionMethod"})
    assert _raw(resolved.public_key) == _raw(_ed25519(4).public_key())
    assert server.requests == ["/.well-known/did.json"]


# --------------------------------------------------------------------------------------------------
# Resolver: HTTPS key documents and plain documents
# --------------------------------------------------------------------------------------------------

ISSUER = "https://example.edu/issuers/565049"
OB_KEY = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"


def test_resolver_https_controller_document_like_the_1edtech_vector(tmp_path: Path) -> None:
    profile = {
        "id": ISSUER,
        "type": ["Profile"],
        "verificationMethod": [
            {
                "id": f"{ISSUER}#{OB_KEY}",
                "type": "Multikey",
                "controller": ISSUER,
                "publicKeyMultibase": OB_KEY,
            }
        ],
        "assertionMethod": [f"#{OB_KEY}"],
    }
    signed = json.loads(
        (SPEC / "vectors" / "ob-eddsa-rdfc-2022" / "signed-credential.json").read_text(encoding="utf-8")
    )
    method = (
        signed["proof"][0]["verificationMethod"]
        if isinstance(signed["proof"], list)
        else signed["proof"]["verificationMethod"]
    )
    key = Resolver(_write_map(tmp_path, {ISSUER: profile})).resolve_key(method)
    assert key.controller == ISSUER
    assert key.purposes == frozenset({"assertionMethod"})
    assert public_key_to_multikey(key.public_key) == OB_KEY


def test_resolver_https_jwks_by_kid(tmp_path: Path) -> None:
    jwks = {
        "keys": [
            public_key_to_jwk(_ed25519(1).public_key(), kid="k1"),
            public_key_to_jwk(_ed25519(2).public_key(), kid="k2"),
        ]
    }
    resolver = Resolver(_write_map(tmp_path, {"https://issuer.example/jwks.json": jwks}))
    key = resolver.resolve_key("https://issuer.example/jwks.json#k2")
    assert _raw(key.public_key) == _raw(_ed25519(2).public_key())
    assert key.controller == "https://issuer.example/jwks.json"
    assert key.purposes == frozenset()
    with pytest.raises(VerificationMethodError, match="no key with kid 'k3'"):
        resolver.resolve_key("https://issuer.example/jwks.json#k3")
    with pytest.raises(VerificationMethodError, match="kid in the URL fragment"):
        resolver.resolve_key("https://issuer.example/jwks.json")


def test_resolver_https_bare_jwk_and_multikey_documents(tmp_path: Path) -> None:
    jwk_url = "https://issuer.example/keys/jwk.json"
    multikey_url = "https://issuer.example/keys/1"
    multikey_doc = {
        "id": multikey_url,
        "type": "Multikey",
        "controller": "https://issuer.example/",
        "publicKeyMultibase": public_key_to_multikey(_ed25519(3).public_key()),
    }
    resolver = Resolver(
        _write_map(
            tmp_path,
            {jwk_url: public_key_to_jwk(_ed25519(1).public_key(), kid="a"), multikey_url: multikey_doc},
        )
    )
    assert _raw(resolver.resolve_key(jwk_url + "#a").public_key) == _raw(_ed25519(1).public_key())
    with pytest.raises(VerificationMethodError, match="the JWK has kid 'a'"):
        resolver.resolve_key(jwk_url + "#b")
    key = resolver.resolve_key(multikey_url)
    assert key.controller == "https://issuer.example/"
    assert _raw(key.public_key) == _raw(_ed25519(3).public_key())


def test_resolver_https_document_that_is_no_key_is_refused(tmp_path: Path) -> None:
    resolver = Resolver(_write_map(tmp_path, {"https://issuer.example/x": {"name": "not a key"}}))
    with pytest.raises(VerificationMethodError, match="not a key document"):
        resolver.resolve_key("https://issuer.example/x#k")


def test_resolver_unsupported_scheme_is_invalid_verification_method() -> None:
    with pytest.raises(VerificationMethodError, match="unsupported verification method URL"):
        Resolver(OfflineFetcher()).resolve_key("http://issuer.example/key")


def test_resolver_resolve_document_through_map_and_refusals(tmp_path: Path) -> None:
    resolver = Resolver(
        ChainFetcher(
            _write_map(
                tmp_path,
                {
                    "https://status.example/list": {"type": ["VerifiableCredential"]},
                    "http://mapped.example/list": {"ok": True},
                    "https://status.example/array": [1],
                    "https://status.example/nan": b'{"n": NaN}',
                },
            ),
            OfflineFetcher(),
        )
    )
    assert resolver.resolve_document("https://status.example/list") == {"type": ["VerifiableCredential"]}
    assert resolver.resolve_document("http://mapped.example/list") == {"ok": True}
    with pytest.raises(RetrievalError, match="only https"):
        resolver.resolve_document("http://status.example/list")
    with pytest.raises(RetrievalError, match="not an object"):
        resolver.resolve_document("https://status.example/array")
    with pytest.raises(RetrievalError, match="not a JSON document"):
        resolver.resolve_document("https://status.example/nan")
    with pytest.raises(RetrievalError, match=r"^offline: "):
        resolver.resolve_document("https://status.example/unknown")
