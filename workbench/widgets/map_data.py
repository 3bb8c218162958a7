"""GPS tracks for the map: find the fixes, drop the bad ones, project, simplify, pack.

Everything the :class:`~workbench.widgets.map_view.MapView` sends to the browser is made
here, without widgets, so it can be checked in plain tests:

- :func:`find_position_columns` finds the latitude/longitude columns of a series;
- :func:`gps_track` keeps the valid fixes (NaN and the (0, 0) a receiver reports before
  its first fix are dropped and counted) and aligns an optional colour column by time;
- :func:`web_mercator` projects degrees to metres (EPSG:3857, the projection of web
  map tiles), so tiles, when given, line up with the track;
- :func:`simplify` (Ramer-Douglas-Peucker) keeps the ends and every corner that stands
  out by more than a tolerance, so a 1-hour 10 Hz track draws from a few thousand points;
- :func:`pack_tracks` lays the points of every track in one little-endian float64
  buffer, ``(t, x, y, value)`` per point, sent once as a binary message buffer.

Examples
--------
>>> import numpy as np, pandas as pd
>>> df = pd.DataFrame({"lat": [35.0, np.nan, 0.0, 35.001], "lon": [137.0, 137.0, 0.0, 137.0]},
...                   index=[10.0, 10.1, 10.2, 10.3])
>>> track = gps_track(df, record_id="r1")
>>> track.t.tolist(), track.skipped
([10.0, 10.3], 2)
>>> x, y = web_mercator(np.array([0.0, 0.0]), np.array([0.0, 180.0]))
>>> np.round(x).tolist(), (np.round(y) + 0.0).tolist()
([0.0, 20037508.0], [0.0, 0.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.errors import InvalidArgumentError

__all__ = [
    "LATITUDE_NAMES",
    "LONGITUDE_NAMES",
    "POINT_FIELDS",
    "Track",
    "find_position_columns",
    "gps_track",
    "pack_tracks",
    "simplify",
    "value_at",
    "web_mercator",
]

#: column names read as latitude / longitude (case-insensitive), most specific first
LATITUDE_NAMES = ("latitude", "lat")
LONGITUDE_NAMES = ("longitude", "lon", "lng", "long")
#: the float64 fields of one point in the packed buffer
POINT_FIELDS = ("t", "x", "y", "value")
#: WGS84 equatorial radius (m): the sphere of Web Mercator
EARTH_RADIUS_M = 6_378_137.0
#: Web Mercator is cut at this latitude (the square world of tile maps)
MAX_MERCATOR_LAT = 85.051128779806


def find_position_columns(columns: Sequence[object]) -> tuple[str, str] | None:
    """Return the ``(latitude, longitude)`` column names of a series, or None.

    Names are matched case-insensitively against :data:`LATITUDE_NAMES` and
    :data:`LONGITUDE_NAMES`; a flattened bag field such as ``fix.latitude`` matches by
    its last part.

    Examples
    --------
    >>> find_position_columns(["timestamp", "lat", "lon"])
    ('lat', 'lon')
    >>> find_position_columns(["fix.latitude", "fix.longitude", "fix.altitude"])
    ('fix.latitude', 'fix.longitude')
    >>> find_position_columns(["speed_kmh"]) is None
    True
    """
    by_name: dict[str, str] = {}
    for col in columns:
        name = str(col)
        by_name.setdefault(name.lower(), name)
        by_name.setdefault(name.lower().rsplit(".", 1)[-1], name)
    lat = next((by_name[n] for n in LATITUDE_NAMES if n in by_name), None)
    lon = next((by_name[n] for n in LONGITUDE_NAMES if n in by_name), None)
    return (lat, lon) if lat is not None and lon is not None else None


def web_mercator(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 degrees to Web Mercator metres (EPSG:3857), y pointing north.

    Examples
    --------
    >>> x, y = web_mercator(np.array([35.17]), np.array([136.88]))
    >>> round(float(x[0])), round(float(y[0]))
    (15237412, 4187008)
    """
    lat = np.clip(np.asarray(lat, dtype=np.float64), -MAX_MERCATOR_LAT, MAX_MERCATOR_LAT)
    lon = np.asarray(lon, dtype=np.float64)
    x = EARTH_RADIUS_M * np.radians(lon)
    y = EARTH_RADIUS_M * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))
    return x, y


def simplify(x: np.ndarray, y: np.ndarray, tolerance: float) -> np.ndarray:
    """Return the indices of the points Ramer-Douglas-Peucker keeps at ``tolerance``.

    The first and last points are always kept, and so is every point farther than
    ``tolerance`` (same unit as ``x``/``y``) from the simplified line: the corners.
    Distances are to segments, so every dropped point lies within ``tolerance`` of the
    segment between the kept points around it.

    Examples
    --------
    >>> x = np.array([0.0, 1, 2, 3, 3, 3])
    >>> y = np.array([0.0, 0.01, 0, 0, 1, 2])
    >>> simplify(x, y, 0.1).tolist()
    [0, 3, 5]
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = x.size
    if n <= 2 or not tolerance > 0:
        return np.arange(n)
    keep = np.zeros(n, dtype=bool)
    keep[[0, n - 1]] = True
    stack = [(0, n - 1)]
    while stack:
        first, last = stack.pop()
        if last - first < 2:
            continue
        dx, dy = x[last] - x[first], y[last] - y[first]
        px, py = x[first + 1 : last] - x[first], y[first + 1 : last] - y[first]
        # distance to the segment, not to its line: a track that doubles back past
        # the segment's end (a U-turn) keeps its turning point
        length2 = dx * dx + dy * dy
        f = np.clip((px * dx + py * dy) / length2, 0.0, 1.0) if length2 > 0 else 0.0
        dist = np.hypot(px - f * dx, py - f * dy)
        k = int(np.argmax(dist))
        if dist[k] > tolerance:
            mid = first + 1 + k
            keep[mid] = True
            stack.extend(((first, mid), (mid, last)))
    return np.flatnonzero(keep)


def value_at(times: np.ndarray, series_t: np.ndarray, series_v: np.ndarray) -> np.ndarray:
    """Return the value of a series as of each time (the last sample at or before it).

    Times before the first sample take the first value; NaN where the series is empty.

    Examples
    --------
    >>> value_at(np.array([0.5, 1.0, 2.5]), np.array([1.0, 2.0]), np.array([10.0, 20.0])).tolist()
    [10.0, 10.0, 20.0]
    """
    times = np.asarray(times, dtype=np.float64)
    series_t = np.asarray(series_t, dtype=np.float64)
    series_v = np.asarray(series_v, dtype=np.float64)
    if series_t.size == 0:
        return np.full(times.shape, np.nan)
    order = np.argsort(series_t, kind="stable")
    series_t, series_v = series_t[order], series_v[order]
    i = np.clip(np.searchsorted(series_t, times, side="right") - 1, 0, series_t.size - 1)
    return series_v[i]


@dataclass(frozen=True)
class Track:
    """The valid fixes of one record, in time order.

    Attributes
    ----------
    record_id : str
        The record the track belongs to.
    t : numpy.ndarray
        Absolute seconds of each fix.
    lat, lon : numpy.ndarray
        WGS84 degrees.
    x, y : numpy.ndarray
        Web Mercator metres.
    value : numpy.ndarray
        The ``color_by`` column as of each fix (NaN without one).
    skipped : int
        Fixes dropped: NaN, infinite, out of range or exactly (0, 0).
    """

    record_id: str
    t: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    x: np.ndarray
    y: np.ndarray
    value: np.ndarray
    skipped: int

    def __len__(self) -> int:
        return int(self.t.size)

    def position_at(self, timestamp: float) -> tuple[float, float]:
        """Return the Web Mercator ``(x, y)`` at ``timestamp``, interpolated between fixes.

        Before the first fix (after the last) the first (last) position is returned,
        as the map's marker shows it.
        """
        return (
            float(np.interp(timestamp, self.t, self.x)),
            float(np.interp(timestamp, self.t, self.y)),
        )


def gps_track(
    df: pd.DataFrame,
    *,
    record_id: str,
    color_by: tuple[np.ndarray, np.ndarray] | None = None,
) -> Track:
    """Make the :class:`Track` of a series indexed by absolute time with position columns.

    Parameters
    ----------
    df : pandas.DataFrame
        Indexed by absolute seconds, with latitude and longitude columns (see
        :func:`find_position_columns`).
    record_id : str
        Names the record in errors and in the map.
    color_by : (times, values), optional
        A series aligned to the fixes as of each fix's time (:func:`value_at`).

    Raises
    ------
    InvalidArgumentError
        The series has no latitude/longitude columns (the message lists its columns).
    """
    cols = find_position_columns(list(df.columns))
    if cols is None:
        raise InvalidArgumentError(
            f"record {record_id!r} has no latitude/longitude columns (looked for "
            f"{'/'.join(LATITUDE_NAMES)} and {'/'.join(LONGITUDE_NAMES)}); its columns are "
            f"{[str(c) for c in df.columns]}"
        )
    t = pd.to_numeric(pd.Series(df.index), errors="coerce").to_numpy(np.float64)
    lat = pd.to_numeric(df[cols[0]], errors="coerce").to_numpy(np.float64)
    lon = pd.to_numeric(df[cols[1]], errors="coerce").to_numpy(np.float64)
    ok = (
        np.isfinite(t)
        & np.isfinite(lat)
        & np.isfinite(lon)
        & (np.abs(lat) <= 90)
        & (np.abs(lon) <= 180)
        & ~((lat == 0) & (lon == 0))
    )
    order = np.argsort(t[ok], kind="stable")
    t, lat, lon = t[ok][order], lat[ok][order], lon[ok][order]
    x, y = web_mercator(lat, lon)
    value = value_at(t, *color_by) if color_by is not None else np.full(t.shape, np.nan)
    return Track(str(record_id), t, lat, lon, x, y, value, int((~ok).sum()))


def pack_tracks(
    tracks: Sequence[Track], *, max_points: int = 4000
) -> tuple[bytes, list[dict[str, object]]]:
    """Simplify each track and pack all of them into one buffer for the browser.

    The tolerance of each track is its extent divided by ``max_points`` (well under a
    pixel on any map the notebook can show), raised until the track has at most
    ``max_points`` points.

    Returns
    -------
    buffer : bytes
        Little-endian float64, :data:`POINT_FIELDS` per point, tracks one after another.
    meta : list of dict
        Per track: ``record_id``, ``offset`` and ``count`` (in points), ``fixes`` (before
        simplification), ``skipped``, ``tolerance_m`` (the simplification's, in Web
        Mercator metres), ``t0``/``t1``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> t = np.arange(1000.0)
    >>> line = pd.DataFrame({"lat": 35 + t * 1e-5, "lon": 137 + 0 * t}, index=t)
    >>> buf, meta = pack_tracks([gps_track(line, record_id="r")])
    >>> meta[0]["count"], meta[0]["fixes"], len(buf) // 32
    (2, 1000, 2)
    """
    if int(max_points) < 2:
        raise InvalidArgumentError(f"max_points must be at least 2, got {max_points!r}")
    parts: list[np.ndarray] = []
    meta: list[dict[str, object]] = []
    offset = 0
    for track in tracks:
        keep = np.arange(len(track))
        tolerance = 0.0
        if len(track) > 2:
            extent = max(np.ptp(track.x), np.ptp(track.y))
            tolerance = extent / max_points
            keep = simplify(track.x, track.y, tolerance)
            while keep.size > max_points:
                tolerance *= 2
                keep = simplify(track.x, track.y, tolerance)
        block = np.column_stack(
            (track.t[keep], track.x[keep], track.y[keep], track.value[keep])
        ).astype("<f8")
        parts.append(block.reshape(-1))
        meta.append(
            {
                "record_id": track.record_id,
                "offset": offset,
                "count": int(keep.size),
                "fixes": len(track),
                "skipped": track.skipped,
                "tolerance_m": float(tolerance),
                "t0": float(track.t[0]) if len(track) else None,
                "t1": float(track.t[-1]) if len(track) else None,
            }
        )
        offset += int(keep.size)
    buffer = np.concatenate(parts).tobytes() if parts else b""
    return buffer, meta
