"""A plant's machine signals, made up: for the demo's history and the MQTT simulator.

Pure Python. Each machine mostly runs, with idle spells, short breakdowns (with a reason)
and setups; while running, its counter grows at a little under its ideal rate, with
about 1 % rejects. Rows have the REST ingest's shape: ``{machine, ts, state?, reason?,
count_total?, count_reject?}``.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable
from datetime import datetime

# Next state, drawn by weight: mostly running, sometimes a stop.
NEXT = {
    "running": (("running", 85), ("idle", 7), ("down", 5), ("setup", 3)),
    "idle": (("running", 80), ("idle", 20)),
    "down": (("running", 60), ("down", 40)),
    "setup": (("running", 70), ("setup", 30)),
}
DOWN_REASONS = ("DT-BREAKDOWN", "DT-MATERIAL", "DT-QUALITY")
REJECT_RATE = 0.01


class PlantSimulator:
    def __init__(self, machines: Iterable[tuple[str, float]], *, seed: int | None = None):
        """``machines``: (code, ideal cycle time in seconds)."""
        self.rng = random.Random(seed)
        self.cycle = dict(machines)
        self.state: dict[str, str | None] = {code: None for code in self.cycle}  # unsent
        self.made = {code: 0.0 for code in self.cycle}  # fractions carry to the next step
        self.rejects = {code: 0 for code in self.cycle}

    def step(self, ts: datetime, interval_s: float, resting: Collection[str] = ()) -> list[dict]:
        """The signals of every machine at ``ts``, ``interval_s`` after the step before;
        the machines in ``resting`` (a break, no shift) stand idle until they are not."""
        rows = []
        for code, cycle in self.cycle.items():
            # Parts come from the interval just ended, in the state that held through it.
            if self.state[code] == "running":
                before = int(self.made[code])
                self.made[code] += interval_s / cycle * self.rng.uniform(0.8, 1.0)
                new = int(self.made[code]) - before
                self.rejects[code] += sum(1 for _ in range(new) if self.rng.random() < REJECT_RATE)
            # A machine's first step announces its state, as a gateway does on connecting.
            if code in resting:
                state = "idle"
            else:
                choices, weights = zip(*NEXT[self.state[code] or "running"], strict=True)
                state = self.rng.choices(choices, weights)[0]
            row: dict = {"machine": code, "ts": ts.isoformat()}
            if state != self.state[code] or self.rng.random() < 0.05:  # and a heartbeat
                row["state"] = state
                if state == "down":
                    row["reason"] = self.rng.choice(DOWN_REASONS)
                self.state[code] = state
            row["count_total"] = int(self.made[code])
            row["count_reject"] = self.rejects[code]
            rows.append(row)
        return rows
