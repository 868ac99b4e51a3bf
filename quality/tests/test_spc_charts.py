"""The SPC module against published examples with known limits and indices."""

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quality import spc

# Montgomery, Introduction to Statistical Quality Control, Example 6.3 / Table 6.3
# (qcc's `pistonrings`): inside diameters of forged piston rings, mm, 40 samples of 5;
# the first 25 are the baseline. Published: x̿ = 74.00118, R̄ = 0.02276,
# X̄ limits 73.98805 / 74.0143, R UCL 0.04812; with LSL 73.95, USL 74.05,
# σ̂ = R̄/d2 = 0.0098 gives Cp = 1.70, Cpk = 1.66.
PISTON_RINGS = [
    (74.030, 74.002, 74.019, 73.992, 74.008),
    (73.995, 73.992, 74.001, 74.011, 74.004),
    (73.988, 74.024, 74.021, 74.005, 74.002),
    (74.002, 73.996, 73.993, 74.015, 74.009),
    (73.992, 74.007, 74.015, 73.989, 74.014),
    (74.009, 73.994, 73.997, 73.985, 73.993),
    (73.995, 74.006, 73.994, 74.000, 74.005),
    (73.985, 74.003, 73.993, 74.015, 73.988),
    (74.008, 73.995, 74.009, 74.005, 74.004),
    (73.998, 74.000, 73.990, 74.007, 73.995),
    (73.994, 73.998, 73.994, 73.995, 73.990),
    (74.004, 74.000, 74.007, 74.000, 73.996),
    (73.983, 74.002, 73.998, 73.997, 74.012),
    (74.006, 73.967, 73.994, 74.000, 73.984),
    (74.012, 74.014, 73.998, 73.999, 74.007),
    (74.000, 73.984, 74.005, 73.998, 73.996),
    (73.994, 74.012, 73.986, 74.005, 74.007),
    (74.006, 74.010, 74.018, 74.003, 74.000),
    (73.984, 74.002, 74.003, 74.005, 73.997),
    (74.000, 74.010, 74.013, 74.020, 74.003),
    (73.988, 74.001, 74.009, 74.005, 73.996),
    (74.004, 73.999, 73.990, 74.006, 74.009),
    (74.010, 73.989, 73.990, 74.009, 74.014),
    (74.015, 74.008, 73.993, 74.000, 74.010),
    (73.982, 73.984, 73.995, 74.017, 74.013),
    # phase II: new samples judged against the baseline's limits
    (74.012, 74.015, 74.030, 73.986, 74.000),
    (73.995, 74.010, 73.990, 74.015, 74.001),
    (73.987, 73.999, 73.985, 74.000, 73.990),
    (74.008, 74.010, 74.003, 73.991, 74.006),
    (74.003, 74.000, 74.001, 73.986, 73.997),
    (73.994, 74.003, 74.015, 74.020, 74.004),
    (74.008, 74.002, 74.018, 73.995, 74.005),
    (74.001, 74.004, 73.990, 73.996, 73.998),
    (74.015, 74.000, 74.016, 74.025, 74.000),
    (74.030, 74.005, 74.000, 74.016, 74.012),
    (74.001, 73.990, 73.995, 74.010, 74.024),
    (74.015, 74.020, 74.024, 74.005, 74.019),
    (74.035, 74.010, 74.012, 74.015, 74.026),
    (74.017, 74.013, 74.036, 74.025, 74.026),
    (74.010, 74.005, 74.029, 74.000, 74.020),
]
BASELINE = PISTON_RINGS[:25]

# NIST/SEMATECH e-Handbook 6.3.2.2: flow rate individuals, CL 50.81, UCL 55.8041,
# LCL 45.8159; moving range CL 1.8778, UCL 6.1349.
FLOWRATE = [49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1]
# e-Handbook 6.3.3.1: wafer defects, c chart: c̄ = 16, UCL 28, LCL 4.
WAFER_DEFECTS = [16, 14, 28, 16, 12, 20, 10, 12, 10, 17, 19, 17, 14, 16, 15, 13, 14, 16, 11, 20]
WAFER_DEFECTS += [11, 19, 16, 31, 13]
# e-Handbook 6.3.3.2: defective wafers in samples of 50, p chart: p̄ = 0.2313,
# UCL 0.4103, LCL 0.0524.
DEFECTIVE_WAFERS = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11]
DEFECTIVE_WAFERS += [20, 18, 24, 15, 9, 12, 7, 13, 9, 6]


def test_xbar_r_limits_of_the_piston_rings_baseline():
    chart = spc.xbar_r_chart(BASELINE)
    assert chart.limits.centre == pytest.approx(74.00118, abs=1e-5)
    assert chart.limits.spread_centre == pytest.approx(0.02276, abs=1e-5)
    assert chart.limits.ucl == pytest.approx(74.0143, abs=1e-4)
    assert chart.limits.lcl == pytest.approx(73.98805, abs=1e-4)
    assert chart.limits.spread_ucl == pytest.approx(0.04812, abs=1e-4)
    assert chart.limits.spread_lcl == 0
    # The baseline is in control.
    assert [v for v in chart.violations if v.rule == 1] == []


def test_phase_two_points_break_the_frozen_limits():
    frozen = spc.compute_limits("xbar_r", spc.ChartData(subgroups=BASELINE))
    chart = spc.build_chart("xbar_r", spc.ChartData(subgroups=PISTON_RINGS), frozen=frozen)
    beyond = sorted(v.index + 1 for v in chart.violations if v.rule == 1 and v.chart == "primary")
    # Montgomery: samples 37, 38 and 39 plot above the UCL (the process mean shifted).
    assert beyond == [37, 38, 39]
    # ... and the shift shows as a run on the same side before (rule 4 or 3).
    assert {v.rule for v in chart.violations if v.index >= 33} >= {1}


def test_xbar_s_of_the_piston_rings():
    chart = spc.xbar_s_chart(BASELINE)
    # Montgomery's X̄-S example: S̄ = 0.0094, X̄ limits 74.014 / 73.988, S UCL 0.0196
    # (printed to two digits; qcc's copy of the data gives S̄ = 0.00924).
    assert chart.limits.spread_centre == pytest.approx(0.0094, abs=2e-4)
    assert chart.limits.ucl == pytest.approx(74.014, abs=1e-3)
    assert chart.limits.lcl == pytest.approx(73.988, abs=1e-3)
    assert chart.limits.spread_ucl == pytest.approx(2.089 * chart.limits.spread_centre, abs=1e-5)
    assert chart.limits.spread_ucl == pytest.approx(0.0196, abs=4e-4)


def test_capability_of_the_piston_rings():
    chart = spc.xbar_r_chart(BASELINE)
    values = [v for subgroup in BASELINE for v in subgroup]
    result = spc.capability(values, lsl=73.95, usl=74.05, sigma_within=chart.limits.sigma)
    assert result.cp == pytest.approx(1.70, abs=0.01)
    assert result.cpk == pytest.approx(1.66, abs=0.01)
    assert result.pp is not None and result.ppk <= result.pp


def test_i_mr_of_the_nist_flowrate():
    chart = spc.i_mr_chart(FLOWRATE)
    assert chart.limits.centre == pytest.approx(50.81, abs=1e-2)
    assert chart.limits.ucl == pytest.approx(55.8041, abs=1e-3)
    assert chart.limits.lcl == pytest.approx(45.8159, abs=1e-3)
    assert chart.limits.spread_centre == pytest.approx(1.8778, abs=1e-3)
    assert chart.limits.spread_ucl == pytest.approx(6.1349, abs=1e-3)
    assert chart.secondary.values[0] is None


def test_c_chart_of_the_nist_wafer_defects():
    chart = spc.c_chart(WAFER_DEFECTS)
    assert chart.limits.centre == pytest.approx(16.0, abs=1e-9)
    assert chart.limits.ucl == pytest.approx(28.0, abs=1e-9)
    assert chart.limits.lcl == pytest.approx(4.0, abs=1e-9)
    # The e-Handbook: samples 24 (31) and 3 (28 is on the limit, not beyond).
    assert [v.index + 1 for v in chart.violations if v.rule == 1] == [24]


def test_p_chart_of_the_nist_wafers():
    chart = spc.p_chart(DEFECTIVE_WAFERS, [50] * len(DEFECTIVE_WAFERS))
    assert chart.primary.centre == pytest.approx(0.2313, abs=1e-4)
    assert chart.primary.ucl[0] == pytest.approx(0.4103, abs=1e-4)
    assert chart.primary.lcl[0] == pytest.approx(0.0524, abs=1e-4)
    # Samples 15 (22/50 = 0.44) and 23 (24/50 = 0.48) lie above the UCL.
    assert [v.index + 1 for v in chart.violations if v.rule == 1] == [15, 23]


def test_np_chart_equals_the_p_chart_times_n():
    p = spc.p_chart(DEFECTIVE_WAFERS, [50] * len(DEFECTIVE_WAFERS))
    np_ = spc.np_chart(DEFECTIVE_WAFERS, 50)
    assert np_.limits.centre == pytest.approx(p.primary.centre * 50)
    assert np_.limits.ucl == pytest.approx(p.primary.ucl[0] * 50)
    assert [v.index for v in np_.violations if v.rule == 1] == [
        v.index for v in p.violations if v.rule == 1
    ]


def test_u_and_p_limits_vary_with_the_sample_size():
    chart = spc.u_chart([4, 9, 2, 6], [5, 10, 5, 10])
    assert chart.primary.centre == pytest.approx(21 / 30)
    assert chart.primary.ucl[0] > chart.primary.ucl[1]  # smaller sample, wider limits
    p = spc.p_chart([1, 2, 1], [10, 40, 10])
    assert p.primary.ucl[0] > p.primary.ucl[1]
    assert all(low >= 0 for low in p.primary.lcl)


# --- rules ------------------------------------------------------------------------

LIMITS = {"centre": 0.0, "lcl": [-3.0] * 30, "ucl": [3.0] * 30}


def _rules(values, rule_set="western_electric"):
    lcl, ucl = LIMITS["lcl"][: len(values)], LIMITS["ucl"][: len(values)]
    return {
        (v.index, v.rule) for v in spc.rule_violations(values, 0.0, lcl, ucl, rule_set=rule_set)
    }


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.5, -0.5, 3.5, 0.2], {(2, 1)}),
        ([0.5, 2.5, -0.5, 2.2], {(3, 2)}),
        ([1.5, 1.2, 0.3, 1.4, 1.1], {(4, 3)}),
        ([0.2, 0.4, 0.3, 0.1, 0.5, 0.6, 0.2, 0.3], {(7, 4)}),
        ([0.2, -0.4, 0.3, -0.1, 0.5, -0.6, 0.2, -0.3], set()),
        ([2.5, 0.3, 2.5], {(2, 2)}),
    ],
)
def test_western_electric_rules(values, expected):
    assert _rules(values) == expected


def test_two_of_three_on_opposite_sides_is_no_violation():
    assert _rules([2.5, -2.5, 0.1]) == set()


@pytest.mark.parametrize(
    ("rule", "values"),
    [
        (1, [0.0, -3.2]),
        (2, [0.1] * 9),
        (3, [-0.5, -0.3, -0.1, 0.1, 0.3, 0.5]),
        (4, [0.5, -0.5] * 7),
        (5, [-2.1, 0.0, -2.4]),
        (6, [1.2, 1.3, -0.2, 1.5, 1.1]),
        (7, [0.5, -0.5, 0.2, -0.2, 0.1] * 3),
        (8, [1.5, -1.5] * 4),
    ],
)
def test_each_nelson_rule(rule, values):
    found = _rules(values, "nelson")
    assert (len(values) - 1, rule) in found


def test_nelson_rules_quiet_on_a_calm_process():
    calm = [0.5, -0.7, 1.1, -0.2, 0.3, -1.3, 0.4, -0.4, 0.2, -0.9, 1.2, 0.1, -0.6, 0.4, -1.0]
    assert {rule for _i, rule in _rules(calm, "nelson")} <= {4}  # may alternate, nothing else


@given(
    st.lists(st.floats(-2.9, 2.9, allow_nan=False), min_size=1, max_size=30),
    st.floats(-1000, 1000, allow_nan=False),
    st.floats(0.1, 100, allow_nan=False),
)
def test_rules_do_not_depend_on_location_or_scale(values, shift, scale):
    moved = [v * scale + shift for v in values]
    lcl = [-3 * scale + shift] * len(values)
    ucl = [3 * scale + shift] * len(values)
    base = spc.rule_violations(values, 0.0, [-3.0] * len(values), [3.0] * len(values))
    again = spc.rule_violations(moved, shift, lcl, ucl)
    # Rounding can only matter right at a zone edge; allow none of that here.
    edges = {2.0, 1.0, 0.0}
    if not any(abs(abs(v) - e) < 1e-6 for v in values for e in edges):
        assert base == again


@given(st.lists(st.lists(st.floats(0, 100, allow_nan=False), min_size=5, max_size=5), min_size=2))
def test_limits_surround_the_centre(subgroups):
    chart = spc.xbar_r_chart(subgroups)
    assert chart.limits.lcl <= chart.limits.centre + 1e-9
    assert chart.limits.centre <= chart.limits.ucl + 1e-9


# --- too little data, never a division by zero --------------------------------------


@pytest.mark.parametrize(
    ("chart", "data"),
    [
        ("xbar_r", spc.ChartData(subgroups=[(1.0, 2.0)])),
        ("xbar_s", spc.ChartData(subgroups=[])),
        ("i_mr", spc.ChartData(values=[5.0])),
        ("p", spc.ChartData(counts=[1], sample_sizes=[10])),
        ("np", spc.ChartData(counts=[], sample_sizes=[])),
        ("c", spc.ChartData(counts=[3])),
        ("u", spc.ChartData(counts=[], sample_sizes=[])),
    ],
)
def test_too_few_points_explained(chart, data):
    with pytest.raises(spc.NotEnoughData) as raised:
        spc.build_chart(chart, data)
    assert raised.value.needed == 2
    assert "at least 2" in str(raised.value)


def test_subgroups_of_one_value_cannot_make_an_xbar_chart():
    with pytest.raises(spc.NotEnoughData, match="subgroups of 2 to 25"):
        spc.xbar_r_chart([(1.0,), (2.0,)])
    with pytest.raises(spc.NotEnoughData, match="same size"):
        spc.xbar_r_chart([(1.0, 2.0), (2.0, 3.0, 4.0)])


def test_a_constant_process_has_flat_limits_and_no_capability():
    chart = spc.xbar_r_chart([(5.0, 5.0)] * 5)
    assert chart.limits.ucl == chart.limits.lcl == 5.0
    assert chart.violations == []
    result = spc.capability([5.0] * 10, lsl=4.0, usl=6.0, sigma_within=chart.limits.sigma)
    assert result.cp is None and result.pp is None
    with pytest.raises(spc.NotEnoughData):
        spc.capability([5.0], lsl=4.0, usl=6.0, sigma_within=None)


def test_one_sided_specification():
    result = spc.capability([1.0, 2.0, 3.0], lsl=None, usl=10.0, sigma_within=1.0)
    assert result.cp is None
    assert result.cpk == pytest.approx((10.0 - 2.0) / 3)


# --- pictures -----------------------------------------------------------------------


def test_control_chart_svg_marks_violations_and_escapes_text():
    frozen = spc.compute_limits("xbar_r", spc.ChartData(subgroups=BASELINE))
    chart = spc.build_chart("xbar_r", spc.ChartData(subgroups=PISTON_RINGS), frozen=frozen)
    svg = spc.control_chart_svg(
        chart, title="Ring <bore> & diameter", lsl=73.95, usl=74.05, rule_names={1: "3σ"}
    )
    root = ET.fromstring(svg)
    circles = root.findall("{http://www.w3.org/2000/svg}circle")
    marked = [c for c in circles if c.get("class") == "violation"]
    assert len(marked) == len([v for v in chart.violations if v.chart == "primary"]) or marked
    assert "Ring &lt;bore&gt; &amp; diameter" in svg
    assert 'viewBox="0 0 900 420"' in svg


def test_pareto_svg_sorts_and_handles_nothing():
    svg = spc.pareto_svg([("burr", 3), ("crack", 10), ("paint", 0)], title="불량 유형")
    root = ET.fromstring(svg)
    bars = [e for e in root.iter() if e.get("class") == "bar"]
    assert [b.find("{http://www.w3.org/2000/svg}title").text for b in bars] == [
        "crack: 10",
        "burr: 3",
    ]
    empty = spc.pareto_svg([], title="none", texts={"no_data": "자료 없음"})
    assert "자료 없음" in empty
    ET.fromstring(empty)
