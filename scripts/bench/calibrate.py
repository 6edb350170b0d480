"""What this machine costs for the work a benchmark run leans on, measured
in about half a second before the run, so that runs on different machines (or
VMs of the same kind that are not alike) can be compared.

Three figures:
- inflate: zlib decompression of a fixed JSON-like buffer on one core, MB/s
  of output. Stands for plain CPU speed (Moth's ingest is mostly
  decompression and JSON parsing).
- page fault: µs to fault in one 4 KiB page of anonymous memory (256 MiB,
  touched once; Python's loop adds ~0.05 µs a page). A fraction of a µs
  on bare metal; several on a VM whose every fault goes through the host.
  A growing database and its page cache pay it for every page they take.
- file growth: µs to append one 8 KiB block to a new file (page cache only,
  no fsync). PostgreSQL 15 extends a table this way, one block at a time.

Inflate is the best of three tries (what the CPU can do, not how busy it
was for a moment). The other two are one try each: a second try would be
served the pages the first one just gave back. Even the first is served
pages freed recently where there are any; memory the host took back long
ago costs more (measured on one VM: 1.3 µs per page for 256 MiB, 7.4 µs
per page for 6 GiB), and touching gigabytes to find out would change the
machine the benchmark then measures.
"""

import mmap
import os
import tempfile
import time
import zlib

PAGE = 4096
TOUCH_BYTES = 256 << 20
GROW_BYTES = 128 << 20
BLOCK = 8192
TRIES = 3


def _json_like(n):
    """A deterministic JSON-like buffer (repeated keys, varied values) that zlib compresses ~5.7:1."""
    parts = []
    size = 0
    i = 0
    while size < n:
        part = (f'{{"function": "handler_{i % 97}", "lineno": {i * 7919 % 10007}, '
                f'"vars": {{"n": {i}, "s": "{(i * 2654435761) % 4294967296:x}"}}}},\n')
        parts.append(part)
        size += len(part)
        i += 1
    return "".join(parts).encode()[:n]


def inflate_mb_s():
    raw = _json_like(8 << 20)
    packed = zlib.compress(raw, 6)
    best = 0.0
    for _ in range(TRIES):
        t = time.perf_counter()
        for _ in range(4):
            zlib.decompress(packed)
        best = max(best, 4 * len(raw) / (time.perf_counter() - t) / 1e6)
    return best


def page_fault_us():
    m = mmap.mmap(-1, TOUCH_BYTES, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    try:
        if hasattr(m, "madvise") and hasattr(mmap, "MADV_NOHUGEPAGE"):
            m.madvise(mmap.MADV_NOHUGEPAGE)  # one fault per 4 KiB page, as PostgreSQL's pages are
        pages = range(0, TOUCH_BYTES, PAGE)
        t = time.perf_counter()
        for off in pages:
            m[off] = 1
        return (time.perf_counter() - t) / len(pages) * 1e6
    finally:
        m.close()


def file_growth_us(directory):
    block = b"\0" * BLOCK
    fd, path = tempfile.mkstemp(prefix="calibrate-", dir=directory)
    try:
        n = GROW_BYTES // BLOCK
        t = time.perf_counter()
        for _ in range(n):
            os.write(fd, block)
        return (time.perf_counter() - t) / n * 1e6
    finally:
        os.close(fd)
        os.unlink(path)


def measure(directory):
    """The three figures, for the machine line of the report."""
    return {
        "inflate_mb_s": inflate_mb_s(),
        "page_fault_us": page_fault_us(),
        "file_growth_us": file_growth_us(directory),
    }


def describe(c):
    return (f"zlib inflate {c['inflate_mb_s']:,.0f} MB/s on one core; a page fault "
            f"{c['page_fault_us']:.2f} µs per 4 KiB page; growing a file {c['file_growth_us']:.2f} µs "
            f"per 8 KiB block (`scripts/bench/calibrate.py`)")


if __name__ == "__main__":
    import sys
    print(describe(measure(sys.argv[1] if len(sys.argv) > 1 else tempfile.gettempdir())))
