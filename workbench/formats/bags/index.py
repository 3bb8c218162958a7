"""``BagIndex``: where every message of every topic of a recording is, built without reading
message payloads.

For each topic the index holds the log time of every message (int64 nanoseconds, sorted)
and where its bytes are: a *chunk* number and an *offset*. A chunk is a compressed block
of the file (a ROS 1 chunk, an MCAP chunk) or a whole SQLite storage file; the offset is
the record's position inside the decompressed chunk, or the row id in SQLite. Reading a
message later costs one seek and one chunk decompression (cached while reading forward).

Sources of positions, all from the libraries' own indexes:

* ROS 1: ``rosbags.rosbag1.Reader`` reads the bag's index records on ``open()`` and keeps
  ``(time, chunk_pos, offset)`` per connection; a bag without a usable index (not closed
  cleanly, or cut short) is read through chunk by chunk instead, as ``rosbag reindex``
  does, and the index says it is truncated;
* ROS 2 SQLite storage: one ``SELECT id, timestamp`` over the ``messages`` table;
* MCAP (plain or ROS 2 storage): the ``MessageIndex`` records that the summary's
  ``ChunkIndex`` records point to (read with the ``mcap`` package). A file without a
  summary (truncated, or written without one) is scanned chunk by chunk instead, and the
  index says it is truncated.

Message definitions are stored in the index too, so a cached index is enough to decode
messages: definitions always come from the recording itself.

Examples
--------
>>> import tempfile, pathlib
>>> from workbench.samples.bags import write_sample_bag
>>> bag = write_sample_bag(pathlib.Path(tempfile.mkdtemp()) / "drive.bag", duration_seconds=1)
>>> index = build_index(bag)
>>> index.kind, sorted(index.topics)[:2]
('ros1', ['/cabin/image_raw', '/dashcam/image_raw/compressed'])
>>> index.topics["/gps/fix"].count
10
"""

from __future__ import annotations

import io
import json
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import CorruptMediaError, SourceNotFoundError
from workbench.formats.bags.layout import bag_kind, recording_path

__all__ = ["INDEX_SCHEMA", "BagIndex", "TopicEntry", "build_index"]

#: bump when the layout or meaning of a saved bag index changes
INDEX_SCHEMA = 1
#: chunk compression name of a SQLite storage file (offsets are row ids)
SQLITE = "sqlite3"
#: chunk compression name of MCAP messages outside chunks (offsets are file offsets)
UNCHUNKED = "unchunked"
#: how to reindex a ROS 1 bag (the format's own tool; rosbags cannot reindex)
REINDEX_HINT = (
    "reindex it first with ROS 1's `rosbag reindex <file>` (a recording that was not "
    "closed cleanly has no index); a copy that was cut short must be copied again"
)


@dataclass
class TopicEntry:
    """One topic: its type, definition and the position of every message.

    Attributes
    ----------
    msgtype : str
        ROS type name (``sensor_msgs/msg/NavSatFix``) or the MCAP schema name.
    encoding : str
        ``"ros1"``, ``"cdr"`` or ``"json"``: how the payload is serialised.
    definition_format, definition : str
        ``"msg"``, ``"idl"`` or ``""``, and the full definition text from the recording.
    md5sum : str or None
        The ROS 1 md5sum (``None`` for ROS 2 and MCAP, which have none).
    time_ns, chunk, offset : numpy.ndarray
        int64 per message, sorted by log time.
    """

    msgtype: str
    encoding: str
    definition_format: str
    definition: str
    md5sum: str | None
    time_ns: np.ndarray
    chunk: np.ndarray
    offset: np.ndarray

    @property
    def count(self) -> int:
        """Number of messages."""
        return len(self.time_ns)


@dataclass
class BagIndex:
    """Every topic of one recording and the chunk table its positions refer to.

    Attributes
    ----------
    kind : str
        ``"ros1"``, ``"ros2"`` or ``"mcap"`` (see :func:`~workbench.formats.bags.layout.bag_kind`).
    path : str
        The recording (file, or ROS 2 folder).
    files : list of str
        Names of the files chunks live in (relative to the folder for ROS 2).
    chunk_file, chunk_pos, chunk_size : numpy.ndarray
        int64 per chunk: file number, byte position of its data, its byte size.
    chunk_compression : list of str
        Per chunk: ``none``, ``lz4``, ``bz2``, ``zstd``, :data:`SQLITE` or :data:`UNCHUNKED`.
    topics : dict
        Topic name -> :class:`TopicEntry`.
    truncated : bool
        The recording ends early (no summary/index at its end): what is there is indexed.
    identity : dict
        File identity the cache keys on (set by the cache).
    """

    kind: str
    path: str
    files: list[str]
    chunk_file: np.ndarray
    chunk_pos: np.ndarray
    chunk_size: np.ndarray
    chunk_compression: list[str]
    topics: dict[str, TopicEntry]
    truncated: bool = False
    identity: dict[str, Any] = field(default_factory=dict)

    @property
    def header(self) -> BagIndex:
        # IndexCache keys on ``index.header.identity`` (the video index's layout)
        return self

    # -- persistence -------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """Serialise as an ``.npz`` archive (arrays + a JSON ``header`` entry)."""
        names = list(self.topics)
        meta = {
            "schema": INDEX_SCHEMA,
            "kind": self.kind,
            "path": self.path,
            "files": self.files,
            "chunk_compression": self.chunk_compression,
            "truncated": self.truncated,
            "identity": self.identity,
            "topics": [
                {k: v for k, v in asdict(t).items() if k not in ("time_ns", "chunk", "offset")}
                | {"name": n}
                for n, t in self.topics.items()
            ],
        }
        arrays: dict[str, np.ndarray] = {
            "chunk_file": self.chunk_file,
            "chunk_pos": self.chunk_pos,
            "chunk_size": self.chunk_size,
        }
        for k, n in enumerate(names):
            t = self.topics[n]
            arrays[f"t{k}_time"], arrays[f"t{k}_chunk"], arrays[f"t{k}_offset"] = (
                t.time_ns,
                t.chunk,
                t.offset,
            )
        buf = io.BytesIO()
        header = np.frombuffer(json.dumps(meta).encode(), np.uint8)
        np.savez(buf, header=header, **arrays)
        return buf.getvalue()

    @classmethod
    def from_file(cls, path: str | Path) -> BagIndex:
        """Load an index written by :meth:`to_bytes`.

        Raises
        ------
        ValueError
            The file is damaged, of another schema, or inconsistent.
        """
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(bytes(z["header"]).decode())
                if meta.get("schema") != INDEX_SCHEMA:
                    raise ValueError(f"schema {meta.get('schema')}")
                topics = {}
                for k, t in enumerate(meta["topics"]):
                    name = t.pop("name")
                    topics[name] = TopicEntry(
                        **t,
                        time_ns=np.array(z[f"t{k}_time"]),
                        chunk=np.array(z[f"t{k}_chunk"]),
                        offset=np.array(z[f"t{k}_offset"]),
                    )
                index = cls(
                    kind=meta["kind"],
                    path=meta["path"],
                    files=list(meta["files"]),
                    chunk_file=np.array(z["chunk_file"]),
                    chunk_pos=np.array(z["chunk_pos"]),
                    chunk_size=np.array(z["chunk_size"]),
                    chunk_compression=list(meta["chunk_compression"]),
                    topics=topics,
                    truncated=bool(meta["truncated"]),
                    identity=dict(meta["identity"]),
                )
        except Exception as exc:  # BadZipFile, OSError, KeyError, TypeError, ValueError ...
            raise ValueError(f"damaged bag index file {str(path)!r}: {exc}") from exc
        index.validate()
        return index

    def validate(self) -> None:
        """Raise ``ValueError`` when the tables do not add up."""
        n = len(self.chunk_pos)
        if len(self.chunk_file) != n or len(self.chunk_size) != n:
            raise ValueError("chunk tables of different lengths")
        if len(self.chunk_compression) != n:
            raise ValueError("chunk compression table of another length")
        for name, t in self.topics.items():
            if not (len(t.time_ns) == len(t.chunk) == len(t.offset)):
                raise ValueError(f"topic {name!r}: position tables of different lengths")
            if len(t.chunk) and (t.chunk.max() >= n or t.chunk.min() < 0):
                raise ValueError(f"topic {name!r}: chunk number out of range")


# ----------------------------------------------------------------------------- building


class _Chunks:
    """Collects the chunk table while positions are gathered."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, int, int, str]] = []
        self._seen: dict[tuple[int, int], int] = {}

    def add(self, file_no: int, pos: int, size: int, compression: str) -> int:
        key = (file_no, pos)
        if key not in self._seen:
            self._seen[key] = len(self.rows)
            self.rows.append((file_no, pos, size, compression))
        return self._seen[key]


@dataclass
class _Topic:
    msgtype: str
    encoding: str
    definition_format: str
    definition: str
    md5sum: str | None
    times: list[np.ndarray] = field(default_factory=list)
    chunks: list[np.ndarray] = field(default_factory=list)
    offsets: list[np.ndarray] = field(default_factory=list)

    def add(self, times: Any, chunks: Any, offsets: Any) -> None:
        self.times.append(np.asarray(times, dtype=np.int64))
        self.chunks.append(np.asarray(chunks, dtype=np.int64))
        self.offsets.append(np.asarray(offsets, dtype=np.int64))

    def entry(self) -> TopicEntry:
        def cat(parts: list[np.ndarray]) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, np.int64)

        t, c, o = cat(self.times), cat(self.chunks), cat(self.offsets)
        order = np.argsort(t, kind="stable")
        return TopicEntry(
            self.msgtype,
            self.encoding,
            self.definition_format,
            self.definition,
            self.md5sum,
            t[order],
            c[order],
            o[order],
        )


def _definition_format(msgdef: Any) -> str:
    name = getattr(getattr(msgdef, "format", None), "name", "NONE")
    return {"MSG": "msg", "IDL": "idl"}.get(name, "")


def _ros1_topic(topics: dict[str, _Topic], conn: Any) -> _Topic:
    return topics.setdefault(
        conn.topic,
        _Topic(
            conn.msgtype,
            "ros1",
            _definition_format(conn.msgdef),
            conn.msgdef.data,
            conn.digest or None,
        ),
    )


def _ros1_scan(path: Path) -> tuple[list[str], _Chunks, dict[str, _Topic], bool]:
    """Index a ROS 1 bag that has no index (not closed cleanly, or cut short) by reading
    it through, as ``rosbag reindex`` does; returns ``truncated=True``.

    rosbags reads only indexed bags, so the record walk is done here with its record
    parsers (``Header.read``, ``Reader.read_connection``, its decompressors).
    """
    from rosbags.rosbag1 import Reader, ReaderError
    from rosbags.rosbag1.reader import Header, RecordType, decompressors, read_uint32

    helper = Reader(path)  # only its connection-record parser is used
    chunks = _Chunks()
    topics: dict[str, _Topic] = {}
    conn_topic: dict[int, str] = {}
    rows: dict[str, list[tuple[int, int, int]]] = {}

    def next_record(stream: Any) -> tuple[int, Any]:
        """The next record's offset and header; a connection record is read whole (its
        topic noted) and given as ``None``."""
        at = stream.tell()
        header = Header.read(stream)
        if header.get_uint8("op") != RecordType.CONNECTION:
            return at, header
        stream.seek(at)
        helper.bio = stream
        conn = helper.read_connection()
        helper.bio = None
        conn_topic[conn.id] = conn.topic
        _ros1_topic(topics, conn)
        return at, None

    def scan_chunk(no: int, inner: io.BytesIO) -> None:
        """Note the time and offset of every message in a decompressed chunk."""
        end = len(inner.getbuffer())
        while inner.tell() < end:
            at, h = next_record(inner)
            if h is None:
                continue
            if h.get_uint8("op") == RecordType.MSGDATA:
                name = conn_topic.get(h.get_uint32("conn"))
                if name is not None:
                    rows.setdefault(name, []).append((h.get_time("time"), no, at))
            inner.seek(read_uint32(inner), io.SEEK_CUR)

    size = path.stat().st_size
    with open(path, "rb") as f:
        if not f.readline().startswith(b"#ROSBAG V2.0"):
            raise CorruptMediaError(f"{str(path)!r} is not a ROS 1 bag (version 2.0)")
        try:
            Header.read(f, RecordType.BAGHEADER)
            f.seek(read_uint32(f), io.SEEK_CUR)
            while f.tell() < size:
                _, header = next_record(f)
                if header is None:
                    continue
                length = read_uint32(f)
                if header.get_uint8("op") != RecordType.CHUNK:
                    f.seek(length, io.SEEK_CUR)
                    continue
                datapos = f.tell()
                data = f.read(length)
                if len(data) < length:
                    break
                compression = header.get_string("compression")
                no = chunks.add(0, datapos, length, compression)
                scan_chunk(no, io.BytesIO(decompressors[compression](data)))
        except (ReaderError, KeyError, ValueError, OSError):
            pass  # the recording ends here: keep what was read
    for name, found in rows.items():
        arr = np.array(found, np.int64).reshape(-1, 3)
        topics[name].add(arr[:, 0], arr[:, 1], arr[:, 2])
    if not topics:
        raise CorruptMediaError(
            f"ROS 1 bag {str(path)!r} has no index and no readable messages; {REINDEX_HINT}"
        )
    return [path.name], chunks, topics, True


def _ros1_index(path: Path) -> tuple[list[str], _Chunks, dict[str, _Topic], bool]:
    from rosbags.rosbag1 import Reader, ReaderError
    from rosbags.rosbag1.reader import decompressors

    names = {fn: name for name, fn in decompressors.items()}
    try:
        reader = Reader(path)
        reader.open()
    except ReaderError as exc:  # no index, a damaged one, or cut short: read it through
        try:
            return _ros1_scan(path)
        except CorruptMediaError as scan:
            raise CorruptMediaError(f"{scan} (rosbags: {exc})") from None
    chunks = _Chunks()
    topics: dict[str, _Topic] = {}
    try:
        chunk_no = {
            pos: chunks.add(0, c.datapos, c.datasize, names.get(c.decompressor, "none"))
            for pos, c in reader.chunks.items()
        }
        for conn in reader.connections:
            topic = _ros1_topic(topics, conn)
            entries = reader.indexes.get(conn.id, [])
            if entries:  # IndexData tuples: (time, chunk_pos, offset)
                arr = np.array(entries, np.int64).reshape(-1, 3)
                positions = np.array(sorted(chunk_no), np.int64)
                numbers = np.array([chunk_no[int(p)] for p in positions], np.int64)
                chunks_of = numbers[np.searchsorted(positions, arr[:, 1])]
                topic.add(arr[:, 0], chunks_of, arr[:, 2])
    finally:
        reader.close()
    return [path.name], chunks, topics, False


def _sqlite_positions(
    db: Path, file_no: int, chunks: _Chunks, topics: dict[str, _Topic], by_name: dict[str, Any]
) -> None:
    chunk = chunks.add(file_no, 0, db.stat().st_size, SQLITE)
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise CorruptMediaError(f"ROS 2 storage file {str(db)!r} cannot be opened: {exc}") from None
    try:
        ids = dict(con.execute("SELECT id, name FROM topics").fetchall())
        rows = np.array(
            con.execute("SELECT topic_id, id, timestamp FROM messages").fetchall(), np.int64
        ).reshape(-1, 3)
    except sqlite3.DatabaseError as exc:
        raise CorruptMediaError(
            f"ROS 2 storage file {str(db)!r} is damaged or truncated ({exc}); copy it again"
        ) from None
    finally:
        con.close()
    for tid, name in ids.items():
        if name not in by_name:
            continue
        mine = rows[rows[:, 0] == tid]
        topics[name].add(mine[:, 2], np.full(len(mine), chunk), mine[:, 1])


def _mcap_scan(
    f: Any, file_no: int, chunks: _Chunks, channel_topic: dict[int, str], topics: dict[str, _Topic]
) -> bool:
    """Index an MCAP file without summary by walking its records; True when it ends early.

    The ``mcap`` package reads such files only as a stream of decoded messages, without
    their positions, so the record framing (opcode, u64 length) is walked here.
    """
    from mcap.data_stream import ReadDataStream
    from mcap.opcode import Opcode
    from mcap.records import Channel, Chunk
    from mcap.stream_reader import get_chunk_data_stream

    per_topic: dict[str, list[tuple[int, int, int]]] = {}

    def messages_in(data: bytes, chunk: int, base: int) -> None:
        pos = 0
        while pos + 9 <= len(data):
            opcode = data[pos]
            length = int.from_bytes(data[pos + 1 : pos + 9], "little")
            body = pos + 9
            if opcode == Opcode.CHANNEL:
                ch = Channel.read(ReadDataStream(io.BytesIO(data[body : body + length])))
                channel_topic[ch.id] = ch.topic
            elif opcode == Opcode.MESSAGE and body + length <= len(data):
                cid = int.from_bytes(data[body : body + 2], "little")
                log_time = int.from_bytes(data[body + 6 : body + 14], "little")
                if cid in channel_topic:
                    per_topic.setdefault(channel_topic[cid], []).append(
                        (log_time, chunk, base + pos)
                    )
            pos = body + length

    f.seek(8)
    truncated = False
    while True:
        start = f.tell()
        head = f.read(9)
        if len(head) < 9:
            truncated = True
            break
        opcode, length = head[0], int.from_bytes(head[1:], "little")
        body = f.read(length)
        if len(body) < length:
            truncated = True
            break
        if opcode == Opcode.FOOTER:
            break
        if opcode == Opcode.CHUNK:
            chunk = Chunk.read(ReadDataStream(io.BytesIO(body)))
            stream, size = get_chunk_data_stream(chunk)
            no = chunks.add(file_no, start, 9 + length, chunk.compression or "none")
            messages_in(stream.read(size), no, 0)
        elif opcode in (Opcode.CHANNEL, Opcode.MESSAGE):
            no = chunks.add(file_no, 0, 0, UNCHUNKED)
            messages_in(head + body, no, start)
    for name, rows in per_topic.items():
        if name in topics and rows:
            arr = np.array(rows, np.int64)
            topics[name].add(arr[:, 0], arr[:, 1], arr[:, 2])
    return truncated


def _mcap_definitions(summary_or_records: Any) -> tuple[dict[int, Any], dict[int, Any]]:
    return dict(summary_or_records.schemas), dict(summary_or_records.channels)


_ENCODINGS = {"cdr": "cdr", "ros1": "ros1", "json": "json"}
_SCHEMA_FORMATS = {"ros2msg": "msg", "ros1msg": "msg", "ros2idl": "idl", "jsonschema": ""}


def _mcap_topics(schemas: dict[int, Any], channels: dict[int, Any]) -> dict[str, _Topic]:
    topics: dict[str, _Topic] = {}
    for ch in channels.values():
        schema = schemas.get(ch.schema_id)
        msgtype = schema.name if schema is not None else ch.topic
        fmt = _SCHEMA_FORMATS.get(schema.encoding, "") if schema is not None else ""
        text = schema.data.decode("utf-8", "replace") if schema is not None else ""
        encoding = _ENCODINGS.get(ch.message_encoding, ch.message_encoding)
        topics.setdefault(ch.topic, _Topic(msgtype, encoding, fmt, text, None))
    return topics


def _mcap_file(
    path: Path, file_no: int, chunks: _Chunks, topics: dict[str, _Topic] | None
) -> tuple[dict[str, _Topic], bool]:
    """Positions of every message of one MCAP file (topics from the file when None)."""
    from mcap.data_stream import ReadDataStream
    from mcap.exceptions import McapError
    from mcap.reader import make_reader
    from mcap.records import MessageIndex

    with open(path, "rb") as f:
        try:
            reader = make_reader(f)
            summary = reader.get_summary()
        except (McapError, ValueError, EOFError, OSError, KeyError, AssertionError) as exc:
            if f.seek(0, io.SEEK_END) == 0:
                raise CorruptMediaError(f"MCAP file {str(path)!r} is empty") from None
            f.seek(0)
            if f.read(8) != b"\x89MCAP0\r\n":
                raise CorruptMediaError(
                    f"{str(path)!r} is not an MCAP file (bad magic: {exc})"
                ) from None
            summary = None
        if summary is None or not summary.chunk_indexes:
            # no summary: a truncated file, or one written without an index: walk it
            channel_topic: dict[int, str] = {}
            if summary is not None:
                schemas, channels = _mcap_definitions(summary)
            else:
                schemas, channels = _scan_definitions(f)
            channel_topic = {cid: ch.topic for cid, ch in channels.items()}
            if topics is None:
                topics = _mcap_topics(schemas, channels)
            truncated = _mcap_scan(f, file_no, chunks, channel_topic, topics)
            return topics, truncated or summary is None
        schemas, channels = _mcap_definitions(summary)
        if topics is None:
            topics = _mcap_topics(schemas, channels)
        per_channel: dict[int, list[np.ndarray]] = {}
        for ci in summary.chunk_indexes:
            no = chunks.add(
                file_no, ci.chunk_start_offset, ci.chunk_length, ci.compression or "none"
            )
            if not ci.message_index_offsets:
                continue
            # a chunk's MessageIndex records follow it back to back: one read for all, and
            # numpy for their (log_time, offset) u64 pairs (mcap's MessageIndex.read
            # unpacks them one by one in Python, the bulk of indexing a large file)
            first = min(ci.message_index_offsets.values())
            f.seek(first)
            block = f.read(ci.message_index_length)
            for cid, offset in ci.message_index_offsets.items():
                at = offset - first + 9  # opcode (1) + record length (8)
                if at + 6 > len(block):  # pragma: no cover - a damaged summary
                    f.seek(offset + 9)
                    mi = MessageIndex.read(ReadDataStream(f))
                    arr = np.array(mi.records, np.int64).reshape(-1, 2)
                else:
                    size = int.from_bytes(block[at + 2 : at + 6], "little")
                    arr = np.frombuffer(block, "<u8", size // 8, at + 6).reshape(-1, 2)
                    arr = arr.astype(np.int64)
                if len(arr):
                    rows = np.column_stack([arr[:, 0], np.full(len(arr), no), arr[:, 1]])
                    per_channel.setdefault(cid, []).append(rows)
        for cid, parts in per_channel.items():
            ch = channels.get(cid)
            if ch is not None and ch.topic in topics:
                arr = np.concatenate(parts)
                topics[ch.topic].add(arr[:, 0], arr[:, 1], arr[:, 2])
    return topics, False


def _scan_definitions(f: Any) -> tuple[dict[int, Any], dict[int, Any]]:
    """Schemas and channels of an MCAP file without summary, read as a stream."""
    from mcap.records import Channel, Schema
    from mcap.stream_reader import StreamReader

    f.seek(0)
    schemas: dict[int, Any] = {}
    channels: dict[int, Any] = {}
    try:
        for record in StreamReader(f, skip_magic=False).records:
            if isinstance(record, Schema):
                schemas[record.id] = record
            elif isinstance(record, Channel):
                channels[record.id] = record
    except Exception:  # the stream ends early: keep what was read
        pass
    return schemas, channels


def _ros2_index(path: Path) -> tuple[list[str], _Chunks, dict[str, _Topic], bool]:
    from rosbags.rosbag2 import Reader, ReaderError

    try:
        reader = Reader(path)
        reader.open()
    except ReaderError as exc:
        raise CorruptMediaError(
            f"ROS 2 bag {str(path)!r} cannot be opened: {exc}; check metadata.yaml and that "
            "every storage file is there"
        ) from None
    try:
        topics: dict[str, _Topic] = {}
        for conn in reader.connections:
            fmt = getattr(conn.ext, "serialization_format", "cdr")
            topics.setdefault(
                conn.topic,
                _Topic(
                    conn.msgtype,
                    fmt,
                    _definition_format(conn.msgdef),
                    conn.msgdef.data,
                    None,
                ),
            )
        mode = str(getattr(reader, "compression_mode", "") or "").lower()
    finally:
        reader.close()
    if mode == "message":
        raise CorruptMediaError(
            f"ROS 2 bag {str(path)!r} compresses each message (compression_mode: message), "
            "which is not supported; convert it with `rosbags-convert` or re-record without "
            "message compression"
        )
    folder = path if path.is_dir() else path.parent
    files = sorted(
        (p for p in ([path] if path.is_file() else path.iterdir())),
        key=lambda p: (len(p.name), p.name),
    )
    files = [p for p in files if p.suffix.lower() in (".db3", ".mcap")]
    chunks = _Chunks()
    truncated = False
    for no, fpath in enumerate(files):
        if fpath.suffix.lower() == ".db3":
            _sqlite_positions(fpath, no, chunks, topics, topics)
        else:
            _, cut = _mcap_file(fpath, no, chunks, topics)
            truncated = truncated or cut
    return [str(p.relative_to(folder)) for p in files], chunks, topics, truncated


def build_index(path: str | Path) -> BagIndex:
    """Index every topic of the recording at ``path`` (no message payload is read).

    Raises
    ------
    SourceNotFoundError
        The recording does not exist.
    CorruptMediaError
        It is not a bag, or it is damaged (the message says how to repair it).
    """
    p = recording_path(Path(path)).absolute()
    if not p.exists():
        raise SourceNotFoundError(f"recording {str(p)!r} does not exist; check the path")
    kind = bag_kind(p)
    if kind == "ros1":
        files, chunks, topics, truncated = _ros1_index(p)
    elif kind == "ros2":
        files, chunks, topics, truncated = _ros2_index(p)
    elif kind == "mcap":
        chunks = _Chunks()
        found, truncated = _mcap_file(p, 0, chunks, None)
        files, topics = [p.name], found
    else:
        raise CorruptMediaError(
            f"{str(p)!r} is not a ROS bag or MCAP file (expected a .bag, a .mcap, a .db3 or "
            "a ROS 2 bag folder with metadata.yaml)"
        )
    rows = np.array(chunks.rows, dtype=object).reshape(-1, 4)
    return BagIndex(
        kind=kind,
        path=str(p),
        files=files,
        chunk_file=rows[:, 0].astype(np.int64),
        chunk_pos=rows[:, 1].astype(np.int64),
        chunk_size=rows[:, 2].astype(np.int64),
        chunk_compression=[str(c) for c in rows[:, 3]],
        topics={name: t.entry() for name, t in sorted(topics.items())},
        truncated=truncated,
    )
