"""The sample database's raw CAN log agrees with its can.csv and is catalogued per message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import workbench as wb


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("db")
    wb.samples.make_sample_database(
        root, records=1, duration_seconds=3, cameras=("front-center",), size=(160, 96), workers=1
    )
    return root


def test_bus_log_agrees_with_can_csv(sample):
    data = next((sample / "records").iterdir()) / "data"
    csv = pd.read_csv(data / "can.csv")
    out = wb.decode_can(data / "can_bus.log", data / "vehicle.dbc")
    assert not out.report.unknown_ids and not out.report.short_frames
    speed = out["VehicleSpeed"]
    np.testing.assert_allclose(speed.index, csv["timestamp"], atol=1e-6)
    np.testing.assert_allclose(speed["speed_kmh"], csv["speed_kmh"], atol=1e-9)
    np.testing.assert_allclose(
        out["Steering"]["steering_angle_deg"], csv["steering_angle_deg"], atol=1e-9
    )
    np.testing.assert_array_equal(out["Brake"]["brake"], csv["brake"])
    gear = out["Gear"]
    assert gear.attrs["choices"]["gear"][3] == "D" and (gear["gear"] == 3).all()
    assert len(gear) == 30 and out["Diag"]["coolant_temp"].notna().sum() == 2
    assert out["Diag"]["battery_v"].notna().sum() == 1


def test_sample_catalog_selects_can_messages_by_tag(sample):
    cat = wb.build_catalog(sample)
    sel = cat.select(tags=["can", "speed"])
    assert sorted(sel.df["contents"]) == ["VehicleSpeed", "can"]  # the CSV and the message
    gear = cat.select(tags=["can", "gear"]).df
    assert gear["contents"].tolist() == ["Gear"] and gear["count"].tolist() == [30]
    assert gear["content_type"].tolist() == ["application/x-can-candump"]
