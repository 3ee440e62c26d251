"""RFC 9162 §2.1 Merkle tree: hand-computed trees, the CT test vectors, pymerkle as an oracle,
and properties of proofs (every honest proof verifies, every altered one fails)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setu.security import merkle
from setu.security.errors import ConsistencyProofError, InclusionProofError


def h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(b"entry %d" % i) for i in range(n)]


# --- hand-computed small trees -------------------------------------------------------------------


def test_empty_tree_hash_is_sha256_of_nothing() -> None:
    assert merkle.root([]) == h(b"") == merkle.EMPTY_ROOT


def test_leaf_and_node_hashes_carry_their_domain_prefix() -> None:
    assert merkle.leaf_hash(b"abc") == h(b"\x00abc")
    assert merkle.node_hash(b"L" * 32, b"R" * 32) == h(b"\x01" + b"L" * 32 + b"R" * 32)


def test_small_trees_split_at_the_largest_power_of_two_below_n() -> None:
    a, b, c, d, e = leaves(5)
    n = merkle.node_hash
    assert merkle.root([a]) == a
    assert merkle.root([a, b]) == n(a, b)
    assert merkle.root([a, b, c]) == n(n(a, b), c)
    assert merkle.root([a, b, c, d]) == n(n(a, b), n(c, d))
    assert merkle.root([a, b, c, d, e]) == n(n(n(a, b), n(c, d)), e)
    assert [merkle.split_point(s) for s in (2, 3, 4, 5, 8, 9)] == [1, 2, 2, 4, 4, 8]


def test_small_proofs_are_the_sibling_subtrees() -> None:
    a, b, c, d, e = leaves(5)
    n = merkle.node_hash
    # PATH(2, D[5]) = PATH(2, D[0:4]) : MTH(D[4:5]) = [d, MTH(a, b), e]
    assert merkle.inclusion_proof(2, 5, [a, b, c, d, e]) == [d, n(a, b), e]
    # PROOF(3, D[5]) = [c, d, MTH(a, b), e] (RFC 9162 §2.1.4.1 SUBPROOF recursion)
    assert merkle.consistency_proof(3, 5, [a, b, c, d, e]) == [c, d, n(a, b), e]
    # PROOF(2, D[4]): old size a power of two, so its root is not repeated in the proof
    assert merkle.consistency_proof(2, 4, [a, b, c, d]) == [n(c, d)]


# Test vectors of the Certificate Transparency reference implementations (inputs are hex; roots
# of the trees over the first 1..8 inputs).
CT_INPUTS = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_roots_match_the_certificate_transparency_test_vectors() -> None:
    hashes = [merkle.leaf_hash(bytes.fromhex(x)) for x in CT_INPUTS]
    assert [merkle.root(hashes[:n]).hex() for n in range(1, 9)] == CT_ROOTS


# --- pymerkle (GPL, test oracle only) ------------------------------------------------------------


@pytest.fixture(scope="module")
def oracle() -> tuple[object, list[bytes]]:
    pymerkle = pytest.importorskip("pymerkle", reason="pymerkle is the test oracle (dev extra)")
    tree = pymerkle.InmemoryTree(algorithm="sha256")
    data = [b"setu audit entry %d" % i for i in range(200)]
    for item in data:
        tree.append_entry(item)
    return tree, [merkle.leaf_hash(d) for d in data]


def test_roots_of_sizes_1_to_200_match_pymerkle(oracle: tuple[object, list[bytes]]) -> None:
    tree, hashes = oracle
    for size in range(1, 201):
        assert merkle.root(hashes[:size]) == tree.get_root(size), size  # type: ignore[attr-defined]


def test_inclusion_paths_match_pymerkle_both_ways(oracle: tuple[object, list[bytes]]) -> None:
    import pymerkle

    tree, hashes = oracle
    for size in range(1, 65):
        root = merkle.root(hashes[:size])
        for index in range(size):
            theirs = tree.prove_inclusion(index + 1, size)  # type: ignore[attr-defined]
            their_path = [bytes.fromhex(x) for x in theirs.serialize()["path"]]
            mine = merkle.inclusion_proof(index, size, hashes)
            assert their_path[0] == hashes[index]  # pymerkle starts its path with the leaf
            assert their_path[1:] == mine
            merkle.verify_inclusion(hashes[index], index, size, their_path[1:], root)
            pymerkle.verify_inclusion(hashes[index], root, theirs)


def test_consistency_agrees_with_pymerkle(oracle: tuple[object, list[bytes]]) -> None:
    """pymerkle's consistency paths are its own decomposition, not RFC 9162 §2.1.4.1's, so the
    paths cannot be compared: both libraries' proofs must hold for the same pair of roots."""
    import pymerkle

    tree, hashes = oracle
    for new in range(2, 65):
        new_root = merkle.root(hashes[:new])
        for old in range(1, new):
            old_root = merkle.root(hashes[:old])
            assert tree.get_root(old) == old_root  # type: ignore[attr-defined]
            theirs = tree.prove_consistency(old, new)  # type: ignore[attr-defined]
            pymerkle.verify_consistency(old_root, new_root, theirs)
            mine = merkle.consistency_proof(old, new, hashes)
            merkle.verify_consistency(old, new, old_root, new_root, mine)
            with pytest.raises(pymerkle.InvalidProof):
                pymerkle.verify_consistency(hashes[new - 1], new_root, theirs)


# --- frontier ------------------------------------------------------------------------------------


def test_frontier_appends_give_every_root_and_every_complete_subtree() -> None:
    hashes = leaves(300)
    frontier: merkle.Frontier = ()
    for size, leaf in enumerate(hashes):
        frontier, completed = merkle.frontier_append(frontier, size, leaf)
        assert merkle.frontier_root(frontier) == merkle.root(hashes[: size + 1])
        assert len(frontier) == (size + 1).bit_count()
        for level, node_index, digest in completed:
            start, end = merkle.piece_range((level, node_index))
            assert end == size + 1
            assert digest == merkle.root(hashes[start:end])


def test_a_compact_range_reports_only_the_levels_asked_for() -> None:
    hashes = leaves(1024)
    tree = merkle.CompactRange(report_from_level=8)
    reported = [node for leaf in hashes for node in tree.append(leaf)]
    assert [(level, index) for level, index, _ in reported] == [
        (8, 0), (8, 1), (9, 0), (8, 2), (8, 3), (9, 1), (10, 0)
    ]  # fmt: skip
    assert tree.root() == merkle.root(hashes) and tree.size == 1024
    with pytest.raises(ValueError, match="cannot hold"):
        merkle.CompactRange(tree.frontier, 1000)


def test_frontier_of_empty_tree_is_the_empty_root() -> None:
    assert merkle.frontier_root(()) == merkle.EMPTY_ROOT


# --- properties ----------------------------------------------------------------------------------

HASHES = leaves(600)


@st.composite
def index_and_size(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(min_value=1, max_value=600))
    return draw(st.integers(min_value=0, max_value=size - 1)), size


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(st.integers(min_value=2, max_value=600))
    return draw(st.integers(min_value=1, max_value=new - 1)), new


def flip(data: bytes, bit: int) -> bytes:
    bit %= len(data) * 8
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@settings(max_examples=300, deadline=None)
@given(index_and_size(), st.integers(min_value=0))
def test_every_inclusion_proof_verifies_and_any_flipped_bit_fails(
    case: tuple[int, int], bit: int
) -> None:
    index, size = case
    root = merkle.root(HASHES[:size])
    path = merkle.inclusion_proof(index, size, HASHES)
    merkle.verify_inclusion(HASHES[index], index, size, path, root)
    with pytest.raises(InclusionProofError):
        merkle.verify_inclusion(flip(HASHES[index], bit), index, size, path, root)
    with pytest.raises(InclusionProofError):
        merkle.verify_inclusion(HASHES[index], index, size, path, flip(root, bit))
    if path:
        which = bit % len(path)
        altered = [*path[:which], flip(path[which], bit), *path[which + 1 :]]
        with pytest.raises(InclusionProofError):
            merkle.verify_inclusion(HASHES[index], index, size, altered, root)
        with pytest.raises(InclusionProofError):
            merkle.verify_inclusion(HASHES[index], index, size, path[:-1], root)
    with pytest.raises(InclusionProofError):
        merkle.verify_inclusion(HASHES[index], index, size, [*path, HASHES[0]], root)


@settings(max_examples=200, deadline=None)
@given(index_and_size())
def test_an_inclusion_proof_does_not_prove_another_index(case: tuple[int, int]) -> None:
    index, size = case
    if size < 2:
        return
    root = merkle.root(HASHES[:size])
    path = merkle.inclusion_proof(index, size, HASHES)
    other = (index + 1) % size
    with pytest.raises(InclusionProofError):
        merkle.verify_inclusion(HASHES[index], other, size, path, root)


@settings(max_examples=300, deadline=None)
@given(two_sizes(), st.integers(min_value=0))
def test_every_consistency_proof_verifies_and_any_flipped_bit_fails(
    sizes: tuple[int, int], bit: int
) -> None:
    old, new = sizes
    old_root, new_root = merkle.root(HASHES[:old]), merkle.root(HASHES[:new])
    path = merkle.consistency_proof(old, new, HASHES)
    merkle.verify_consistency(old, new, old_root, new_root, path)
    with pytest.raises(ConsistencyProofError):
        merkle.verify_consistency(old, new, flip(old_root, bit), new_root, path)
    with pytest.raises(ConsistencyProofError):
        merkle.verify_consistency(old, new, old_root, flip(new_root, bit), path)
    which = bit % len(path)
    altered = [*path[:which], flip(path[which], bit), *path[which + 1 :]]
    with pytest.raises(ConsistencyProofError):
        merkle.verify_consistency(old, new, old_root, new_root, altered)
    with pytest.raises(ConsistencyProofError):
        merkle.verify_consistency(old, new, old_root, new_root, path[:-1])


@settings(max_examples=200, deadline=None)
@given(two_sizes())
def test_a_rewritten_history_is_not_consistent(sizes: tuple[int, int]) -> None:
    old, new = sizes
    rewritten = list(HASHES[:new])
    rewritten[old - 1] = merkle.leaf_hash(b"rewritten")
    old_root = merkle.root(HASHES[:old])
    path = merkle.consistency_proof(old, new, rewritten)
    with pytest.raises(ConsistencyProofError):
        merkle.verify_consistency(old, new, old_root, merkle.root(rewritten), path)


@settings(max_examples=300, deadline=None)
@given(index_and_size(), two_sizes())
def test_proof_subtrees_are_aligned_runs_of_complete_subtrees(
    case: tuple[int, int], sizes: tuple[int, int]
) -> None:
    ranges = merkle.inclusion_ranges(*case) + merkle.consistency_ranges(*sizes)
    for start, end in ranges:
        pieces = merkle.perfect_pieces(start, end)  # raises if a range were not aligned
        roots = [merkle.root(HASHES[slice(*merkle.piece_range(p))]) for p in pieces]
        assert merkle.fold_pieces(roots) == merkle.root(HASHES[start:end])


def test_equal_sizes_need_an_empty_proof_and_equal_roots() -> None:
    root = merkle.root(HASHES[:7])
    merkle.verify_consistency(7, 7, root, root, [])
    with pytest.raises(ConsistencyProofError):
        merkle.verify_consistency(7, 7, root, merkle.root(HASHES[:8]), [])


@pytest.mark.parametrize(("old", "new"), [(0, 5), (6, 5), (-1, 3)])
def test_consistency_refuses_impossible_sizes(old: int, new: int) -> None:
    with pytest.raises(ConsistencyProofError):
        merkle.verify_consistency(old, new, HASHES[0], HASHES[1], [HASHES[2]])


def test_inclusion_refuses_an_index_outside_the_tree() -> None:
    with pytest.raises(InclusionProofError, match="outside"):
        merkle.verify_inclusion(HASHES[0], 5, 5, [], HASHES[0])
    with pytest.raises(ValueError):
        merkle.inclusion_ranges(5, 5)


def test_unaligned_range_is_refused() -> None:
    with pytest.raises(ValueError, match="not a subtree"):
        merkle.perfect_pieces(1, 5)
