"""The same line raises the same exception type twice with different messages
-> 2 events with identical stack traces and types but different values. A
server should put both in one issue (grouping by stack, not by message)."""
import _common
import sentry_sdk


def check_quantity(order_id, qty):
    if qty <= 0:
        raise ValueError("order %d: quantity must be positive, got %d" % (order_id, qty))


def main():
    _common.init()
    for order_id, qty in ((1001, 0), (1002, -3)):
        try:
            check_quantity(order_id, qty)
        except ValueError as e:
            sentry_sdk.capture_exception(e)
    sentry_sdk.flush()


if __name__ == "__main__":
    main()
