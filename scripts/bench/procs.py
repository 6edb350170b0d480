"""Processes the benchmark starts, and what they use, read from /proc.

Every server process is started in a session of its own, recorded, and
stopped by `Procs.stop_all()` (SIGTERM, a grace period, then SIGKILL of its
process group), whatever way the benchmark ends.

Memory, in MB (10^6 bytes, the unit of the targets): `rss_mb(pid)` is VmRSS (one process, e.g. `moth`); `pss_mb(pids)` sums
Pss from smaps_rollup, so pages shared between processes (PostgreSQL's shared
buffers, a gunicorn master's pages its workers inherited) count once.
CPU: `tree_cpu_s(root)` is the user+system time of a process and all its
descendants, live or already reaped (cutime/cstime hold those), so processes
that come and go between two samples are not lost.
"""

import os
import signal
import subprocess
import sys
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"bench-ingest: {msg}", file=sys.stderr, flush=True)


def _stat_fields(pid):
    """Fields of /proc/PID/stat after the command name (field 3 onwards)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        data = f.read()
    return data[data.rindex(b")") + 2:].split()


def alive(pid):
    try:
        state = _stat_fields(pid)[0]
    except (OSError, ValueError, IndexError):
        return False
    return state not in (b"Z", b"X")


def children_map():
    """ppid -> [pid] for every process on the machine."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            ppid = int(_stat_fields(name)[1])
        except (OSError, ValueError, IndexError):
            continue
        out.setdefault(ppid, []).append(int(name))
    return out


def descendants(root, kids):
    """`root` and every process below it."""
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, ()))
    return out


def own_cpu_s(pid):
    """utime + stime of one process (all its threads), in seconds."""
    try:
        f = _stat_fields(pid)
        return (int(f[11]) + int(f[12])) / CLK_TCK
    except (OSError, ValueError, IndexError):
        return None


def tree_cpu_s(root, kids):
    """CPU seconds of `root` and its descendants, including reaped ones."""
    total = 0.0
    for pid in descendants(root, kids):
        try:
            f = _stat_fields(pid)
        except (OSError, ValueError, IndexError):
            continue
        total += (int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])) / CLK_TCK
    return total


def rss_mb(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return None


def pss_mb(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total * 1024 / 1e6


def reset_peak_rss(pid):
    """Resets VmHWM (Linux >= 4.0); False if not allowed."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Group:
    """A set of processes measured together.

    kind "single": one process, own CPU only (not its children), VmRSS.
    kind "tree": the roots and all their descendants, CPU incl. reaped
    children, summed Pss. `roots` is a function so that a root that restarts
    (PostgreSQL under Moth's supervisor) is found again.

    Pss is read at most every `pss_every` seconds (the samples between carry
    no memory figure): the kernel computes it by walking the page tables of
    every process, ~12 ms of kernel time per sample for PostgreSQL after a
    short load (196 MB of Pss), more as its shared buffers fill. Read every
    150 ms, that took at least ~7 % of one core from the servers being
    measured. Pss of a tree (shared buffers, interpreters) changes slowly,
    so a peak read once a second is the same peak.
    """

    def __init__(self, name, kind, roots, pss_every=1.0):
        self.name, self.kind, self.roots = name, kind, roots
        self.pss_every, self._pss_at = pss_every, None

    def sample(self, kids):
        roots = [p for p in self.roots() if p]
        if self.kind == "single":
            pid = roots[0] if roots else None
            if pid is None:
                return None, None
            return rss_mb(pid), own_cpu_s(pid)
        pids, cpu = [], 0.0
        for r in roots:
            pids.extend(descendants(r, kids))
            cpu += tree_cpu_s(r, kids)
        if not pids:
            return None, None
        now = time.monotonic()
        if self._pss_at is not None and now - self._pss_at < self.pss_every:
            return None, cpu
        self._pss_at = now
        return pss_mb(pids), cpu


class Sampler:
    """Samples memory and CPU of some groups every `interval` seconds."""

    def __init__(self, groups, interval=0.15):
        self.groups, self.interval = groups, interval
        self.samples = []  # (t, {name: (mem_mb, cpu_s)})
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join()

    def sample(self):
        kids = children_map()
        t = time.monotonic()
        s = {g.name: g.sample(kids) for g in self.groups}
        with self._lock:
            self.samples.append((t, s))
        return t, s

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def window(self, t0, t1):
        with self._lock:
            return [s for s in self.samples if t0 <= s[0] <= t1]

    def peak_mem(self, name, t0, t1):
        vals = [s[1][name][0] for s in self.window(t0, t1) if s[1].get(name) and s[1][name][0] is not None]
        return max(vals) if vals else None


def _pdeathsig_prefix():
    """`setpriv --pdeathsig TERM --`, when it works: if this script is killed
    without a chance to clean up (SIGKILL), its servers still get a SIGTERM."""
    try:
        r = subprocess.run(["setpriv", "--pdeathsig", "TERM", "--", "true"], capture_output=True, timeout=10)
        return ["setpriv", "--pdeathsig", "TERM", "--"] if r.returncode == 0 else []
    except (OSError, subprocess.SubprocessError):
        return []


_PDEATHSIG = _pdeathsig_prefix()


class Procs:
    """The processes this run started; stop_all() stops every one of them."""

    def __init__(self):
        self.items = []  # (name, Popen, grace seconds, extra cleanup)
        self.stopped = False

    def start(self, name, argv, grace=30, after_stop=None, **kw):
        kw.setdefault("stdin", subprocess.DEVNULL)
        proc = subprocess.Popen(_PDEATHSIG + list(argv), start_new_session=True, **kw)
        self.items.append((name, proc, grace, after_stop))
        return proc

    def stop(self, proc):
        for item in list(self.items):
            if item[1] is proc:
                self._stop_one(*item)
                self.items.remove(item)

    def stop_named(self, prefix):
        """Stops the processes whose name starts with `prefix`."""
        for item in [i for i in self.items if i[0].startswith(prefix)]:
            self._stop_one(*item)
            self.items.remove(item)

    def stop_all(self):
        if self.stopped:
            return
        self.stopped = True
        for item in reversed(self.items):
            try:
                self._stop_one(*item)
            except Exception as e:  # keep stopping the others
                log(f"stopping {item[0]}: {e}")
        self.items = []

    @staticmethod
    def _stop_one(name, proc, grace, after_stop):
        pgid = proc.pid  # leader of its own session and process group
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop within {grace} s of SIGTERM; killing it")
                _killpg(pgid, signal.SIGKILL)
                proc.wait(timeout=10)
        # Whatever is left in its process group (e.g. workers of a master).
        if _group_alive(pgid):
            _killpg(pgid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while _group_alive(pgid) and time.monotonic() < deadline:
                time.sleep(0.1)
            _killpg(pgid, signal.SIGKILL)
        if after_stop:
            after_stop()


def _killpg(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(pgid):
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            f = _stat_fields(name)
            if int(f[2]) == pgid and f[0] not in (b"Z", b"X"):
                return True
        except (OSError, ValueError, IndexError):
            continue
    return False


def stop_pid(pid, what, grace=30):
    """Stops a process we did not spawn directly (PostgreSQL under Moth)."""
    if not alive(pid):
        return
    log(f"{what} (pid {pid}) still running; stopping it")
    for sig, wait in ((signal.SIGINT, grace), (signal.SIGQUIT, 5), (signal.SIGKILL, 5)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not alive(pid):
            return
