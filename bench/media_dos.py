"""Hostile media: a pixel bomb and a video with millions of sample-table entries.

    uv run python bench/media_dos.py              # every case, 3 runs each (~1 min when fixed)
    uv run python bench/media_dos.py --runs 1 --case probe_video

Two files are written to a throwaway folder, as the review of issue 9 described them:

- bomb.png: 13000 x 13000 pixels (RGB, all black) in about half a megabyte: an IHDR claiming
  the size and a zlib stream of zeros, compressed row by row so this script never holds it.
- long.mp4: an MP4 whose video track's time-to-sample table (stts) has 7,900,000 entries
  (frames of 33 and 34 ms in turn, so nothing collapses into one entry), about 63 MB.
- photo.jpg: a legitimate JPEG at the limit, 8000 x 5000 pixels (40 megapixels): what the
  largest accepted image costs.

Each case runs in a fresh child process (so peak RSS is that case's alone): the function the
hub calls on an upload or in the worker, given the file's bytes (the video: its open file).
The child reports wall seconds, CPU seconds, its peak RSS (VmHWM) and what came out (the
sentence a person sees, or the result). Results go into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

# case: (what is called, on which file)
CASES = {
    "clean_image": ("clean_image", "bomb.png"),
    "csv_inspect": ("csv_inspect", "bomb.png"),
    "bluesky_prepare": ("bluesky_prepare", "bomb.png"),
    "probe_video": ("probe_video", "long.mp4"),
    "clean_image_photo": ("clean_image", "photo.jpg"),
    "bluesky_prepare_photo": ("bluesky_prepare", "photo.jpg"),
}
SIDE = 13000
STTS_ENTRIES = 7_900_000


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def write_png_bomb(path: Path, side: int = SIDE) -> None:
    packer = zlib.compressobj(9)
    row = bytes(1 + 3 * side)  # filter byte 0, then black RGB pixels
    idat = bytearray()
    for _ in range(side):
        idat += packer.compress(row)
    idat += packer.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", bytes(idat))
                     + _chunk(b"IEND", b""))


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _full(kind: bytes, payload: bytes) -> bytes:
    return _box(kind, bytes(4) + payload)


def write_long_mp4(path: Path, entries: int = STTS_ENTRIES) -> None:
    timescale = 1000  # milliseconds, for the movie and the track
    duration = entries // 2 * (33 + 34) + (33 if entries % 2 else 0)
    mvhd = _full(b"mvhd", struct.pack(">IIII", 0, 0, timescale, duration) + bytes(80))
    matrix = struct.pack(">9i", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    tkhd = _full(b"tkhd", struct.pack(">IIIII", 0, 0, 1, 0, duration) + bytes(16) + matrix
                 + struct.pack(">II", 1920 << 16, 1080 << 16))
    mdhd = _full(b"mdhd", struct.pack(">IIII", 0, 0, timescale, duration) + bytes(4))
    hdlr = _full(b"hdlr", bytes(4) + b"vide" + bytes(12) + b"\0")
    entry = bytes(6) + struct.pack(">H", 1) + bytes(16) + struct.pack(">HH", 1920, 1080)
    stsd = _full(b"stsd", struct.pack(">I", 1) + _box(b"avc1", entry + bytes(78 - len(entry))))
    # Frames of 33 and 34 ms in turn (about 30 per second): no two neighbours share an entry.
    pair = struct.pack(">IIII", 1, 33, 1, 34)
    table = pair * (entries // 2) + (struct.pack(">II", 1, 33) if entries % 2 else b"")
    stts = _full(b"stts", struct.pack(">I", entries) + table)
    stsz = _full(b"stsz", struct.pack(">II", 100, entries))
    stbl = _box(b"stbl", stsd + stts + stsz)
    trak = _box(b"trak", tkhd + _box(b"mdia", mdhd + hdlr + _box(b"minf", stbl)))
    ftyp = _box(b"ftyp", b"isom" + bytes(4) + b"isommp41")
    path.write_bytes(ftyp + _box(b"moov", mvhd + trak) + _box(b"mdat", bytes(1024)))


def write_photo(path: Path) -> None:
    """A legitimate JPEG at the limit: 8000 x 5000 pixels (40 megapixels) of smooth colour."""
    from PIL import Image

    small = Image.merge("RGB", [Image.linear_gradient("L").resize((400, 250)),
                                Image.radial_gradient("L").resize((400, 250)),
                                Image.linear_gradient("L").rotate(90).resize((400, 250))])
    small.resize((8000, 5000), Image.Resampling.BICUBIC).save(path, "JPEG", quality=90)


def run_case(case: str, path: Path) -> dict[str, object]:
    """In the child: one call, measured."""
    call = CASES[case][0]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubbub.settings")
    import django

    django.setup()
    started, cpu = time.perf_counter(), time.process_time()
    outcome: object
    try:
        if call == "probe_video":
            from hubbub.core.video import probe_video

            with path.open("rb") as stream:
                info = probe_video(stream)
            outcome = f"{info.duration} s, {info.width}x{info.height}, {info.video_codec}, " \
                      f"{info.frame_rate} fps"
        else:
            data = path.read_bytes()
            if call == "clean_image":
                from hubbub.core.images import clean_image

                cleaned = clean_image(data)
                outcome = f"accepted {cleaned.width}x{cleaned.height}"
            elif call == "csv_inspect":
                from hubbub.imports.images import inspect

                media = inspect(path.name, data)
                outcome = f"accepted {media.width}x{media.height}"
            else:
                from hubbub.networks.bluesky.media import prepare_image

                prepared = prepare_image(data, 1_000_000)
                outcome = f"downscaled to {prepared.width}x{prepared.height}"
    except Exception as exc:  # the refusal is the outcome we want to see
        outcome = f"refused: {exc}"
    return {
        "case": case,
        "seconds": round(time.perf_counter() - started, 6),
        "cpu_seconds": round(time.process_time() - cpu, 6),
        "peak_rss_mb": _peak_rss_mb(),
        "outcome": str(outcome)[:200],
    }


def _peak_rss_mb() -> float:
    """This process's peak resident size. VmHWM, not ru_maxrss: Linux carries ru_maxrss over
    exec from the parent (which built a 63 MB file), VmHWM starts again with the new image."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", choices=CASES, help="(default: all)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("CASE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_case(args.child[0], Path(args.child[1]))))
        return
    with tempfile.TemporaryDirectory(prefix="hubbub-media-dos-") as folder:
        os.environ.setdefault("HUBBUB_DATA_DIR", folder)
        png, mp4 = Path(folder) / "bomb.png", Path(folder) / "long.mp4"
        write_png_bomb(png)
        write_long_mp4(mp4)
        write_photo(Path(folder) / "photo.jpg")
        print(f"bomb.png: {png.stat().st_size:,} bytes, {SIDE}x{SIDE} pixels; "
              f"long.mp4: {mp4.stat().st_size:,} bytes, {STTS_ENTRIES:,} stts entries\n")
        print("| case | file | wall ms (best, worst) | CPU ms | peak RSS MB | outcome |")
        print("|---|---|---|---|---|---|")
        for case in args.case or CASES:
            path = Path(folder) / CASES[case][1]
            results = []
            for _ in range(args.runs):
                child = subprocess.run(
                    [sys.executable, __file__, "--child", case, str(path)],
                    capture_output=True, text=True, check=True)
                results.append(json.loads(child.stdout.strip().splitlines()[-1]))
            walls = sorted(float(str(r["seconds"])) for r in results)
            best = min(results, key=lambda r: float(str(r["seconds"])))
            cpu = float(str(best["cpu_seconds"]))
            print(f"| {case} | {path.name} | {walls[0] * 1000:,.1f}, {walls[-1] * 1000:,.1f} | "
                  f"{cpu * 1000:,.1f} | {max(float(str(r['peak_rss_mb'])) for r in results)} "
                  f"| {best['outcome']} |")


if __name__ == "__main__":
    main()
