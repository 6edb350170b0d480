"""Bugsink, installed from PyPI and run as its single-server guide describes.

Following Bugsink's "Single Server Production Setup" guide
(https://www.bugsink.com/docs/single-server-production/, whose source is
docs/howto/deployment/single-server.md in the bugsink repository): a
virtualenv with `pip install bugsink`, `bugsink-create-conf
--template=singleserver`, `bugsink-manage migrate` for the main and the
snappea database (both SQLite, as that template sets them), a superuser,
gunicorn serving `bugsink.wsgi` with the guide's flags (`--timeout=6
--max-requests=1000 --max-requests-jitter=100`, access log on) and its rule
for the worker count, cores x 2 + 1, and `bugsink-runsnappea`, the
background worker that digests ingested events into the database (the
template's NUM_WORKERS = 4).

What differs from the guide, and why:
- no nginx/TLS in front: the load generator talks plain HTTP to gunicorn on
  127.0.0.1, as it does to Moth; the settings that trust the proxy's headers
  are switched off (the generated file says to remove them without a proxy);
- BASE_URL is http://127.0.0.1:PORT so that the DSN points at gunicorn;
- PHONEHOME is off (no traffic leaves the machine);
- the event quotas (MAX_EVENTS_PER_*, default 1,000 per 5 minutes) are raised
  and the project's retention (default 10,000 events) too: the benchmark
  measures how fast Bugsink stores events, not its quota or eviction policy;
- processes run as the invoking user, not a dedicated `bugsink` user, and
  are started by this script rather than systemd.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request

from procs import log

DEFAULT_VERSION = "2.6.1"

OVERRIDES = '''

# --- added by Moth's scripts/bench-ingest (see scripts/bench/bugsink.py) ---
BUGSINK["BASE_URL"] = "http://127.0.0.1:{port}"
ALLOWED_HOSTS = deduce_allowed_hosts(BUGSINK["BASE_URL"])
# no reverse proxy in front (the generated file says to remove these then)
SECURE_PROXY_SSL_HEADER = None
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
USE_X_REAL_IP = False
BUGSINK["PHONEHOME"] = False
# measure throughput, not the quota policy
for _k in ("MAX_EVENTS_PER_PROJECT_PER_5_MINUTES", "MAX_EVENTS_PER_PROJECT_PER_HOUR",
           "MAX_EVENTS_PER_PROJECT_PER_MONTH", "MAX_EVENTS_PER_5_MINUTES", "MAX_EVENTS_PER_HOUR",
           "MAX_EVENTS_PER_MONTH"):
    BUGSINK[_k] = 10 ** 9
'''

CREATE_PROJECT = '''
from django.contrib.auth import get_user_model
from teams.models import Team
from projects.models import Project
get_user_model().objects.create_superuser(
    username="bench@example.org", email="bench@example.org", password="bench-password-not-secret")
team = Team.objects.create(name="bench")
project = Project.objects.create(team=team, name="bench", slug="bench", retention_max_event_count=10 ** 9)
print(project.dsn)
'''


def run(argv, logfile, **kw):
    with open(logfile, "a") as out:
        out.write(f"$ {' '.join(argv)}\n")
        out.flush()
        r = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kw)
    if r.returncode != 0:
        with open(logfile) as f:
            tail = "".join(f.readlines()[-30:])
        raise RuntimeError(f"{' '.join(argv)} failed (exit {r.returncode}); end of {logfile}:\n{tail}")


def install(venv, version, logfile):
    """A virtualenv with bugsink==version (reused when it has it already)."""
    py = os.path.join(venv, "bin", "python")
    if os.path.exists(py):
        r = subprocess.run([py, "-m", "pip", "show", "bugsink"], capture_output=True, text=True)
        m = re.search(r"^Version: (\S+)", r.stdout, re.M)
        if m and m.group(1) == version:
            log(f"bugsink {m.group(1)} already in {venv}")
            return m.group(1)
        if version != "latest":
            shutil.rmtree(venv)
    log(f"installing bugsink {version} from PyPI into {venv}")
    os.makedirs(os.path.dirname(venv), exist_ok=True)
    if not os.path.exists(py):
        run([sys.executable, "-m", "venv", venv], logfile)
    spec = "bugsink" if version == "latest" else f"bugsink=={version}"
    run([py, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], logfile)
    run([py, "-m", "pip", "install", "--quiet", "--upgrade", spec], logfile)
    r = subprocess.run([py, "-m", "pip", "show", "bugsink"], capture_output=True, text=True, check=True)
    return re.search(r"^Version: (\S+)", r.stdout, re.M).group(1)


def package_version(venv, name):
    r = subprocess.run([os.path.join(venv, "bin", "python"), "-m", "pip", "show", name],
                       capture_output=True, text=True)
    m = re.search(r"^Version: (\S+)", r.stdout, re.M)
    return m.group(1) if m else "?"


def configure(venv, base_dir, port, logfile):
    """Config, databases, a superuser, a team and a project; returns the DSN."""
    bin_ = os.path.join(venv, "bin")
    os.makedirs(base_dir, exist_ok=True)
    env = bugsink_env()
    run([f"{bin_}/bugsink-create-conf", "--template=singleserver", "--host=127.0.0.1",
         f"--base-dir={base_dir}"], logfile, cwd=base_dir, env=env)
    with open(os.path.join(base_dir, "bugsink_conf.py"), "a") as f:
        f.write(OVERRIDES.format(port=port))
    log("bugsink: migrating its databases (this takes a while)")
    run([f"{bin_}/bugsink-manage", "migrate", "-v0"], logfile, cwd=base_dir, env=env)
    run([f"{bin_}/bugsink-manage", "migrate", "snappea", "--database=snappea", "-v0"], logfile,
        cwd=base_dir, env=env)
    r = subprocess.run([f"{bin_}/bugsink-manage", "shell", "-c", CREATE_PROJECT], cwd=base_dir, env=env,
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
    with open(logfile, "a") as f:
        f.write(r.stdout + r.stderr)
    lines = [ln.strip() for ln in r.stdout.splitlines() if ln.strip()]
    if r.returncode != 0 or not lines or not lines[-1].startswith("http://"):
        raise RuntimeError(f"creating the Bugsink project failed:\n{r.stdout}{r.stderr}")
    return lines[-1]


def bugsink_env():
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("DJANGO_SETTINGS_MODULE", None)  # bugsink-manage defaults to bugsink_conf in the cwd
    return env


def gunicorn_argv(venv, port, workers, base_dir):
    argv = [os.path.join(venv, "bin", "gunicorn"), f"--bind=127.0.0.1:{port}", f"--workers={workers}",
            "--timeout=6", "--access-logfile", os.path.join(base_dir, "access.log"),
            "--max-requests=1000", "--max-requests-jitter=100"]
    help_text = subprocess.run([argv[0], "--help"], capture_output=True, text=True).stdout
    if "--no-control-socket" in help_text:
        argv.append("--no-control-socket")  # gunicorn >= 25 would put one in ~/.gunicorn
    return argv + ["bugsink.wsgi"]


def wait_ready(url, timeout, procs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, p in procs:
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited (code {p.returncode}) before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer 200 within {timeout} s")


def stored_cmd(db, base):
    """Shell command printing the events digested into Bugsink's database since `base`."""
    code = (f"import sqlite3; c = sqlite3.connect({db!r}, timeout=30); "
            f"print(c.execute('select count(*) from events_event').fetchone()[0] - {base})")
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}"


def count(db, table):
    import sqlite3
    c = sqlite3.connect(db, timeout=30)
    try:
        return c.execute(f"select count(*) from {table}").fetchone()[0]
    finally:
        c.close()
