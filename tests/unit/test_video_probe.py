"""The video probe, on MP4, QuickTime and WebM files written box by box here.

`make_mp4` and `make_webm` are also used by the integration and browser tests.
"""

from __future__ import annotations

import contextlib
import io
import random
import struct

import pytest

from hubbub.core.video import NotAVideo, looks_like_video, probe_video

IDENTITY = (0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
TURNED = (0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)  # 90 degrees


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full(kind: bytes, version: int, payload: bytes) -> bytes:
    return box(kind, bytes([version, 0, 0, 0]) + payload)


def _times(version: int, timescale: int, duration: int) -> bytes:
    if version == 1:
        return struct.pack(">QQIQ", 0, 0, timescale, duration)
    return struct.pack(">IIII", 0, 0, timescale, duration)


def _track(handler: bytes, codec: bytes, *, version: int, timescale: int, duration: int,
           width: int, height: int, samples: int, matrix: tuple[int, ...]) -> bytes:
    ids = struct.pack(">QQIIQ", 0, 0, 1, 0, duration) if version == 1 else struct.pack(
        ">IIIII", 0, 0, 1, 0, duration)
    tkhd = full(b"tkhd", version, ids + bytes(8) + bytes(8) + struct.pack(">9i", *matrix)
                + struct.pack(">II", width << 16, height << 16))
    mdhd = full(b"mdhd", version, _times(version, timescale, duration) + bytes(4))
    hdlr = full(b"hdlr", 0, bytes(4) + handler + bytes(12) + b"\0")
    entry_body = bytes(6) + struct.pack(">H", 1) + bytes(16) + struct.pack(">HH", width, height)
    entry_body += bytes(78 - len(entry_body))
    stsd = full(b"stsd", 0, struct.pack(">I", 1) + box(codec, entry_body))
    delta = duration // samples if samples else 0
    stts = full(b"stts", 0, struct.pack(">III", 1, samples, delta))
    stbl = box(b"stbl", stsd + stts)
    minf = box(b"minf", stbl)
    return box(b"trak", tkhd + box(b"mdia", mdhd + hdlr + minf))


def make_mp4(*, seconds: float = 2.0, width: int = 320, height: int = 240, fps: int = 25,
             brand: bytes = b"isom", codec: bytes = b"avc1", audio: bool = True,
             video: bool = True, version: int = 0, turned: bool = False,
             moov_last: bool = False, mdat: bytes = b"\0" * 64, large_mdat: bool = False) -> bytes:
    """A small MP4 whose headers say what is asked (its samples are not a real picture)."""
    timescale = 1000
    duration = round(seconds * timescale)
    mvhd = full(b"mvhd", version, _times(version, timescale, duration) + bytes(80))
    tracks = b""
    if video:
        tracks += _track(b"vide", codec, version=version, timescale=timescale * fps,
                         duration=duration * fps, width=width, height=height,
                         samples=round(seconds * fps), matrix=TURNED if turned else IDENTITY)
    if audio:
        tracks += _track(b"soun", b"mp4a", version=version, timescale=48000,
                         duration=round(seconds * 48000), width=0, height=0,
                         samples=round(seconds * 48000 / 1024), matrix=IDENTITY)
    ftyp = box(b"ftyp", brand + struct.pack(">I", 0) + brand + b"mp41")
    moov = box(b"moov", mvhd + tracks)
    media = (struct.pack(">I4sQ", 1, b"mdat", 16 + len(mdat)) + mdat if large_mdat
             else box(b"mdat", mdat))
    return ftyp + (media + moov if moov_last else moov + media)


def _ebml_size(n: int) -> bytes:
    return bytes([0x01]) + n.to_bytes(7, "big")


def el(ident: int, payload: bytes) -> bytes:
    raw = ident.to_bytes((ident.bit_length() + 7) // 8, "big")
    return raw + _ebml_size(len(payload)) + payload


def make_webm(*, seconds: float | None = 3.0, width: int = 640, height: int = 360,
              fps: int = 30, doctype: bytes = b"webm") -> bytes:
    header = el(0x1A45DFA3, el(0x4286, b"\x01") + el(0x4282, doctype))
    info = el(0x2AD7B1, (1_000_000).to_bytes(3, "big"))
    if seconds is not None:
        info += el(0x4489, struct.pack(">d", seconds * 1000))
    video = el(0xAE, el(0xD7, b"\x01") + el(0x83, b"\x01") + el(0x86, b"V_VP9")
               + el(0x23E383, (1_000_000_000 // fps).to_bytes(4, "big"))
               + el(0xE0, el(0xB0, width.to_bytes(2, "big")) + el(0xBA, height.to_bytes(2, "big"))))
    audio = el(0xAE, el(0xD7, b"\x02") + el(0x83, b"\x02") + el(0x86, b"A_OPUS"))
    cluster = el(0x1F43B675, el(0xE7, b"\x00") + bytes(32))
    segment = el(0x18538067, el(0x1549A966, info) + el(0x1654AE6B, video + audio) + cluster)
    return header + segment


# --- MP4 and QuickTime ----------------------------------------------------------------------


def test_mp4_duration_size_codecs_and_frame_rate() -> None:
    info = probe_video(make_mp4(seconds=2.5, width=1280, height=720, fps=30))
    assert (info.container, info.mime_type) == ("mp4", "video/mp4")
    assert info.duration == 2.5
    assert (info.width, info.height) == (1280, 720)
    assert (info.video_codec, info.audio_codec) == ("avc1", "mp4a")
    assert info.frame_rate == 30


def test_quicktime_brand_and_hevc() -> None:
    info = probe_video(make_mp4(brand=b"qt  ", codec=b"hvc1", audio=False))
    assert (info.container, info.mime_type, info.video_codec, info.audio_codec) == (
        "mov", "video/quicktime", "hvc1", "")


def test_version_1_headers_and_moov_after_a_64_bit_mdat() -> None:
    data = make_mp4(version=1, seconds=200, moov_last=True, large_mdat=True, mdat=bytes(5000))
    info = probe_video(io.BytesIO(data))
    assert info.duration == 200
    assert (info.width, info.height) == (320, 240)


def test_a_phone_video_held_upright_is_taller_than_wide() -> None:
    info = probe_video(make_mp4(width=1920, height=1080, turned=True))
    assert (info.width, info.height) == (1080, 1920)


def test_the_type_comes_from_the_bytes() -> None:
    assert looks_like_video(make_mp4()[:16])
    assert looks_like_video(make_webm()[:16])
    png = b"\x89PNG\r\n\x1a\n" + bytes(32)
    assert not looks_like_video(png)
    with pytest.raises(NotAVideo, match="not an MP4, QuickTime or WebM"):
        probe_video(png)
    with pytest.raises(NotAVideo, match="not an MP4, QuickTime or WebM"):
        probe_video(b"just some text, named clip.mp4")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "too short"),
        (make_mp4(seconds=0), "no duration"),
        (make_mp4(video=False), "no video track"),
        (box(b"ftyp", b"isom" + bytes(4)) + box(b"mdat", bytes(10)), "no movie header"),
        # a box that claims 4 GB in a small file
        (box(b"ftyp", b"isom" + bytes(4)) + struct.pack(">I4s", 0xFFFFFFF0, b"moov"),
         "cut short or damaged"),
        # a size smaller than its own header: would loop forever if believed
        (box(b"ftyp", b"isom" + bytes(4)) + struct.pack(">I4s", 4, b"free") + bytes(16),
         "impossible size"),
        # a 64-bit size claiming more than the file holds
        (box(b"ftyp", b"isom" + bytes(4)) + struct.pack(">I4sQ", 1, b"mdat", 1 << 40),
         "cut short or damaged"),
        (b"\0\0\0\x08wide" + b"\0\0\0\x08free", "no movie header"),
    ],
)
def test_broken_files_are_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(NotAVideo, match=message):
        probe_video(data)


def test_a_sample_table_claiming_more_entries_than_it_holds() -> None:
    data = make_mp4()
    at = data.index(b"stts") + 8  # after the size, type and version/flags
    broken = data[:at] + struct.pack(">I", 0x7FFFFFFF) + data[at + 4 :]
    with pytest.raises(NotAVideo, match="more entries"):
        probe_video(broken)


def test_a_million_empty_boxes_stop_early() -> None:
    data = box(b"ftyp", b"isom" + bytes(4)) + box(b"free", b"") * 200_000
    with pytest.raises(NotAVideo, match="too many boxes"):
        probe_video(data)


def test_every_truncation_is_a_clear_refusal() -> None:
    data = make_mp4()
    for cut in range(len(data)):
        with pytest.raises(NotAVideo):
            probe_video(data[:cut])


def test_damaged_bytes_never_crash() -> None:
    rng = random.Random(5)
    for source in (make_mp4(), make_mp4(version=1, turned=True), make_webm()):
        for _ in range(400):
            data = bytearray(source)
            for _ in range(rng.randint(1, 6)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            with contextlib.suppress(NotAVideo):
                probe_video(bytes(data))


# --- WebM --------------------------------------------------------------------------------


def test_webm_duration_size_codecs_and_frame_rate() -> None:
    info = probe_video(make_webm(seconds=3.0, width=640, height=360, fps=30))
    assert (info.container, info.mime_type) == ("webm", "video/webm")
    assert info.duration == 3.0
    assert (info.width, info.height) == (640, 360)
    assert (info.video_codec, info.audio_codec) == ("V_VP9", "A_OPUS")
    assert info.frame_rate == pytest.approx(30, abs=0.01)


def test_webm_without_duration_and_matroska_are_refused() -> None:
    with pytest.raises(NotAVideo, match="no duration"):
        probe_video(make_webm(seconds=None))
    with pytest.raises(NotAVideo, match="Matroska"):
        probe_video(make_webm(doctype=b"matroska"))


def test_every_webm_truncation_is_a_clear_refusal() -> None:
    data = make_webm()
    cluster = data.index(bytes.fromhex("1f43b675"))
    for cut in range(cluster):  # cut before the media itself: the headers are incomplete
        with pytest.raises(NotAVideo):
            probe_video(data[:cut])


# --- bounded work on hostile sample tables --------------------------------------------------


class CountingReader(io.BytesIO):
    """A file that counts what the probe reads from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads = 0
        self.bytes_read = 0

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self.reads += 1
        self.bytes_read += len(chunk)
        return chunk


def _with_long_sample_tables(entries: int, *, with_stsz: bool = True) -> bytes:
    """make_mp4's file with its video track's stts replaced by `entries` entries (frames of 33
    and 34 ms in turn, 1000 per second of timescale) and an stsz counting as many samples."""
    data = make_mp4(seconds=1, fps=30, audio=False)
    start = data.index(b"stts") - 4
    (old_size,) = struct.unpack(">I", data[start : start + 4])
    table = struct.pack(">IIII", 1, 33, 1, 34) * (entries // 2)
    stts = full(b"stts", 0, struct.pack(">I", entries) + table)
    stsz = full(b"stsz", 0, struct.pack(">II", 100, entries)) if with_stsz else b""
    grown = len(stts) + len(stsz) - old_size
    data = data[:start] + stts + stsz + data[start + old_size :]
    # Every box around the table grows by as much: moov, trak, mdia, minf, stbl.
    moov = data.index(b"moov") - 4
    for kind in (b"moov", b"trak", b"mdia", b"minf", b"stbl"):
        at = data.index(kind, moov) - 4
        (size,) = struct.unpack(">I", data[at : at + 4])
        data = data[:at] + struct.pack(">I", size + grown) + data[at + 4 :]
    # The track's and the movie's durations: 33.5 ms a frame, in a timescale of 1000.
    total = entries // 2 * 67
    mdhd = data.index(b"mdhd") + 4 + 4 + 8
    data = data[:mdhd] + struct.pack(">II", 1000, total) + data[mdhd + 8 :]
    mvhd = data.index(b"mvhd") + 4 + 4 + 8
    return data[:mvhd] + struct.pack(">II", 1000, total) + data[mvhd + 8 :]


def test_millions_of_sample_table_entries_are_never_walked() -> None:
    entries = 2_000_000  # a 16 MB time-to-sample table
    stream = CountingReader(_with_long_sample_tables(entries))
    info = probe_video(stream)
    assert info.duration == entries // 2 * 67 / 1000
    assert (info.video_codec, info.width, info.height) == ("avc1", 320, 240)
    assert info.frame_rate == pytest.approx(1000 / 33.5, abs=0.001)  # samples from stsz
    # The header boxes only, never the table: a few hundred bytes in a few dozen reads.
    assert stream.reads < 100
    assert stream.bytes_read < 4096


def test_a_long_table_without_sample_sizes_gives_no_frame_rate_rather_than_a_walk() -> None:
    stream = CountingReader(_with_long_sample_tables(1_000_000, with_stsz=False))
    info = probe_video(stream)
    assert info.duration == 500_000 * 67 / 1000
    assert info.frame_rate is None
    assert stream.bytes_read < 4096
