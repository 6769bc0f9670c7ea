"""The gate table and every derivation, exhaustively (16 gates x 4 cases)."""

import itertools

import numpy as np
import pytest

from lgcc.ir import gates as G


def ref(g: int, a: int, b: int) -> int:
    """The definition, written once more in the test: bit (3 - 2a - b) of g."""
    return (g >> (3 - 2 * a - b)) & 1


CASES = list(itertools.product(range(16), (0, 1), (0, 1)))


@pytest.mark.parametrize("g,a,b", CASES)
def test_truth_and_eval_bits(g, a, b):
    assert G.TRUTH[g, 2 * a + b] == ref(g, a, b)
    assert int(G.eval_bits(g, a, b)) == ref(g, a, b)


@pytest.mark.parametrize("g,a,b", CASES)
def test_derived_transformations(g, a, b):
    assert ref(int(G.SWAP[g]), a, b) == ref(g, b, a)
    assert ref(int(G.NEG_A[g]), a, b) == ref(g, 1 - a, b)
    assert ref(int(G.NEG_B[g]), a, b) == ref(g, a, 1 - b)
    assert ref(int(G.NEG_OUT[g]), a, b) == 1 - ref(g, a, b)


def test_known_gate_names_match_difflogic_numbering():
    expected = {0: "false", 1: "and", 6: "xor", 7: "or", 8: "nor", 9: "xnor", 14: "nand", 15: "true",
                3: "a", 5: "b", 12: "not_a", 10: "not_b"}
    for g, name in expected.items():
        assert G.NAMES[g] == name
    assert [ref(1, a, b) for a in (0, 1) for b in (0, 1)] == [0, 0, 0, 1]
    assert [ref(2, a, b) for a in (0, 1) for b in (0, 1)] == [0, 0, 1, 0]  # a and not b


@pytest.mark.parametrize("g", range(16))
def test_dependency_and_class_tables(g):
    dep_a = any(ref(g, 0, b) != ref(g, 1, b) for b in (0, 1))
    dep_b = any(ref(g, a, 0) != ref(g, a, 1) for a in (0, 1))
    assert G.DEPENDS_A[g] == dep_a and G.DEPENDS_B[g] == dep_b
    assert G.IS_CONST[g] == (not dep_a and not dep_b)
    assert G.IS_UNARY[g] == (dep_a != dep_b)
    assert G.IS_BINARY[g] == (dep_a and dep_b)
    if G.IS_CONST[g]:
        assert G.CONST_VALUE[g] == ref(g, 0, 0)
    assert G.IS_XOR[g] == (g in (6, 9))
    assert G.AIG_COST[g] == (3 if g in (6, 9) else 1 if dep_a and dep_b else 0)


@pytest.mark.parametrize("g", range(16))
def test_expressions_and_symbols(g):
    for a, b in itertools.product((0, 1), repeat=2):
        assert eval(G.EXPRS[g], {}, {"a": a, "b": b, "ONES": 1}) & 1 == ref(g, a, b)
    assert len(set(G.SYMBOLS)) == 16 and len(set(G.NAMES)) == 16


def test_eval_words_matches_bits_for_every_gate():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 2**63, (16, 4), dtype=np.int64).astype(np.uint64)
    b = rng.integers(0, 2**63, (16, 4), dtype=np.int64).astype(np.uint64)
    out = G.eval_words(np.arange(16, dtype=np.uint8), a, b)
    for g in range(16):
        abits = np.unpackbits(a[g].view(np.uint8))
        bbits = np.unpackbits(b[g].view(np.uint8))
        obits = np.unpackbits(out[g].view(np.uint8))
        assert np.array_equal(obits, G.eval_bits(g, abits, bbits))


def test_relaxation_equals_table_on_corners_and_is_linear_in_case_probabilities():
    for g in range(16):
        p = np.zeros(16)
        p[g] = 1.0
        for a, b in itertools.product((0.0, 1.0), repeat=2):
            assert G.relaxed(p, np.float64(a), np.float64(b)) == ref(g, int(a), int(b))
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(16))
    a, b = rng.random(2)
    mix = sum(p[g] * sum(ref(g, x, y) * (a if x else 1 - a) * (b if y else 1 - b)
                         for x in (0, 1) for y in (0, 1)) for g in range(16))
    assert np.isclose(G.relaxed(p, a, b), mix)


@pytest.mark.parametrize("g", range(16))
def test_rendered_expressions_with_target_spellings(g):
    for a, b in itertools.product((0, 1), repeat=2):
        text = G.render_expr(g, "x", "y", ones="ONE", zero="ZERO")
        assert eval(text, {}, {"x": a, "y": b, "ONE": 1, "ZERO": 0}) & 1 == ref(g, a, b)
    pieces = G.expr_pieces(g, ones="1'b1", zero="1'b0")
    assert "".join(pieces).replace("1'b1", "1").replace("1'b0", "0") == G.render_expr(g, ones="1")
    assert set(p for p in pieces if p in ("a", "b")) <= {"a", "b"}
