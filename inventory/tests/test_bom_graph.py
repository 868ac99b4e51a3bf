"""The pure BOM graph functions, directly and with generated graphs."""

import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inventory.bom_graph import BomLineEdge, CycleError, Requirement, explode, find_cycle


def _assert_is_cycle_through(path, parent, graph, children):
    edges = {p: set(c) for p, c in graph.items()}
    edges[parent] = set(children)
    assert path[0] == parent and path[-1] == parent
    for a, b in itertools.pairwise(path):
        assert b in edges.get(a, ()), f"{a} → {b} is not an edge"


def test_no_cycle_in_a_tree():
    graph = {"B": {"C"}, "C": {"D"}}
    assert find_cycle(graph, "A", {"B", "X"}) is None


def test_an_item_in_its_own_list_is_a_cycle():
    assert find_cycle({}, "A", {"A"}) == ["A", "A"]


def test_two_item_loop():
    assert find_cycle({"B": {"A"}}, "A", {"B"}) == ["A", "B", "A"]


def test_three_deep_loop_gives_the_path():
    graph = {"B": {"C", "Z"}, "C": {"A"}}
    assert find_cycle(graph, "A", {"B"}) == ["A", "B", "C", "A"]


def test_the_parents_current_children_are_replaced_not_added():
    # A currently contains C, and C contains... nothing that loops; the new list drops C.
    graph = {"A": {"C"}, "B": {"D"}}
    assert find_cycle(graph, "A", {"B"}) is None


def test_a_shared_component_is_not_a_cycle():
    graph = {"B": {"D"}, "C": {"D"}}
    assert find_cycle(graph, "A", {"B", "C"}) is None


@st.composite
def dags(draw, max_nodes=12):
    """A random DAG on nodes N0..Nk: edges only go from a lower to a higher index."""
    size = draw(st.integers(min_value=2, max_value=max_nodes))
    nodes = [f"N{i}" for i in range(size)]
    graph = {}
    for i, node in enumerate(nodes[:-1]):
        later = nodes[i + 1 :]
        graph[node] = set(draw(st.lists(st.sampled_from(later), max_size=4)))
    return nodes, graph


def _descendants(graph, start):
    seen, todo = set(), [start]
    while todo:
        for child in graph.get(todo.pop(), ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


@given(dags(), st.data())
def test_adding_a_back_edge_to_a_dag_is_detected(dag, data):
    nodes, graph = dag
    top = data.draw(st.sampled_from(nodes))
    bottom = data.draw(st.sampled_from(sorted(_descendants(graph, top) | {top})))
    children = graph.get(bottom, set()) | {top}  # bottom now contains top: a loop
    path = find_cycle(graph, bottom, children)
    assert path is not None
    _assert_is_cycle_through(path, bottom, graph, children)


@given(dags(), st.data())
def test_forward_edges_in_a_dag_pass(dag, data):
    nodes, graph = dag
    index = data.draw(st.integers(min_value=0, max_value=len(nodes) - 1))
    later = nodes[index + 1 :]
    children = set(data.draw(st.lists(st.sampled_from(later), max_size=5))) if later else set()
    assert find_cycle(graph, nodes[index], children) is None


@given(
    st.dictionaries(
        st.sampled_from("ABCDEFG"), st.sets(st.sampled_from("ABCDEFG"), max_size=3), max_size=7
    ),
    st.sampled_from("ABCDEFG"),
    st.sets(st.sampled_from("ABCDEFG"), max_size=3),
)
def test_agrees_with_plain_reachability_on_any_graph(graph, parent, children):
    others = {p: c for p, c in graph.items() if p != parent}
    loops = parent in children or any(parent in _descendants(others, c) for c in children)
    path = find_cycle(graph, parent, children)
    assert (path is not None) == loops
    if path:
        _assert_is_cycle_through(path, parent, others, children)


def test_a_deep_chain_does_not_hit_the_recursion_limit():
    graph = {f"N{i}": {f"N{i + 1}"} for i in range(5000)}
    assert find_cycle(graph, "N5000", {"N0"}) is not None
    assert find_cycle(graph, "TOP", {"N0"}) is None


def _edge(component, qty, uom="EA"):
    return BomLineEdge(component, Decimal(qty), uom)


def test_explode_multiplies_down_the_levels_and_sums_per_level():
    lines = {
        "BIKE": [_edge("FRAME", "1"), _edge("WHEEL", "2"), _edge("BOLT", "4")],
        "WHEEL": [_edge("SPOKE", "32"), _edge("BOLT", "1")],
        "FRAME": [_edge("TUBE", "2.5", "M"), _edge("BOLT", "3")],
    }
    result = explode(lines, "BIKE", Decimal(10))
    assert result == [
        Requirement("BOLT", 1, Decimal(40), "EA", True),
        Requirement("FRAME", 1, Decimal(10), "EA", False),
        Requirement("WHEEL", 1, Decimal(20), "EA", False),
        Requirement("BOLT", 2, Decimal(50), "EA", True),  # 10 × 3 via frames + 20 × 1 via wheels
        Requirement("SPOKE", 2, Decimal(640), "EA", True),
        Requirement("TUBE", 2, Decimal(25), "M", True),
    ]


def test_explode_of_an_item_without_components_is_empty():
    assert explode({}, "BOLT", Decimal(5)) == []


def test_explode_refuses_looping_data():
    with pytest.raises(CycleError) as caught:
        explode({"A": [_edge("B", 1)], "B": [_edge("A", 1)]}, "A", Decimal(1))
    assert caught.value.path == ["A", "B", "A"]
