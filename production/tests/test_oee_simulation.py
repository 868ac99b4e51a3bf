"""The plant simulator (pure): what the demo history and simulate_plant publish."""

from datetime import UTC, datetime, timedelta

from production.oee.simulation import PlantSimulator

START = datetime(2026, 11, 23, tzinfo=UTC)


def run(plant: PlantSimulator, steps: int, interval_s: float) -> list[list[dict]]:
    return [plant.step(START + timedelta(seconds=interval_s * n), interval_s) for n in range(steps)]


def test_the_first_step_announces_every_machine_and_the_same_seed_repeats():
    plant = PlantSimulator([("FAST", 2.5), ("SLOW", 185.0)], seed=3)
    first = plant.step(START, 5)
    assert [row["machine"] for row in first] == ["FAST", "SLOW"]
    assert all("state" in row for row in first)
    again = PlantSimulator([("FAST", 2.5), ("SLOW", 185.0)], seed=3).step(START, 5)
    assert again == first


def test_counters_grow_below_the_ideal_rate_even_for_slow_machines():
    plant = PlantSimulator([("FAST", 2.5), ("SLOW", 185.0)], seed=5)
    steps = run(plant, 720, 5)  # an hour at five seconds a step
    last = {row["machine"]: row for row in steps[-1]}
    # Fractions carry over: a machine slower than a step still counts its parts.
    assert 0 < last["SLOW"]["count_total"] <= 3600 / 185
    assert 0 < last["FAST"]["count_total"] <= 3600 / 2.5
    totals = [row["count_total"] for step in steps for row in step if row["machine"] == "FAST"]
    assert totals == sorted(totals)  # cumulative, never down
    assert last["FAST"]["count_reject"] < last["FAST"]["count_total"] * 0.05
    states = {row.get("state") for step in steps for row in step} - {None}
    assert states <= {"running", "idle", "down", "setup"} and "down" in states
    downs = [row for step in steps for row in step if row.get("state") == "down"]
    assert all(row["reason"].startswith("DT-") for row in downs)


def test_resting_machines_stand_idle_and_make_nothing():
    plant = PlantSimulator([("FAST", 2.5)], seed=1)
    plant.step(START, 60)
    made = plant.step(START + timedelta(minutes=1), 60)[0]["count_total"]
    rest = [plant.step(START + timedelta(minutes=2 + n), 60, {"FAST"})[0] for n in range(5)]
    assert rest[0]["state"] == "idle"
    # What ran before the break is counted at its first step, then nothing more.
    assert len({row["count_total"] for row in rest[1:]}) == 1 and rest[1]["count_total"] >= made
