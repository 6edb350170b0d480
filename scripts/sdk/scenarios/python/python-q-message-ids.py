"""Three capture_message calls from one line whose text differs only by an id
(an integer, a longer integer, a UUID) -> 3 message events. A server that
groups messages should normalise such ids so they land in one issue."""
import uuid

import _common
import sentry_sdk


def report_missing_user(user_id):
    sentry_sdk.capture_message("User %s not found" % user_id)


def main():
    _common.init()
    report_missing_user(123)
    report_missing_user(98765)
    report_missing_user(uuid.UUID("6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b"))
    sentry_sdk.flush()


if __name__ == "__main__":
    main()
