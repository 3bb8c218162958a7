"""A simulated drive: the one truth that the synthetic video, CAN and GPS all agree on.

:func:`simulate_drive` integrates a simple longitudinal model at 100 Hz: the car cruises
around a seed-dependent speed, and roughly every 20 s the car ahead brakes (its brake
lights come on), the ego car brakes about half a second later and the gap shrinks,
then both accelerate back to cruising speed. Steering wanders gently; GPS is
dead-reckoned from speed and steering near Nagoya (where the Driving Behavior Database
was recorded).

Examples
--------
>>> drive = simulate_drive(30.0, seed=1)
>>> int(drive.brake.max())
1
>>> state = drive.at(12.5)
>>> sorted(state)
['brake', 'distance_m', 'gap_m', 'lead_brake', 'speed_kmh', 'steering_angle_deg']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Drive", "simulate_drive"]

#: rate of the simulation and of the CAN log (Hz)
SIM_RATE_HZ = 100
#: seconds between the starts of two braking events (on average)
BRAKE_PERIOD_S = 20.0
#: how long the ego car keeps braking (s)
BRAKE_DURATION_S = 2.5
#: the lead car's brake lights come on this much earlier than the ego brake (s)
LEAD_REACTION_S = 0.6
_EARTH_M_PER_DEG = 111_320.0
_WHEELBASE_M = 2.7
_STEERING_RATIO = 15.0


@dataclass(frozen=True)
class Drive:
    """Time series of one simulated drive, sampled at :data:`SIM_RATE_HZ`.

    Attributes
    ----------
    t : numpy.ndarray
        Seconds from the start of the record.
    speed_kmh, steering_angle_deg : numpy.ndarray
        Ego speed and steering-wheel angle (positive = left).
    brake : numpy.ndarray
        Ego brake pedal pressed (0/1, int8).
    lead_brake : numpy.ndarray
        Brake lights of the car ahead on (0/1).
    gap_m : numpy.ndarray
        Distance to the car ahead (m).
    distance_m : numpy.ndarray
        Distance travelled by the ego car (m).
    lat, lon : numpy.ndarray
        Position (WGS84 degrees).
    brake_events : list[tuple[float, float]]
        (start, end) seconds of every braking event.
    """

    t: np.ndarray
    speed_kmh: np.ndarray
    steering_angle_deg: np.ndarray
    brake: np.ndarray
    lead_brake: np.ndarray
    gap_m: np.ndarray
    distance_m: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    brake_events: list[tuple[float, float]]

    @property
    def duration_seconds(self) -> float:
        """Length of the simulated drive in seconds."""
        return float(self.t[-1])

    def at(self, seconds: float) -> dict[str, float]:
        """State at ``seconds`` (nearest earlier sample; clamped to the drive)."""
        i = int(np.clip(np.floor(seconds * SIM_RATE_HZ + 1e-9), 0, len(self.t) - 1))
        return {
            "speed_kmh": float(self.speed_kmh[i]),
            "steering_angle_deg": float(self.steering_angle_deg[i]),
            "brake": int(self.brake[i]),
            "lead_brake": int(self.lead_brake[i]),
            "gap_m": float(self.gap_m[i]),
            "distance_m": float(self.distance_m[i]),
        }


def _brake_events(duration: float, rng: np.random.Generator) -> list[tuple[float, float]]:
    events = []
    start = rng.uniform(5.0, 9.0)
    while start + BRAKE_DURATION_S < duration - 0.5:
        length = BRAKE_DURATION_S + rng.uniform(-0.5, 1.0)
        events.append((round(start, 2), round(min(start + length, duration - 0.5), 2)))
        start += BRAKE_PERIOD_S + rng.uniform(-3.0, 3.0)
    return events


def simulate_drive(duration_seconds: float, *, seed: int = 0) -> Drive:
    """Simulate a drive of ``duration_seconds`` at :data:`SIM_RATE_HZ`, reproducibly.

    Parameters
    ----------
    duration_seconds : float
        Length of the drive; the arrays cover ``0 .. duration_seconds`` inclusive.
    seed : int
        Seed of every random choice (cruise speed, braking times, route, start point).

    Examples
    --------
    >>> d = simulate_drive(60, seed=0)
    >>> len(d.brake_events)
    3
    >>> bool((d.speed_kmh > 0).all())
    True
    """
    rng = np.random.default_rng(seed)
    n = round(duration_seconds * SIM_RATE_HZ) + 1
    dt = 1.0 / SIM_RATE_HZ
    t = np.arange(n) * dt
    cruise_kmh = rng.uniform(40.0, 65.0)
    wobble = rng.uniform(0, 2 * np.pi, 3)
    cruise = (
        cruise_kmh
        + 4.0 * np.sin(2 * np.pi * t / 37.0 + wobble[0])
        + 2.0 * np.sin(2 * np.pi * t / 11.0 + wobble[1])
    ) / 3.6
    events = _brake_events(duration_seconds, rng)
    brake = np.zeros(n, dtype=np.int8)
    lead_brake = np.zeros(n, dtype=np.int8)
    for a, b in events:
        brake[(t >= a) & (t < b)] = 1
        lead_brake[(t >= a - LEAD_REACTION_S) & (t < b - LEAD_REACTION_S / 2)] = 1
    # longitudinal model: brake at ~3 m/s², otherwise track the cruise speed
    v = np.empty(n)
    v[0] = cruise[0]
    decel = rng.uniform(2.5, 3.5)
    for i in range(1, n):
        if brake[i - 1]:
            acc = -decel
        else:
            acc = float(np.clip(0.6 * (cruise[i - 1] - v[i - 1]), -1.0, 1.5))
        v[i] = max(v[i - 1] + acc * dt, 1.0)
    distance = np.concatenate([[0.0], np.cumsum((v[1:] + v[:-1]) / 2 * dt)])
    # the gap closes while the lead car brakes first, and opens again afterwards
    squeeze = np.zeros(n)
    tau = 0.8
    for i in range(1, n):
        squeeze[i] = squeeze[i - 1] + (lead_brake[i] - squeeze[i - 1]) * dt / tau
    headway_s = rng.uniform(1.2, 1.6)
    gap = np.maximum(v * headway_s, 8.0) * (1.0 - 0.55 * squeeze)
    steer = (
        6.0 * np.sin(2 * np.pi * t / 23.0 + wobble[2])
        + 2.0 * np.sin(2 * np.pi * t / 7.3 + wobble[0])
        + rng.normal(0.0, 0.3, n)
    )
    # dead-reckon the GPS track from speed and steering (kinematic bicycle model)
    yaw_rate = v * np.tan(np.radians(steer / _STEERING_RATIO)) / _WHEELBASE_M
    heading = rng.uniform(0, 2 * np.pi) + np.cumsum(yaw_rate) * dt
    lat0 = 35.1547 + rng.uniform(-0.02, 0.02)
    lon0 = 136.9639 + rng.uniform(-0.02, 0.02)
    north = np.cumsum(v * np.cos(heading)) * dt
    east = np.cumsum(v * np.sin(heading)) * dt
    lat = lat0 + north / _EARTH_M_PER_DEG
    lon = lon0 + east / (_EARTH_M_PER_DEG * np.cos(np.radians(lat0)))
    return Drive(
        t=t,
        speed_kmh=v * 3.6,
        steering_angle_deg=steer,
        brake=brake,
        lead_brake=lead_brake,
        gap_m=gap,
        distance_m=distance,
        lat=lat,
        lon=lon,
        brake_events=events,
    )
