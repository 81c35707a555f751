"""Seeded mutation fuzzing of ``load_image`` (run by ``test_fuzz.py`` in a child process).

``python -m tests.reliability.fuzz_worker CASES SEED OUT_DIR``: builds seed files
(pydicom's bundled test files under 200 kB, DICOMs in several transfer syntaxes,
PNG/JPEG/TIFF), mutates them (bit flips, byte runs, truncation, cut-outs,
duplicated chunks), and loads each under a per-case alarm and an address-space
limit. Prints one JSON line per problem: an exception other than ``LoadError``,
a hang, or an image that is not 2-D.
"""

from __future__ import annotations

import io
import json
import resource
import signal
import sys
from pathlib import Path

import numpy as np
from PIL import Image

PER_CASE_SECONDS = 10
MEMORY_BYTES = 3 * 1024**3


class Hang(BaseException):
    pass


def seeds(tmp: Path) -> list[bytes]:
    import pydicom.data

    from tests.dicom_factory import gradient, write_dicom

    out = []
    folder = Path(pydicom.data.get_testdata_file("CT_small.dcm")).parent
    for p in sorted(folder.glob("*.dcm")):
        if p.stat().st_size < 200_000:
            out.append(p.read_bytes())
    img8, img16 = gradient(96, 80), gradient(96, 80, np.uint16)
    for syntax in ("explicit", "implicit", "bigendian", "deflated", "rle", "jpeg2000", "jpeg"):
        out.append(write_dicom(tmp / f"s8_{syntax}.dcm", img8, syntax).read_bytes())
        if syntax != "jpeg":
            out.append(write_dicom(tmp / f"s16_{syntax}.dcm", img16, syntax, bits_stored=12).read_bytes())
    for fmt in ("PNG", "JPEG", "TIFF"):
        buf = io.BytesIO()
        Image.fromarray(img8).save(buf, format=fmt)
        out.append(buf.getvalue())
    return out


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    b = bytearray(data)
    for _ in range(int(rng.integers(1, 6))):
        op = int(rng.integers(0, 5))
        n = len(b)
        if n < 2:
            break
        i = int(rng.integers(0, n))
        if op == 0:  # flip bits
            b[i] ^= 1 << int(rng.integers(0, 8))
        elif op == 1:  # overwrite a run with a "magic" value
            v = int(rng.choice([0, 0xFF, 0x7F, 0x80]))
            b[i : i + int(rng.integers(1, 9))] = bytes([v]) * len(b[i : i + 8])
        elif op == 2:  # truncate
            del b[i:]
        elif op == 3:  # cut a chunk out
            del b[i : i + int(rng.integers(1, 64))]
        else:  # duplicate a chunk
            b[i:i] = b[i : i + int(rng.integers(1, 64))]
    return bytes(b)


def main() -> None:
    cases, seed, out_dir = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    from pneumoscan.errors import LoadError
    from pneumoscan.reading.loader import load_image

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))

    def on_alarm(_s, _f):
        raise Hang

    signal.signal(signal.SIGALRM, on_alarm)
    base = seeds(out_dir)
    rng = np.random.default_rng(seed)
    path = out_dir / "case"
    counts = {"ok": 0, "load_error": 0}
    for k in range(cases):
        data = mutate(base[int(rng.integers(0, len(base)))], rng)
        path.write_bytes(data)
        signal.alarm(PER_CASE_SECONDS)
        try:
            img = load_image(path, min_size=224)
            if img.pixels.ndim != 2:
                raise AssertionError(f"loaded a {img.pixels.ndim}-D image")
            counts["ok"] += 1
        except LoadError:
            counts["load_error"] += 1
        except Hang:
            keep = out_dir / f"hang_{k}.bin"
            keep.write_bytes(data)
            print(json.dumps({"case": k, "problem": "hang", "file": str(keep)}), flush=True)
        except BaseException as exc:  # noqa: BLE001 - this is what the fuzzer looks for
            keep = out_dir / f"crash_{k}.bin"
            keep.write_bytes(data)
            print(json.dumps({"case": k, "problem": f"{type(exc).__name__}: {exc}"[:300], "file": str(keep)}))
        finally:
            signal.alarm(0)
    print(json.dumps({"summary": counts}), flush=True)


if __name__ == "__main__":
    main()
