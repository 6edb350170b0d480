"""Shared setup of the Python scenarios.

Run a scenario as `python <scenario>.py [PORT]` with the venv of
scripts/sdk/install; the DSN is the fixtures' one on 127.0.0.1:PORT (default
8765) unless SENTRY_DSN is set.
"""
import os
import sys

import sentry_sdk

PORT = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MOTH_CAPTURE_PORT", "8765")
DSN = os.environ.get("SENTRY_DSN") or "http://abcdef0123456789abcdef0123456789@127.0.0.1:%s/42" % PORT

# The tools venv has `brotli` installed (for python-l-brotli). When brotli is
# importable the SDK compresses with br; every other scenario is recorded as a
# default install without brotli would send it: gzip (level 9).
USE_BROTLI = False


def init(**options):
    if not USE_BROTLI:
        options.setdefault("_experiments", {})["transport_compression_algo"] = "gzip"
    sentry_sdk.init(dsn=DSN, **options)
