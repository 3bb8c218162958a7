"""Read and deserialise messages at positions of a :class:`~workbench.formats.bags.index.BagIndex`.

:class:`MessageStore` keeps the recording's files open, decompresses each chunk once
while messages are read in order (the last few chunks are kept), and turns payloads into
message objects with a ``rosbags`` typestore built from the definitions stored in the
bag (ROS 1 and CDR), or into dicts (JSON channels of plain MCAP files).

Examples
--------
>>> import tempfile, pathlib
>>> from workbench.samples.bags import write_sample_bag
>>> from workbench.formats.bags.index import build_index
>>> bag = write_sample_bag(pathlib.Path(tempfile.mkdtemp()) / "drive.bag", duration_seconds=1)
>>> store = MessageStore(build_index(bag))
>>> fix = store.decode("/gps/fix", [0])[0]
>>> round(fix.latitude, 2), type(fix).__name__
(35.14, 'sensor_msgs__msg__NavSatFix')
"""

from __future__ import annotations

import io
import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import CorruptMediaError, InvalidArgumentError, SourceNotFoundError
from workbench.formats.bags.index import SQLITE, UNCHUNKED, BagIndex, TopicEntry

__all__ = ["MessageStore", "typestore_for"]

#: decompressed chunks kept while reading (ROS 1 chunks are ~768 KiB, MCAP ~1 MiB)
CHUNK_CACHE = 4
#: row ids per SQLite query
SQLITE_BATCH = 500
#: bytes from an uncompressed MCAP chunk record's start to its records: opcode (1), record
#: length (8), message start/end time (8 + 8), uncompressed size (8), CRC (4), the empty
#: compression string (4) and the records' length (8)
MCAP_CHUNK_RECORDS = 1 + 8 + 8 + 8 + 8 + 4 + 4 + 8


#: typestores by (type, definition): parsing a definition and compiling its deserialiser
#: costs tens of milliseconds, so reopening a topic reuses them
_TYPESTORES: OrderedDict[tuple[str, str, str], Any] = OrderedDict()
_TYPESTORES_LOCK = threading.Lock()
TYPESTORE_CACHE = 64


def typestore_for(entry: TopicEntry, topic: str, path: str) -> Any:
    """A rosbags typestore holding the types of ``entry``'s definition (from the bag).

    ``rosbags.highlevel.AnyReader`` builds its typestore the same way when it opens a bag;
    it is rebuilt here from the definition text kept in the index, so a cached index
    decodes messages without reopening (and re-indexing) the whole bag. Typestores are
    shared by every topic with the same type and definition text in this process.

    Raises
    ------
    CorruptMediaError
        The recording carries no definition for the topic's type.
    """
    from rosbags.typesys import Stores, get_types_from_idl, get_types_from_msg, get_typestore
    from rosbags.typesys.base import TypesysError

    if not entry.definition_format or not entry.definition.strip():
        raise CorruptMediaError(
            f"topic {topic!r} of {path!r} has type {entry.msgtype!r} but the recording holds "
            "no definition for it, so its messages cannot be decoded; record with definitions "
            "(ROS 2 Iron or newer, or rosbag2 with mcap storage) or convert the bag with "
            "`rosbags-convert` and a typestore"
        )
    key = (entry.msgtype, entry.definition_format, entry.definition)
    with _TYPESTORES_LOCK:
        store = _TYPESTORES.get(key)
        if store is not None:
            _TYPESTORES.move_to_end(key)
            return store
    types: dict[str, Any] = {}
    try:
        if entry.definition_format == "msg":
            types.update(get_types_from_msg(entry.definition, entry.msgtype))
        else:
            sep = "=" * 80 + "\n"
            if entry.definition.startswith(f"{sep}IDL: "):
                for part in entry.definition.split(sep)[1:]:
                    types.update(get_types_from_idl(part.split("\n", 1)[1]))
            else:
                types.update(get_types_from_idl(entry.definition))
    except (TypesysError, ValueError, IndexError) as exc:
        raise CorruptMediaError(
            f"the definition of {entry.msgtype!r} (topic {topic!r} of {path!r}) cannot be "
            f"parsed: {exc}"
        ) from None
    store = get_typestore(Stores.EMPTY)
    store.register(types)
    with _TYPESTORES_LOCK:
        _TYPESTORES[key] = store
        while len(_TYPESTORES) > TYPESTORE_CACHE:
            _TYPESTORES.popitem(last=False)
    return store


class MessageStore:
    """Random access to the messages of an indexed recording (thread-safe).

    Parameters
    ----------
    index : BagIndex
        Built by :func:`~workbench.formats.bags.index.build_index` (or loaded from cache).
    """

    def __init__(self, index: BagIndex) -> None:
        self.index = index
        root = Path(index.path)
        self._folder = root if root.is_dir() else root.parent
        self._files: dict[int, Any] = {}
        self._chunks: OrderedDict[int, bytes] = OrderedDict()
        self._typestores: dict[str, Any] = {}
        self._lock = threading.RLock()

    # -- files ---------------------------------------------------------------------------
    def _file(self, no: int) -> Any:
        handle = self._files.get(no)
        if handle is None:
            name = self.index.files[no]
            path = self._folder / name if self.index.kind == "ros2" else Path(self.index.path)
            try:
                if self.index.chunk_compression and self._is_sqlite_file(no):
                    handle = sqlite3.connect(
                        f"file:{path}?mode=ro", uri=True, check_same_thread=False
                    )
                else:
                    handle = open(path, "rb")  # noqa: SIM115 - closed in close()
            except (OSError, sqlite3.Error) as exc:
                raise SourceNotFoundError(
                    f"{str(path)!r} cannot be opened ({exc}); was the recording moved?"
                ) from None
            self._files[no] = handle
        return handle

    def _is_sqlite_file(self, no: int) -> bool:
        return self.index.files[no].lower().endswith(".db3")

    def close(self) -> None:
        """Close the files (idempotent)."""
        with self._lock:
            for handle in self._files.values():
                handle.close()
            self._files.clear()
            self._chunks.clear()

    def __enter__(self) -> MessageStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- raw payloads --------------------------------------------------------------------
    def entry(self, topic: str) -> TopicEntry:
        """The index entry of ``topic``; the error lists the topics there are."""
        try:
            return self.index.topics[topic]
        except KeyError:
            raise InvalidArgumentError(
                f"topic {topic!r} is not in {self.index.path!r}; its topics are: "
                f"{', '.join(sorted(self.index.topics)) or 'none'}"
            ) from None

    def _chunk_bytes(self, no: int) -> bytes:
        data = self._chunks.get(no)
        if data is not None:
            self._chunks.move_to_end(no)
            return data
        f = self._file(int(self.index.chunk_file[no]))
        pos, size = int(self.index.chunk_pos[no]), int(self.index.chunk_size[no])
        compression = self.index.chunk_compression[no]
        if self.index.kind == "ros1":
            from rosbags.rosbag1.reader import decompressors

            f.seek(pos)
            raw = f.read(size)
            if len(raw) < size:
                raise CorruptMediaError(f"{self.index.path!r} is truncated inside a chunk")
            data = decompressors[compression](raw)
        else:
            from mcap.data_stream import ReadDataStream
            from mcap.records import Chunk
            from mcap.stream_reader import get_chunk_data_stream

            f.seek(pos + 9)  # opcode + record length
            try:
                chunk = Chunk.read(ReadDataStream(f))
                stream, n = get_chunk_data_stream(chunk)
                data = stream.read(n)
            except Exception as exc:  # EndOfFile, zstd/lz4 errors ...
                raise CorruptMediaError(
                    f"chunk at byte {pos} of {self.index.path!r} cannot be read ({exc}); the "
                    "file is damaged or truncated"
                ) from None
        self._chunks[no] = data
        while len(self._chunks) > CHUNK_CACHE:
            self._chunks.popitem(last=False)
        return data

    def _ros1_record(self, chunk: Any, offset: int) -> bytes:
        """The message data of the record at ``offset`` of ``chunk`` (a seekable stream:
        the decompressed chunk, or the file itself for an uncompressed chunk)."""
        from rosbags.rosbag1.reader import Header, RecordType, read_bytes, read_uint32

        chunk.seek(offset)
        while True:  # connection records may precede the message (as rosbags reads them)
            header = Header.read(chunk)
            op = header.get_uint8("op")
            if op != RecordType.CONNECTION:
                break
            chunk.seek(read_uint32(chunk), io.SEEK_CUR)
        if op != RecordType.MSGDATA:
            raise CorruptMediaError(f"{self.index.path!r}: no message at chunk offset {offset}")
        return read_bytes(chunk, read_uint32(chunk))

    @staticmethod
    def _mcap_record(data: bytes, offset: int) -> bytes:
        from mcap.data_stream import ReadDataStream
        from mcap.records import Message

        length = int.from_bytes(data[offset + 1 : offset + 9], "little")
        body = data[offset + 9 : offset + 9 + length]
        return Message.read(ReadDataStream(io.BytesIO(body)), length).data

    def raw(self, topic: str, indices: Sequence[int] | np.ndarray) -> list[bytes]:
        """Serialised payloads of messages ``indices`` of ``topic`` (order kept)."""
        entry = self.entry(topic)
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        out: list[bytes | None] = [None] * len(idx)
        with self._lock:
            sqlite_rows: dict[int, list[tuple[int, int]]] = {}
            for slot, k in enumerate(idx.tolist()):
                no, off = int(entry.chunk[k]), int(entry.offset[k])
                compression = self.index.chunk_compression[no]
                if compression == SQLITE:
                    sqlite_rows.setdefault(no, []).append((slot, off))
                elif compression == UNCHUNKED:
                    f = self._file(int(self.index.chunk_file[no]))
                    f.seek(off)
                    head = f.read(9)
                    out[slot] = self._mcap_record(
                        head + f.read(int.from_bytes(head[1:], "little")), 0
                    )
                elif compression == "none":  # read the record only, not its whole chunk
                    f = self._file(int(self.index.chunk_file[no]))
                    pos = int(self.index.chunk_pos[no])
                    if self.index.kind == "ros1":
                        out[slot] = self._ros1_record(f, pos + off)
                    else:
                        f.seek(pos + MCAP_CHUNK_RECORDS + off)
                        head = f.read(9)
                        body = f.read(int.from_bytes(head[1:], "little"))
                        out[slot] = self._mcap_record(head + body, 0)
                elif self.index.kind == "ros1":
                    out[slot] = self._ros1_record(io.BytesIO(self._chunk_bytes(no)), off)
                else:
                    out[slot] = self._mcap_record(self._chunk_bytes(no), off)
            for no, rows in sqlite_rows.items():
                con = self._file(int(self.index.chunk_file[no]))
                for i in range(0, len(rows), SQLITE_BATCH):
                    part = rows[i : i + SQLITE_BATCH]
                    ids = [r for _, r in part]
                    marks = ",".join("?" * len(ids))
                    try:
                        found = dict(
                            con.execute(
                                f"SELECT id, data FROM messages WHERE id IN ({marks})", ids
                            ).fetchall()
                        )
                    except sqlite3.DatabaseError as exc:
                        raise CorruptMediaError(
                            f"{self.index.path!r} cannot be read ({exc}); the storage file is "
                            "damaged"
                        ) from None
                    for slot, rid in part:
                        if rid not in found:
                            raise CorruptMediaError(
                                f"message row {rid} of {self.index.path!r} has vanished; the "
                                "recording changed while it was read"
                            )
                        out[slot] = found[rid]
        return out  # type: ignore[return-value]

    # -- decoding ------------------------------------------------------------------------
    def typestore(self, topic: str) -> Any:
        """The typestore that decodes ``topic`` (built once from the bag's definition)."""
        store = self._typestores.get(topic)
        if store is None:
            store = typestore_for(self.entry(topic), topic, self.index.path)
            self._typestores[topic] = store
        return store

    def decoder(self, topic: str) -> Any:
        """A function ``bytes -> message`` for ``topic``."""
        entry = self.entry(topic)
        if entry.encoding == "json":
            return json.loads
        if entry.encoding not in ("cdr", "ros1"):
            raise InvalidArgumentError(
                f"topic {topic!r} of {self.index.path!r} is encoded as {entry.encoding!r}, "
                "which cannot be decoded; supported encodings: cdr, ros1, json"
            )
        store = self.typestore(topic)
        fn = store.deserialize_cdr if entry.encoding == "cdr" else store.deserialize_ros1
        msgtype = entry.msgtype
        return lambda raw: fn(raw, msgtype)

    def decode(self, topic: str, indices: Sequence[int] | np.ndarray) -> list[Any]:
        """Message objects (or dicts) of messages ``indices`` of ``topic``."""
        decode = self.decoder(topic)
        out = []
        for k, raw in zip(
            np.asarray(indices).reshape(-1).tolist(), self.raw(topic, indices), strict=True
        ):
            try:
                out.append(decode(raw))
            except Exception as exc:  # rosbags SerdeError, json errors ...
                t = self.index.topics[topic].time_ns[k] / 1e9
                raise CorruptMediaError(
                    f"message {k} of topic {topic!r} at {t:.6f} s in {self.index.path!r} "
                    f"cannot be decoded as {self.index.topics[topic].msgtype!r}: {exc}"
                ) from None
        return out
