"""Regression: RDFC-1.0 canonicalization from many threads at once (the service signs in worker threads).

pyld's context caches are not thread-safe; before ``verifier.canonical`` serialised its pyld calls,
16 threads canonicalizing badges failed now and then with "OrderedDict mutated during iteration" or a
KeyError naming a context's internal uuid (seen first in tests/integration/issuer/test_concurrency.py).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from issuer.issuance import Award, IssuerProfile, build_credential
from tests.conftest import NOW
from verifier.canonical import rdfc_1_0

if TYPE_CHECKING:
    from issuer.definitions import BadgeCatalog


def test_rdfc_1_0_gives_the_same_answers_from_many_threads(catalog: BadgeCatalog) -> None:
    profile = IssuerProfile(id="did:web:badges.example.edu:orgs:lincoln-hs", name="Lincoln High School")
    documents = [
        build_credential(
            Award(definition=catalog.get("weld-smaw-3f"), level=3, recipient=f"did:example:learner-{number}"),
            profile,
            credential_id=f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
            now=NOW,
            salt="5a1t",
        )
        for number in range(48)
    ]
    expected = [rdfc_1_0(document) for document in documents]
    with ThreadPoolExecutor(max_workers=16) as pool:
        for _ in range(3):
            assert list(pool.map(rdfc_1_0, documents)) == expected
