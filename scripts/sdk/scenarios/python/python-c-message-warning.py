"""capture_message with level warning."""
import _common
import sentry_sdk


def main():
    _common.init()
    sentry_sdk.capture_message("Disk usage above 90% on /var", level="warning")
    sentry_sdk.flush()


if __name__ == "__main__":
    main()
