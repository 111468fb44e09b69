"""Canonical forms: RDFC-1.0 canonical N-Quads of a JSON-LD document, and JCS (RFC 8785).

RDFC-1.0 is done in two steps: pyld turns the JSON-LD document into an RDF dataset (toRdf, with the
pinned document loader, in "safe mode"), then pyoxigraph labels the blank nodes and serializes the
dataset. pyld's own canonicalizer is not used: it leaves control characters such as ``\\b`` unescaped
and so is not RDFC-1.0 conformant (../shared/MEASURED.md); pyoxigraph passes the whole W3C suite.

Safe mode (as jsonld.js ``safeMode``): a property whose term the ``@context`` does not define, or any
IRI that would have to be resolved against the document's base (a relative ``@id`` or ``@type``, an
undefined type name), is an error rather than a silently dropped or invented triple: three
implementations would otherwise sign three different datasets.

Poison graphs: RDFC-1.0's worst case is exponential in the number of blank nodes that cannot be told
apart, and pyoxigraph has no call limit. :func:`_check_blank_node_bounds` refuses such graphs before
canonicalizing (see the figures there).

Large documents: pyld's node map checks each new value of a property against all the values it already
has, so its time is quadratic in the number of values of one property of one node. :func:`_check_json_size`
(before pyld) and :func:`_check_property_values` (after expansion, where arrays of arrays are flattened
and node objects sharing an ``@id`` are merged) refuse documents that would take long.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import TYPE_CHECKING, Any, Final

import pyoxigraph as ox
import rfc8785
from pyld import jsonld
from pyld.context_resolver import ContextResolver

from verifier.document_loader import DEFAULT_LOADER, PinnedDocumentLoader
from verifier.errors import CanonicalizationError, VerifierError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "MAX_AMBIGUOUS_BLANK_NODES",
    "MAX_AMBIGUOUS_COMPONENT",
    "MAX_AMBIGUOUS_GRAPH_LINKS",
    "MAX_AMBIGUOUS_LINKS",
    "MAX_AMBIGUOUS_NODE_QUADS",
    "MAX_ARRAY_ITEMS",
    "MAX_BLANK_NODES",
    "MAX_INDISTINGUISHABLE_RELATED",
    "MAX_JSON_NODES",
    "canonicalize_nquads",
    "jcs",
    "rdfc_1_0",
]

# Relative IRIs are resolved against this base; any IRI under it in the output means the document
# relied on a base IRI (a relative @id/@type or an undefined type name). ".invalid" cannot resolve.
_SENTINEL_BASE: Final = "https://relative-iri.invalid/"

_ALGORITHMS: Final = {
    "RDFC-1.0": ox.CanonicalizationAlgorithm.RDFC_1_0,
    "RDFC-1.0-SHA-256": ox.CanonicalizationAlgorithm.RDFC_1_0_SHA_256,
    "RDFC-1.0-SHA-384": ox.CanonicalizationAlgorithm.RDFC_1_0_SHA_384,
}

# --- Poison-graph bounds -------------------------------------------------------------------------
# RDFC-1.0 labels a blank node with a unique first-degree hash (§4.6) directly; only "ambiguous"
# nodes (sharing their first-degree hash with another) go through Hash N-Degree Quads (§4.8), which
# permutes each set of indistinguishable related blank nodes and recurses through the unlabeled
# ones. Its cost is confined to connected groups of ambiguous nodes and grows with their size, the
# number of links between them, and the size of the permuted sets.
#
# pyoxigraph 0.5.13, one core of this 2-core shared machine, best of 3 (ms):
#   all-linked graph (clique, one predicate) of n ambiguous nodes:
#     n = 4: 0.6   5: 4.5   6: 41   7: 366   8: 4178   9: 70480   10: 766150
#     (x9..x17 per node, so 11 and 12 would take hours; W3C test074 is a 10-clique)
#   two nodes linked by 1000 different predicates: 8178  (many small permuted sets, deep recursion)
#   symmetric graphs within the bounds below (all circulant graphs on 4..8 nodes with <= 6 links
#   per node and two predicates, K(a,b) bipartite, the cube, random 3-regular digraphs):
#     worst single group 12.3 (K4,4), three of them 36.9; W3C test044 (two 6-node groups) 4.1
#   a real OpenBadgeCredential: 4 to 15 blank nodes, none ambiguous (so the bounds never apply).
#   1000 distinguishable blank nodes (MAX_BLANK_NODES): 12.
# With the bounds below the worst accepted graph found takes 23 to 37 ms (3,098 graphs swept,
# run to run noise); a refusal takes under 1 ms, the check itself ~20 us on a badge.
MAX_BLANK_NODES: Final = 1000
"""Blank nodes in one dataset."""
# Ambiguous groups cost independently: 1, 3, 10, 20 disjoint copies of the worst accepted group (K4,4)
# took 8.8, 23, 83, 148 ms. 160 (twenty full groups, ~150 ms) lets a presentation of 20 badges of the
# same achievement through; 24 refused one of 5.
# Groups of one or two ambiguous nodes are exempt: they are what a transcript or presentation is made
# of (the same achievement's criteria and alignments once per badge; the proof graph of the same
# endorsement once per badge), and they cost little however many: 1000 isolated copies 16 ms, 480
# pairs linked both ways by 6 predicates 44 ms, 500 copies of one proof graph 13 ms (same machine).
MAX_AMBIGUOUS_BLANK_NODES: Final = 160
"""Blank nodes whose first-degree hash (RDFC-1.0 §4.6) is shared with another blank node, counting
only those in connected groups of three or more."""
MAX_AMBIGUOUS_COMPONENT: Final = 8
"""Ambiguous blank nodes connected to each other through quads."""
MAX_AMBIGUOUS_LINKS: Final = 6
"""Distinct relations (position, predicate, node) of one ambiguous blank node to other ambiguous blank
nodes, as subject and object of quads (relations through a graph: ``MAX_AMBIGUOUS_GRAPH_LINKS``)."""
# A graph and a node in it (a Data Integrity proof graph and its proof node) are linked through every
# quad of the proof, each predicate a relation: a copy of one proof graph per badge (the same endorsement
# in several badges of a transcript) has 6 to 11. Two alike graphs of k quads took 0.1 / 0.8 / 13 ms for
# k = 8 / 30 / 100, and 100 alike graphs of 12 quads 10 ms (same machine); the other bounds apply too.
MAX_AMBIGUOUS_GRAPH_LINKS: Final = 16
"""Relations of one ambiguous blank node to other ambiguous blank nodes through a graph: it names the
graph the other is in, or it is in the graph the other names."""
# A related blank node not yet labelled is hashed anew for each quad relating it, so the quads of linked
# ambiguous nodes multiply: two alike graphs of one node with 1,024 literal quads took 1 s, K4,4 with
# each edge in 39 named graphs 1.4 s, though both kept the bounds above. (Related nodes that are not
# ambiguous are labelled first and cost nothing: 800 alike single nodes pointing at hubs of 900 quads,
# 16 ms.) A proof node and its graph's name have 6 to 11 quads each.
MAX_AMBIGUOUS_NODE_QUADS: Final = 12
"""Quads of an ambiguous blank node linked to other ambiguous blank nodes."""
MAX_INDISTINGUISHABLE_RELATED: Final = 4
"""Distinct related blank nodes of one node that share a related hash (RDFC-1.0 §4.7), i.e. get
permuted. One node related through several quads counts once: a proof graph's name is related to its
proof node through each of the proof's quads, and that costs nothing (30 such quads: 0.6 ms)."""

# --- Document size bounds (pyld's quadratic node map) --------------------------------------------
# pyld's node map compares each new value of a node's property with every value it already has, so a
# long array costs its length squared: 2.5k / 5k / 10k evidence items took 2.2 / 7.7 / 26.7 s. Short
# arrays do not suffice alone: 20 or 40 objects sharing one "id", each with 200 names (4.2k / 8.3k JSON
# values), merge into one node and took 7.3 / 23.5 s; arrays of arrays are flattened the same way.
#
# Same machine and method as above (ms, best of 3, contexts cached):
#   one signed badge of this issuer: 130 JSON values, 9.8; a presentation of 20 of them: 2.6k values,
#   107 KB, 143 (a richer badge of ~200 values makes 20 of them ~4k values: 10,000 leaves 2.5x room).
#   128 evidence items: 40; 129, or 10k, or 25k (1.8 MB): refused in under 0.1.
#   worst accepted found, just under 10,000 values: 74 nodes with 128 names each 690; 128 evidence items
#   with 72 names each 470 (mostly linear cost: expansion is ~50 us per value).
#   the shared-id and nested-array variants of it: refused after expansion, 60 to 70.
#   the walk before pyld: 8 us per 100 JSON values (0.8 ms at the limit).
MAX_ARRAY_ITEMS: Final = 128
"""Items of one JSON array; also values of one property of one node after JSON-LD expansion."""
MAX_JSON_NODES: Final = 10_000
"""Objects, arrays and scalars of the whole JSON document (the document itself counts as one)."""


def _check_json_size(document: Mapping[str, Any]) -> None:
    """Refuse, before pyld sees it, a document with a long array or too many JSON values in all.

    Iterative (no recursion limit to hit on deep nesting); only containers go on the stack.

    Raises:
        CanonicalizationError: an array longer than ``MAX_ARRAY_ITEMS`` or more than ``MAX_JSON_NODES``
            values in all.
    """
    nodes = 1
    stack: list[Any] = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            items: Any = value
            if len(value) > MAX_ARRAY_ITEMS:
                raise CanonicalizationError(
                    f"refusing to canonicalize: an array of {len(value)} items (limit {MAX_ARRAY_ITEMS})"
                )
        else:
            items = value.values()
        nodes += len(items)
        if nodes > MAX_JSON_NODES:
            raise CanonicalizationError(
                f"refusing to canonicalize: more than {MAX_JSON_NODES} JSON values (objects, arrays and "
                f"scalars; limit {MAX_JSON_NODES})"
            )
        for item in items:
            # Exact type tests first: twice as fast as isinstance on this hot path.
            kind = type(item)
            if kind is dict or kind is list or (kind is not str and isinstance(item, (dict, list))):
                stack.append(item)


def _check_property_values(expanded: Any) -> None:
    """Refuse an expanded document in which one property of one node would get too many values.

    Counts the values pyld's node map (JSON-LD 1.1 API §7.2, Node Map Generation) would gather for each
    property of each node of each graph: node objects with the same ``@id`` in the same graph are merged,
    and ``@reverse`` adds a value to the referenced node. A node without an ``@id`` is its own node.

    https://www.w3.org/TR/json-ld11-api/#node-map-generation

    Raises:
        CanonicalizationError: a property of a node with more than ``MAX_ARRAY_ITEMS`` values.
    """
    counts: Counter[tuple[object, object, str]] = Counter()

    def add(graph: object, node: object, prop: str, count: int) -> None:
        key = (graph, node, prop)
        counts[key] += count
        if counts[key] > MAX_ARRAY_ITEMS:
            raise CanonicalizationError(
                f"refusing to canonicalize: more than {MAX_ARRAY_ITEMS} values of {prop!r} on one node "
                f"(limit {MAX_ARRAY_ITEMS}; arrays of arrays or objects sharing an id are merged)"
            )

    stack: list[tuple[Any, object]] = [(expanded, "@default")]
    while stack:
        value, graph = stack.pop()
        if isinstance(value, list):
            stack += [(item, graph) for item in value if isinstance(item, (dict, list))]
            continue
        if not isinstance(value, dict) or "@value" in value:
            continue
        if "@list" in value:  # list items are kept in order, duplicates allowed: no comparison
            stack.append((value["@list"], graph))
            continue
        node_id = value.get("@id")
        # Blank nodes without an @id never merge: the dict's identity stands for the node.
        node: object = node_id if isinstance(node_id, str) else id(value)
        for prop, objects in value.items():
            if prop in ("@id", "@index", "@context"):
                continue
            if prop == "@graph":
                stack.append((objects, node))
            elif prop == "@reverse" and isinstance(objects, dict):
                for reverse_prop, items in objects.items():
                    for item in items if isinstance(items, list) else [items]:
                        if isinstance(item, dict) and isinstance(item.get("@id"), str):
                            add(graph, item["@id"], reverse_prop, 1)
                    stack.append((items, graph))
            else:
                add(graph, node, prop, len(objects) if isinstance(objects, list) else 1)
                stack.append((objects, graph))


def _first_degree_keys(
    quads_by_node: Mapping[ox.BlankNode, Sequence[ox.Quad]],
) -> dict[ox.BlankNode, tuple[str, ...]]:
    """A key per blank node equal iff the first-degree hashes are (RDFC-1.0 §4.6, without hashing).

    https://www.w3.org/TR/rdf-canon/#hash-1d-quads
    """
    keys: dict[ox.BlankNode, tuple[str, ...]] = {}
    for node, quads in quads_by_node.items():
        lines = []
        for quad in quads:
            parts = []
            for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
                if isinstance(term, ox.BlankNode):
                    parts.append("_:a" if term == node else "_:z")
                elif isinstance(term, ox.DefaultGraph):
                    parts.append("")
                else:
                    parts.append(str(term))
            lines.append(" ".join(parts))
        lines.sort()
        keys[node] = tuple(lines)
    return keys


def _check_blank_node_bounds(quads: Sequence[ox.Quad]) -> None:
    """Refuse a dataset whose RDFC-1.0 canonicalization could take long (a poison graph).

    https://www.w3.org/TR/rdf-canon/#dataset-poisoning

    Raises:
        CanonicalizationError: a bound (the ``MAX_*`` constants of this module) is exceeded.
    """
    quads_by_node: dict[ox.BlankNode, list[ox.Quad]] = {}
    for quad in quads:
        for term in {quad.subject, quad.object, quad.graph_name}:
            if isinstance(term, ox.BlankNode):
                quads_by_node.setdefault(term, []).append(quad)
    if len(quads_by_node) > MAX_BLANK_NODES:
        raise CanonicalizationError(
            f"refusing to canonicalize: {len(quads_by_node)} blank nodes (limit {MAX_BLANK_NODES})"
        )
    keys = _first_degree_keys(quads_by_node)
    shared = Counter(keys.values())
    ambiguous = {node for node, key in keys.items() if shared[key] > 1}
    if not ambiguous:
        return
    parent = {node: node for node in ambiguous}

    def root(node: ox.BlankNode) -> ox.BlankNode:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for node in ambiguous:
        links: set[tuple[str, str, ox.BlankNode]] = set()
        graph_links: set[tuple[str, str, ox.BlankNode]] = set()
        related: dict[tuple[str, str, tuple[str, ...]], set[ox.BlankNode]] = {}
        for quad in quads_by_node[node]:
            positions = (("s", quad.subject), ("o", quad.object), ("g", quad.graph_name))
            others = [
                (pos, term)
                for pos, term in positions
                if isinstance(term, ox.BlankNode) and term in ambiguous and term != node
            ]
            for position, other in others:
                # RDFC-1.0 §4.7 hashes a graph name's relation without the predicate: all the quads of
                # one graph relate its name to a node once.
                predicate = "" if position == "g" else str(quad.predicate)
                via_graph = position == "g" or quad.graph_name == node
                (graph_links if via_graph else links).add((position, predicate, other))
                related.setdefault((position, predicate, keys[other]), set()).add(other)
                parent[root(other)] = root(node)
        if (links or graph_links) and len(quads_by_node[node]) > MAX_AMBIGUOUS_NODE_QUADS:
            raise CanonicalizationError(
                f"refusing to canonicalize: a blank node in {len(quads_by_node[node])} quads linked to "
                f"indistinguishable blank nodes (limit {MAX_AMBIGUOUS_NODE_QUADS}; possible poison graph)"
            )
        if len(links) > MAX_AMBIGUOUS_LINKS or len(graph_links) > MAX_AMBIGUOUS_GRAPH_LINKS:
            count, limit = (
                (len(links), MAX_AMBIGUOUS_LINKS)
                if len(links) > MAX_AMBIGUOUS_LINKS
                else (len(graph_links), MAX_AMBIGUOUS_GRAPH_LINKS)
            )
            raise CanonicalizationError(
                f"refusing to canonicalize: a blank node with {count} links to indistinguishable "
                f"blank nodes (limit {limit}; possible poison graph)"
            )
        widest = max(map(len, related.values()), default=0)
        if widest > MAX_INDISTINGUISHABLE_RELATED:
            raise CanonicalizationError(
                f"refusing to canonicalize: {widest} indistinguishable related blank nodes "
                f"(limit {MAX_INDISTINGUISHABLE_RELATED}; possible poison graph)"
            )
    sizes = Counter(root(node) for node in ambiguous)
    largest = max(sizes.values())
    if largest > MAX_AMBIGUOUS_COMPONENT:
        raise CanonicalizationError(
            f"refusing to canonicalize: {largest} connected indistinguishable blank nodes "
            f"(limit {MAX_AMBIGUOUS_COMPONENT}; possible poison graph)"
        )
    in_groups = sum(size for size in sizes.values() if size > 2)
    if in_groups > MAX_AMBIGUOUS_BLANK_NODES:
        raise CanonicalizationError(
            f"refusing to canonicalize: {in_groups} blank nodes with a shared first-degree hash in "
            f"connected groups (limit {MAX_AMBIGUOUS_BLANK_NODES}; possible poison graph)"
        )


def _canonical_nquads(quads: Sequence[ox.Quad], algorithm: ox.CanonicalizationAlgorithm) -> str:
    """Guard, canonicalize with pyoxigraph, serialize, and sort the lines in code point order."""
    _check_blank_node_bounds(quads)
    dataset = ox.Dataset(quads)
    dataset.canonicalize(algorithm)
    serialized = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS) or b""
    lines = serialized.decode("utf-8").split("\n")
    lines.sort()
    return "".join(line + "\n" for line in lines if line)


def canonicalize_nquads(nquads: str, *, algorithm: str = "RDFC-1.0") -> str:
    """Canonicalize an N-Quads document with RDFC-1.0.

    https://www.w3.org/TR/rdf-canon/#canon-algorithm

    Args:
        nquads: an RDF dataset as N-Quads text.
        algorithm: ``"RDFC-1.0"`` (SHA-256), ``"RDFC-1.0-SHA-256"`` or ``"RDFC-1.0-SHA-384"``.

    Returns:
        The canonical N-Quads, one line per quad, lines sorted in code point order, each line ending
        with ``"\\n"``.

    Raises:
        CanonicalizationError: unknown algorithm, N-Quads syntax error, or a graph over the poison
            bounds (``MAX_*`` in this module).
    """
    chosen = _ALGORITHMS.get(algorithm)
    if chosen is None:
        raise CanonicalizationError(f"unknown canonicalization algorithm {algorithm!r}")
    try:
        quads = list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    except SyntaxError as err:
        raise CanonicalizationError(f"invalid N-Quads: {err}") from err
    for quad in quads:
        if isinstance(quad.subject, ox.Triple) or isinstance(quad.object, ox.Triple):
            raise CanonicalizationError("RDFC-1.0 is defined for RDF 1.1 datasets: no triple terms")
    return _canonical_nquads(quads, chosen)


class _SafeModeProcessor(jsonld.JsonLdProcessor):  # type: ignore[misc]
    """pyld's processor, refusing where pyld would silently skip a triple with a relative IRI.

    With the sentinel base almost every relative IRI becomes absolute (and is refused later), but
    pyld still skips subjects, predicates and objects its absolute-IRI test rejects (for example an
    ``@id`` containing a space) and blank-node predicates. ``_graph_to_rdf`` and ``_object_to_rdf``
    make those skips errors; ``expand`` refuses, before the node map, a document it would take long
    to flatten (:func:`_check_property_values`).
    """

    def __init__(self) -> None:
        super().__init__(on_property_dropped=_refuse_dropped_property)

    def expand(self, input_: Any, options: Any) -> Any:
        """pyld's expansion, then the bound on values per property per node (to_rdf calls this)."""
        expanded = super().expand(input_, options)
        _check_property_values(expanded)
        return expanded

    def _graph_to_rdf(self, graph: dict[str, Any], issuer: Any, options: Any) -> Any:
        for node_id, node in graph.items():
            if not _is_absolute_iri(node_id):
                raise CanonicalizationError(f"safe mode: relative or invalid @id {node_id!r}")
            for prop in node:
                if prop.startswith("@"):
                    continue
                # pyld also skips blank-node predicates (not RDF 1.1): refuse those too.
                if prop.startswith("_:") or not _is_absolute_iri(prop):
                    raise CanonicalizationError(f"safe mode: relative or invalid property IRI {prop!r}")
        return super()._graph_to_rdf(graph, issuer, options)

    def _object_to_rdf(self, item: Any, issuer: Any, triples: Any, options: Any) -> Any:
        result = super()._object_to_rdf(item, issuer, triples, options)
        if result is None:
            raise CanonicalizationError(f"safe mode: relative or invalid IRI value {item!r}")
        return result


def _is_absolute_iri(value: str) -> bool:
    return bool(jsonld._is_absolute_iri(value))


def _refuse_dropped_property(expanded_property: str | None) -> None:
    if expanded_property is None:
        raise CanonicalizationError("safe mode: a property mapped to null would be dropped")
    raise CanonicalizationError(
        f"safe mode: term {expanded_property!r} is not defined by the @context (it would be dropped)"
    )


class _QuadBuilder:
    """Converts pyld's toRdf dataset into pyoxigraph quads, refusing IRIs under the sentinel base."""

    def __init__(self) -> None:
        self._iris: dict[str, ox.NamedNode] = {}
        self._blanks: dict[str, ox.BlankNode] = {}

    def iri(self, value: str) -> ox.NamedNode:
        node = self._iris.get(value)
        if node is None:
            if value.startswith(_SENTINEL_BASE):
                relative = value[len(_SENTINEL_BASE) :]
                raise CanonicalizationError(
                    f"safe mode: {relative!r} is not defined by the @context and is not an absolute IRI "
                    "(relative @id, @type or datatype)"
                )
            try:
                node = ox.NamedNode(value)
            except ValueError as err:
                raise CanonicalizationError(f"invalid IRI {value!r}: {err}") from err
            self._iris[value] = node
        return node

    def blank(self, label: str) -> ox.BlankNode:
        node = self._blanks.get(label)
        if node is None:
            try:
                node = ox.BlankNode(label[2:])
            except ValueError as err:
                raise CanonicalizationError(f"invalid blank node label {label!r}") from err
            self._blanks[label] = node
        return node

    def resource(self, term: Mapping[str, str]) -> ox.NamedNode | ox.BlankNode:
        if term["type"] == "blank node":
            return self.blank(term["value"])
        return self.iri(term["value"])

    def literal(self, term: Mapping[str, str]) -> ox.Literal:
        try:
            language = term.get("language")
            if language is not None:
                return ox.Literal(term["value"], language=language)
            return ox.Literal(term["value"], datatype=self.iri(term["datatype"]))
        except ValueError as err:
            raise CanonicalizationError(f"invalid literal {term!r}: {err}") from err

    def quads(self, dataset: Mapping[str, Iterable[Mapping[str, Mapping[str, str]]]]) -> list[ox.Quad]:
        quads: list[ox.Quad] = []
        for graph_name, triples in dataset.items():
            graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph
            if graph_name == "@default":
                graph = ox.DefaultGraph()
            elif graph_name.startswith("_:"):
                graph = self.blank(graph_name)
            else:
                graph = self.iri(graph_name)
            for triple in triples:
                obj = triple["object"]
                quads.append(
                    ox.Quad(
                        self.resource(triple["subject"]),
                        self.iri(triple["predicate"]["value"]),
                        self.literal(obj) if obj["type"] == "literal" else self.resource(obj),
                        graph,
                    )
                )
        return quads


def _verifier_error_in(err: BaseException) -> VerifierError | None:
    """Our own error raised inside pyld (by the loader or a safe-mode hook), if any."""
    seen: BaseException | None = err
    for _ in range(32):  # pyld wraps a few levels deep; the bound only guards against cycles
        if seen is None:
            return None
        if isinstance(seen, VerifierError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


# pyld's context caches (the loader's, and each resolved context's processed-context cache) are
# cachetools LRUCaches, which are not thread-safe: concurrent signing in worker threads (the service
# signs off the event loop) corrupted them ("OrderedDict mutated during iteration", KeyError). pyld is
# pure Python, so serialising it costs no parallelism under the GIL; the canonicalization after it
# (pyoxigraph) stays outside the lock.
_PYLD_LOCK: Final = threading.Lock()


def rdfc_1_0(document: Mapping[str, Any], *, loader: PinnedDocumentLoader = DEFAULT_LOADER) -> str:
    """The RDFC-1.0 canonical N-Quads of a JSON-LD document, in safe mode.

    https://www.w3.org/TR/rdf-canon/ and https://www.w3.org/TR/json-ld11-api/#deserialize-json-ld-to-rdf-algorithm

    Args:
        document: the JSON-LD document (compacted, with its ``@context``).
        loader: serves the ``@context`` URLs; anything it does not pin is refused.

    Returns:
        Canonical N-Quads, lines sorted in code point order, each ending with ``"\\n"``.

    Raises:
        ContextNotAllowedError: the document uses a context URL the loader does not pin.
        CanonicalizationError: invalid JSON-LD, an undefined term, a relative IRI, a document over
            the size bounds (``MAX_ARRAY_ITEMS``, ``MAX_JSON_NODES``), or a graph over the poison bounds.
    """
    _check_json_size(document)
    try:
        with _PYLD_LOCK:
            # Inside the lock: reading the cache may empty it (the operator's contexts changed).
            options = {
                "base": _SENTINEL_BASE,
                "documentLoader": loader,
                "contextResolver": ContextResolver(loader.context_cache, loader),
            }
            dataset = _SafeModeProcessor().to_rdf(dict(document), options)
    except VerifierError:
        raise
    except jsonld.JsonLdError as err:
        ours = _verifier_error_in(err)
        if ours is not None:
            raise ours from err
        raise CanonicalizationError(f"invalid JSON-LD: {err}") from err
    except (TypeError, AttributeError, KeyError, ValueError, RecursionError) as err:
        # pyld assumes well-typed JSON-LD in places (e.g. a number where a string belongs).
        raise CanonicalizationError(f"invalid JSON-LD: {type(err).__name__}: {err}") from err
    quads = _QuadBuilder().quads(dataset)
    return _canonical_nquads(quads, ox.CanonicalizationAlgorithm.RDFC_1_0)


def jcs(value: Any) -> bytes:
    """The JSON Canonicalization Scheme (RFC 8785) serialization of a JSON value.

    https://www.rfc-editor.org/rfc/rfc8785

    Args:
        value: a JSON value (dict, list, str, int, float, bool, None).

    Returns:
        The canonical UTF-8 bytes.

    Raises:
        CanonicalizationError: the value is not representable in JCS (e.g. NaN, a non-string key,
            an integer outside the IEEE 754 double range).
    """
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as err:
        raise CanonicalizationError(f"cannot canonicalize as JCS: {err}") from err
