"""Videos people attach: what they really are, read from their bytes.

No ffmpeg: the container is read directly. MP4 and QuickTime (ISO base media: ftyp, moov/mvhd,
trak/tkhd, mdia/mdhd/hdlr, stbl/stsd/stsz) and WebM (EBML: Info, Tracks). Only the headers are
read, by seeking past the media data and past the sample tables (whose entries, one per frame,
are never walked), so a large file costs a few small reads whatever it claims. A broken or
hostile file raises NotAVideo with a sentence a person can act on: every size is checked
against what contains it, every walk is bounded, nothing is read past a fixed budget.

What each network accepts, and what breaks its rules, is in core/video_limits.py.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

# Budgets. The movie header (moov) is walked in place, reading only the few bytes of the boxes
# that say what the probe needs; its sample tables (a long film's run to megabytes, a hostile
# file's to millions of entries) are never read entry by entry.
MAX_BOXES = 100_000  # boxes (or EBML elements) visited in one file
MAX_TRACKS = 64
MAX_WEBM_HEADER_BYTES = 16 * 1024 * 1024  # Info and Tracks together
MAX_STTS_SUMMED = 1024  # stts entries summed for a frame count when stsz gives none
_TIMES_BYTES = 4 + 8 + 8 + 4 + 8  # what mvhd and mdhd say before their rate, either version
_TKHD_BYTES = 52 + 44  # up to the picture size, in version 1
EBML_MAGIC = b"\x1a\x45\xdf\xa3"
# QuickTime files from old cameras may start without ftyp.
_QUICKTIME_FIRST = {b"moov", b"wide", b"free", b"skip", b"mdat", b"pnot"}


class NotAVideo(ValueError):
    """Not a video we can read; the message says why."""


@dataclass(frozen=True)
class VideoInfo:
    container: str  # mp4, mov, webm
    mime_type: str  # video/mp4, video/quicktime, video/webm
    duration: float  # seconds
    width: int  # as shown (a rotated phone video is taller than wide)
    height: int
    video_codec: str  # avc1, hvc1, av01, V_VP9, ...
    audio_codec: str = ""  # mp4a, A_OPUS, ... ("" when silent)
    frame_rate: float | None = None  # frames per second, when the file says


def looks_like_video(head: bytes) -> bool:
    """Do these first bytes start an MP4, QuickTime or WebM/Matroska file?"""
    return head[4:8] == b"ftyp" or head[4:8] in _QUICKTIME_FIRST or head.startswith(EBML_MAGIC)


def probe_video(source: bytes | IO[bytes]) -> VideoInfo:
    """The container, duration, picture size, codecs and frame rate of a video file."""
    stream: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    head = stream.read(12)
    if len(head) < 8:
        raise NotAVideo("the file is too short to be a video")
    if head.startswith(EBML_MAGIC):
        return _WebM(stream, size).probe()
    if head[4:8] == b"ftyp" or head[4:8] in _QUICKTIME_FIRST:
        return _Mp4(stream, size).probe()
    raise NotAVideo("it is not an MP4, QuickTime or WebM video (its first bytes say otherwise)")


# --- MP4 / QuickTime ---------------------------------------------------------------------------


@dataclass
class _Track:
    handler: str = ""
    width: int = 0
    height: int = 0
    rotated: bool = False
    codec: str = ""
    entry_width: int = 0
    entry_height: int = 0
    timescale: int = 0
    duration: int = 0
    samples: int = 0  # summed from a short stts
    sample_count: int = 0  # as stsz (or stz2) states it


class _Mp4:
    def __init__(self, stream: IO[bytes], size: int) -> None:
        self.stream = stream
        self.size = size
        self.visited = 0

    def _boxes(self, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
        """(type, body start, body end) of each box in [start, end) of the file. Each box must
        fit inside what contains it."""
        pos = start
        while pos < end:
            self.visited += 1
            if self.visited > MAX_BOXES:
                raise NotAVideo("it has too many boxes to be a real video")
            if end - pos < 8:
                raise NotAVideo("the file is cut short (a box header is incomplete)")
            header = self._read(pos, 8)
            size, kind = struct.unpack(">I4s", header)
            body = pos + 8
            if size == 1:
                if end - pos < 16:
                    raise NotAVideo("the file is cut short (a box header is incomplete)")
                (size,) = struct.unpack(">Q", self._read(pos + 8, 8))
                body = pos + 16
            elif size == 0:
                size = end - pos  # runs to the end of what contains it
            if size < body - pos:
                raise NotAVideo(f"a {_name(kind)} box gives an impossible size ({size} bytes)")
            if pos + size > end:
                raise NotAVideo(
                    f"the file is cut short or damaged: a {_name(kind)} box claims {size:,} "
                    f"bytes but only {end - pos:,} remain")
            yield kind, body, pos + size
            pos += size

    def _read(self, pos: int, count: int) -> bytes:
        self.stream.seek(pos)
        chunk = self.stream.read(count)
        if len(chunk) != count:
            raise NotAVideo("the file is cut short")
        return chunk

    def _leaf(self, start: int, end: int, need: int) -> bytes:
        """The first `need` bytes of a box's body (all of it when shorter): never more, so a
        box's own claims cannot make the probe read or hold more."""
        return self._read(start, min(end - start, need))

    def probe(self) -> VideoInfo:
        brand = b""
        moov: tuple[int, int] | None = None
        has_media = False
        first = True
        for kind, start, end in self._boxes(0, self.size):
            if first and kind != b"ftyp" and kind not in _QUICKTIME_FIRST:
                raise NotAVideo("it is not an MP4 or QuickTime video")
            first = False
            if kind == b"ftyp" and end - start >= 4:
                brand = self._read(start, 4)
            elif kind == b"mdat":
                has_media = True
            elif kind == b"moov" and moov is None:
                moov = (start, end)  # walked in place below: only its header boxes are read
            # The walk goes on to the end (box headers only): a file cut short in its media
            # data is refused here rather than by the network after a long upload.
        if moov is None:
            raise NotAVideo("it has no movie header (moov): the file is unfinished or cut short")
        if not has_media:
            raise NotAVideo("it holds no media data (mdat): the file is cut short")
        return self._movie(*moov, brand)

    def _movie(self, moov_start: int, moov_end: int, brand: bytes) -> VideoInfo:
        timescale = duration = fragment_duration = 0
        tracks: list[_Track] = []
        for kind, start, end in self._boxes(moov_start, moov_end):
            if kind == b"mvhd":
                timescale, duration = _header_times(self._leaf(start, end, _TIMES_BYTES), "mvhd")
            elif kind == b"trak":
                if len(tracks) >= MAX_TRACKS:
                    raise NotAVideo("it has too many tracks to be a real video")
                tracks.append(self._track(start, end))
            elif kind == b"mvex":
                for sub, s, e in self._boxes(start, end):
                    if sub == b"mehd":  # a fragmented file's duration
                        fragment_duration = _versioned_uint(self._leaf(s, e, 12), 0, "mehd")
        video = next((t for t in tracks if t.handler == "vide"), None)
        if video is None:
            raise NotAVideo("it has no video track (sound only?)")
        audio = next((t for t in tracks if t.handler == "soun"), None)
        seconds = duration / timescale if timescale and duration else 0.0
        if not seconds and timescale and fragment_duration:
            seconds = fragment_duration / timescale
        if not seconds:
            seconds = max((t.duration / t.timescale for t in tracks
                           if t.timescale and t.duration), default=0.0)
        if seconds <= 0:
            raise NotAVideo("it has no duration (zero length or an unfinished recording)")
        width = video.width or video.entry_width
        height = video.height or video.entry_height
        if video.rotated:
            width, height = height, width
        if width <= 0 or height <= 0:
            raise NotAVideo("its video track gives no picture size")
        rate = None
        samples = video.sample_count or video.samples
        if samples and video.timescale and video.duration:
            rate = round(samples * video.timescale / video.duration, 3)
        is_mov = brand == b"qt  " or not brand
        return VideoInfo(
            container="mov" if is_mov else "mp4",
            mime_type="video/quicktime" if is_mov else "video/mp4",
            duration=round(seconds, 3), width=width, height=height,
            video_codec=video.codec, audio_codec=audio.codec if audio else "",
            frame_rate=rate,
        )

    def _track(self, start: int, end: int) -> _Track:
        track = _Track()
        for kind, s, e in self._boxes(start, end):
            if kind == b"tkhd":
                _read_tkhd(self._leaf(s, e, _TKHD_BYTES), track)
            elif kind == b"mdia":
                self._media(s, e, track)
        return track

    def _media(self, start: int, end: int, track: _Track) -> None:
        for kind, s, e in self._boxes(start, end):
            if kind == b"mdhd":
                track.timescale, track.duration = _header_times(
                    self._leaf(s, e, _TIMES_BYTES), "mdhd")
            elif kind == b"hdlr":
                if e - s < 12:
                    raise NotAVideo("a handler (hdlr) box is cut short")
                track.handler = self._leaf(s, e, 12)[8:12].decode("latin-1")
            elif kind == b"minf":
                for sub, s2, e2 in self._boxes(s, e):
                    if sub == b"stbl":
                        self._samples(s2, e2, track)

    def _samples(self, start: int, end: int, track: _Track) -> None:
        """The codec (stsd's first entry) and the number of samples, from the tables' headers.
        A table's entries (one per frame or per run of frames: millions in a long or hostile
        file) are read only when a few, for a file without a sample count in stsz."""
        for kind, s, e in self._boxes(start, end):
            if kind == b"stsd":
                if e - s < 16:
                    continue
                head = self._leaf(s, e, 8 + 36)
                entry_size, fourcc = struct.unpack(">I4s", head[8:16])
                track.codec = fourcc.decode("latin-1").strip()
                # A visual sample entry: 8 header, 6 reserved, 2 index, 16 predefined, w, h.
                if entry_size >= 36 and len(head) == 8 + 36:
                    track.entry_width, track.entry_height = struct.unpack(">HH", head[40:44])
            elif kind in (b"stsz", b"stz2"):
                # version/flags, then (stsz) sample size or (stz2) field size, then the count.
                if e - s < 12:
                    raise NotAVideo(f"a sample size table ({kind.decode()}) is cut short")
                (track.sample_count,) = struct.unpack(">I", self._leaf(s, e, 12)[8:12])
            elif kind == b"stts":
                if e - s < 8:
                    raise NotAVideo("a sample table (stts) is cut short")
                (count,) = struct.unpack(">I", self._leaf(s, e, 8)[4:8])
                if count > (e - s - 8) // 8:
                    raise NotAVideo("a sample table (stts) claims more entries than it holds")
                if count > MAX_STTS_SUMMED:
                    continue  # the frame rate then comes from stsz, or is not given
                table = self._read(s + 8, 8 * count)
                track.samples = sum(n for n, _ in struct.iter_unpack(">II", table))


def _name(kind: bytes) -> str:
    return repr(kind.decode("latin-1")) if kind.isascii() and kind.isalnum() else "damaged"


def _versioned_uint(data: bytes, offset32: int, box: str) -> int:
    """A field at `offset32` after the version/flags word of a box body: 32 bits in version
    0, 64 in 1."""
    if len(data) < 4:
        raise NotAVideo(f"a {box} box is cut short")
    wide = data[0] == 1
    pos = 4 + (offset32 * 2 if wide else offset32)
    width = 8 if wide else 4
    if pos + width > len(data):
        raise NotAVideo(f"a {box} box is cut short")
    value: int = struct.unpack(">Q" if wide else ">I", data[pos : pos + width])[0]
    return value


def _header_times(data: bytes, box: str) -> tuple[int, int]:
    """(timescale, duration) of an mvhd or mdhd box body, either version."""
    if len(data) < 4:
        raise NotAVideo(f"a {box} box is cut short")
    if data[0] == 1:  # 64-bit creation and modification times and duration
        need = 4 + 8 + 8 + 4 + 8
        fmt, at = ">IQ", 4 + 16
    else:
        need = 4 + 4 + 4 + 4 + 4
        fmt, at = ">II", 4 + 8
    if len(data) < need:
        raise NotAVideo(f"a {box} box is cut short")
    timescale, duration = struct.unpack(fmt, data[at : at + struct.calcsize(fmt)])
    return int(timescale), int(duration)


def _read_tkhd(data: bytes, track: _Track) -> None:
    wide = len(data) >= 4 and data[0] == 1
    matrix_at = 52 if wide else 40
    if matrix_at + 44 > len(data):
        raise NotAVideo("a track header (tkhd) is cut short")
    a, b = struct.unpack(">ii", data[matrix_at : matrix_at + 8])
    # A 90 or 270 degree turn (a phone held upright): the picture is shown sideways.
    track.rotated = a == 0 and b != 0
    width, height = struct.unpack(">II", data[matrix_at + 36 : matrix_at + 44])
    track.width, track.height = width >> 16, height >> 16


# --- WebM (EBML) -------------------------------------------------------------------------------

_SEGMENT, _INFO, _TRACKS, _CLUSTER = 0x18538067, 0x1549A966, 0x1654AE6B, 0x1F43B675
_DOCTYPE, _TIMESCALE, _DURATION = 0x4282, 0x2AD7B1, 0x4489
_TRACK_ENTRY, _TRACK_TYPE, _CODEC_ID, _VIDEO = 0xAE, 0x83, 0x86, 0xE0
_PIXEL_W, _PIXEL_H, _DEFAULT_DURATION = 0xB0, 0xBA, 0x23E383


class _WebM:
    def __init__(self, stream: IO[bytes], size: int) -> None:
        self.stream = stream
        self.size = size
        self.visited = 0

    def _at(self, pos: int, count: int) -> bytes:
        self.stream.seek(pos)
        chunk = self.stream.read(count)
        if len(chunk) != count:
            raise NotAVideo("the file is cut short")
        return chunk

    def _vint(self, pos: int, end: int, *, is_id: bool) -> tuple[int, int, bool]:
        """(value, length, unknown size) of an EBML variable-length integer at pos."""
        if pos >= end:
            raise NotAVideo("the file is cut short (an element header is incomplete)")
        first = self._at(pos, 1)[0]
        length = 9 - first.bit_length() if first else 9
        if length > (4 if is_id else 8):
            raise NotAVideo("it has a damaged element header")
        if pos + length > end:
            raise NotAVideo("the file is cut short (an element header is incomplete)")
        raw = int.from_bytes(self._at(pos, length), "big")
        if is_id:
            return raw, length, False
        value = raw & ((1 << (7 * length)) - 1)
        return value, length, value == (1 << (7 * length)) - 1

    def _elements(self, start: int, end: int) -> Iterator[tuple[int, int, int]]:
        """(id, body start, body end) of each element in [start, end)."""
        pos = start
        while pos < end:
            self.visited += 1
            if self.visited > MAX_BOXES:
                raise NotAVideo("it has too many elements to be a real video")
            ident, id_len, _ = self._vint(pos, end, is_id=True)
            size, size_len, unknown = self._vint(pos + id_len, end, is_id=False)
            body = pos + id_len + size_len
            stop = end if unknown else body + size
            if stop > end:
                raise NotAVideo(
                    f"the file is cut short or damaged: an element claims {size:,} bytes but "
                    f"only {end - body:,} remain")
            yield ident, body, stop
            if unknown and ident != _SEGMENT:
                return  # only a segment (or a live cluster, which ends our reading) may
            pos = stop

    def _uint(self, start: int, end: int) -> int:
        if end - start > 8:
            raise NotAVideo("it has a damaged number")
        return int.from_bytes(self._at(start, end - start), "big") if end > start else 0

    def probe(self) -> VideoInfo:
        doctype = ""
        segment: tuple[int, int] | None = None
        for ident, start, end in self._elements(0, self.size):
            if ident == 0x1A45DFA3:
                for sub, s, e in self._elements(start, end):
                    if sub == _DOCTYPE and e - s <= 64:
                        doctype = self._at(s, e - s).rstrip(b"\0").decode("ascii", "replace")
            elif ident == _SEGMENT:
                segment = (start, end)
                break
        if doctype == "matroska":
            raise NotAVideo("Matroska (.mkv) videos are not accepted by the networks: "
                            "save it as MP4")
        if doctype != "webm":
            raise NotAVideo("it is not a WebM video")
        if segment is None:
            raise NotAVideo("it has no segment: the file is cut short")
        scale, duration = 1_000_000, 0.0
        tracks: list[dict[str, object]] = []
        seen_info = seen_tracks = False
        read = 0
        for ident, start, end in self._elements(*segment):
            if ident in (_INFO, _TRACKS):
                read += end - start
                if read > MAX_WEBM_HEADER_BYTES:
                    raise NotAVideo("its headers are implausibly large")
            if ident == _INFO:
                seen_info = True
                for sub, s, e in self._elements(start, end):
                    if sub == _TIMESCALE:
                        scale = self._uint(s, e) or scale
                    elif sub == _DURATION and e - s in (4, 8):
                        fmt = ">f" if e - s == 4 else ">d"
                        duration = struct.unpack(fmt, self._at(s, e - s))[0]
            elif ident == _TRACKS:
                seen_tracks = True
                for sub, s, e in self._elements(start, end):
                    if sub == _TRACK_ENTRY:
                        if len(tracks) >= MAX_TRACKS:
                            raise NotAVideo("it has too many tracks to be a real video")
                        tracks.append(self._track(s, e))
            elif ident == _CLUSTER:
                break  # the media itself: headers come before it
            if seen_info and seen_tracks:
                break
        video = next((t for t in tracks if t.get("type") == 1), None)
        if video is None:
            raise NotAVideo("it has no video track")
        audio = next((t for t in tracks if t.get("type") == 2), None)
        seconds = duration * scale / 1e9 if duration == duration else 0.0  # NaN -> 0
        if seconds <= 0:
            raise NotAVideo("it states no duration (a live recording that was never finished?)")
        width, height = int(str(video.get("width", 0))), int(str(video.get("height", 0)))
        if width <= 0 or height <= 0:
            raise NotAVideo("its video track gives no picture size")
        frame_ns = int(str(video.get("frame_ns", 0)))
        return VideoInfo(
            container="webm", mime_type="video/webm", duration=round(seconds, 3),
            width=width, height=height, video_codec=str(video.get("codec", "")),
            audio_codec=str(audio.get("codec", "")) if audio else "",
            frame_rate=round(1e9 / frame_ns, 3) if frame_ns else None,
        )

    def _track(self, start: int, end: int) -> dict[str, object]:
        track: dict[str, object] = {}
        for ident, s, e in self._elements(start, end):
            if ident == _TRACK_TYPE:
                track["type"] = self._uint(s, e)
            elif ident == _CODEC_ID and e - s <= 64:
                track["codec"] = self._at(s, e - s).rstrip(b"\0").decode("ascii", "replace")
            elif ident == _DEFAULT_DURATION:
                track["frame_ns"] = self._uint(s, e)
            elif ident == _VIDEO:
                for sub, s2, e2 in self._elements(s, e):
                    if sub == _PIXEL_W:
                        track["width"] = self._uint(s2, e2)
                    elif sub == _PIXEL_H:
                        track["height"] = self._uint(s2, e2)
        return track
