"""Release health in a script: an explicit application-mode session around an
error -> the event, then a session update (status exited, errors 1)."""
import _common
import sentry_sdk


def level6(net, total_qty):
    note = "average price per unit"
    average = net / total_qty  # ZeroDivisionError: float division by zero
    return note, average


def main():
    _common.init(release="myapp@1.4.2", environment="production")
    sentry_sdk.get_isolation_scope().start_session(session_mode="application")
    try:
        level6(1.0, 0)
    except ZeroDivisionError as e:
        sentry_sdk.capture_exception(e)
    sentry_sdk.get_isolation_scope().end_session()
    sentry_sdk.flush()


if __name__ == "__main__":
    main()
