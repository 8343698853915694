"""Time the CSV encoding decision: read.encoding.detect_encoding against the
charset-normalizer guess it replaced, on the same generated non-UTF-8 exports.

    pip install -e ".[bench]"   # charset-normalizer, the baseline
    python bench/encoding_bench.py [--mb 20] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import time


def export(mb: int, encoding: str) -> bytes:
    random.seed(15)
    names = ["Müller Bäckerei", "Crème Brûlée SARL", "Peña & Søn", "Dupont", "Schäfer"]
    lines = ["N° de lot;Date d'expédition;Code client;Nom;Quantité"]
    size = 0
    while size < mb * 2**20:
        line = f"B{random.randrange(10**6):06d};01/12/2010;C{size % 9999};{random.choice(names)};1"
        lines.append(line)
        size += len(line) + 2
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def old_guess(data: bytes) -> str:
    """The guess before issue 15: charset-normalizer over three code pages."""
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000], cp_isolation=["cp1252", "latin_1", "mac_roman"]).best()
    return (best.encoding if best else "cp1252").replace("_", "-")


def main() -> None:
    from recall_cli.normalize.columns import is_known_header
    from recall_cli.read.encoding import detect_encoding

    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for encoding in ("cp1252", "cp850", "mac_roman"):
        data = export(args.mb, encoding)
        timings = {}

        def new_guess(d: bytes) -> str:
            return detect_encoding(d, is_known_header)

        for label, fn in (("charset-normalizer", old_guess), ("detect_encoding", new_guess)):
            best = float("inf")
            for _ in range(args.repeat):
                t = time.perf_counter()
                got = fn(data)
                best = min(best, time.perf_counter() - t)
            timings[label] = (best, got)
        (old_t, old_got), (new_t, new_got) = timings.values()
        print(f"{encoding:10} {args.mb} MB: charset-normalizer {old_t:.3f} s -> {old_got}; "
              f"detect_encoding {new_t:.3f} s -> {new_got}; ratio {new_t / old_t:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
