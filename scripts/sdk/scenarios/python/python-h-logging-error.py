"""logging.error() captured by the default LoggingIntegration: the event has
`logger` and `logentry` (message template + params); the earlier info/warning
records become breadcrumbs."""
import logging

import _common
import sentry_sdk

log = logging.getLogger("billing.worker")


def main():
    _common.init()
    log.setLevel(logging.INFO)  # so info records exist at all (the root default is WARNING)
    log.info("starting invoice run %s", "2024-06")
    log.warning("slow upstream: %d ms", 1234)
    log.error("Failed to charge invoice %s for customer %s", "INV-1001", "cus_42")
    sentry_sdk.flush()


if __name__ == "__main__":
    main()
