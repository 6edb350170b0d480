"""before_send drops 2 of 3 messages -> the kept event, then a client_report
counting the 2 discarded events (reason before_send)."""
import _common
import sentry_sdk


def before_send(event, hint):
    return event if event.get("message", "").startswith("kept") else None


def main():
    _common.init(before_send=before_send)
    sentry_sdk.capture_message("dropped #1")
    sentry_sdk.capture_message("dropped #2")
    sentry_sdk.capture_message("kept #3")
    sentry_sdk.flush()


if __name__ == "__main__":
    main()
