"""Properties of the Bitstring Status List codec: encode -> decode loses and invents nothing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.status import MIN_ENTRIES, BitstringStatusList

# Decoding scans every entry; no deadline because the shared machine is noisy.
SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def _size_and_indexes(draw: st.DrawFn) -> tuple[int, set[int]]:
    size = draw(st.integers(min_value=1, max_value=20_000))
    indexes = draw(st.sets(st.integers(min_value=0, max_value=size - 1), max_size=200))
    return size, indexes


@SETTINGS
@given(_size_and_indexes())
def test_status_list_round_trip_gives_back_exactly_the_set(case: tuple[int, set[int]]) -> None:
    size, indexes = case
    status_list = BitstringStatusList(size)
    for index in indexes:
        status_list.set(index, 1)

    decoded = BitstringStatusList.decode(status_list.encode(), minimum_entries=size)

    # The bitstring is whole bytes, so the decoded list may be up to 7 entries longer.
    assert size <= len(decoded) < size + 8
    assert {i for i in range(len(decoded)) if decoded.get(i)} == indexes


# Fewer examples: each one scans all 131,072 entries.
@settings(max_examples=10, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=MIN_ENTRIES - 1), max_size=300))
def test_status_list_round_trip_at_spec_minimum(indexes: set[int]) -> None:
    status_list = BitstringStatusList()
    for index in indexes:
        status_list.set(index, 1)

    decoded = BitstringStatusList.decode(status_list.encode())

    assert len(decoded) == MIN_ENTRIES
    assert {i for i in range(MIN_ENTRIES) if decoded.get(i)} == indexes


@SETTINGS
@given(
    st.integers(min_value=1, max_value=8).flatmap(
        lambda bits: st.tuples(
            st.just(bits),
            st.dictionaries(
                st.integers(min_value=0, max_value=999),
                st.integers(min_value=0, max_value=(1 << bits) - 1),
                max_size=100,
            ),
        )
    )
)
def test_status_list_multi_bit_values_round_trip(case: tuple[int, dict[int, int]]) -> None:
    status_size, values = case
    status_list = BitstringStatusList(1000, status_size=status_size)
    for index, value in values.items():
        status_list.set(index, value)

    decoded = BitstringStatusList.decode(status_list.encode(), status_size=status_size, minimum_entries=1000)

    assert {i: decoded.get(i) for i in range(1000) if decoded.get(i)} == {
        i: v for i, v in values.items() if v
    }
