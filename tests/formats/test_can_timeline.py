"""Decoded CAN on the Timeline: units in lane labels, enumerations as named state lanes."""

from __future__ import annotations

import pytest

import workbench as wb
from workbench.samples.can_log import write_can_log
from workbench.samples.drive import simulate_drive

T0 = 1_552_806_732.0


@pytest.fixture
def decoded(tmp_path):
    write_can_log(tmp_path, "r1", T0, simulate_drive(20.0, seed=2), 20.0, "r1")
    return wb.decode_can(tmp_path / "can_bus.log", tmp_path / "vehicle.dbc")


def test_units_and_state_lanes(decoded):
    tl = wb.Timeline(decoded, buckets=200)
    lanes = {lane["name"]: lane for lane in tl.lanes}
    speed = lanes["VehicleSpeed.speed_kmh"]
    assert speed["unit"] == "km/h" and speed["kind"] == "line"
    assert lanes["Steering.steering_angle_deg"]["unit"] == "deg"
    gear = lanes["Gear.gear"]
    assert gear["kind"] == "state" and gear["labels"]["3"] == "D"
    assert gear["v"] == [3.0] and gear["t"] == [0.0] and gear["end"] == pytest.approx(19.9)
    turn = lanes["Gear.turn_signal"]
    assert turn["kind"] == "state" and len(turn["v"]) > 1
    assert {turn["labels"][str(int(v))] for v in turn["v"]} <= {"off", "left", "right"}
    # runs alternate: no two neighbours share a value
    assert all(a != b for a, b in zip(turn["v"], turn["v"][1:], strict=False))
    assert (tl.t0, tl.t1) == (T0, pytest.approx(T0 + 19.99))
    tl.close()


def test_a_flickering_enumeration_falls_back_to_a_line(decoded):
    tl = wb.Timeline({"Gear": decoded["Gear"]}, columns=["turn_signal"], buckets=2)
    assert tl.lanes[0]["kind"] == "line"
    tl.close()
