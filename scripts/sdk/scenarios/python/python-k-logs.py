"""enable_logs=True: three sentry_sdk.logger calls -> one envelope with a
`log` item holding 3 logs."""
import _common
import sentry_sdk


def main():
    _common.init(enable_logs=True, release="myapp@1.4.2")
    sentry_sdk.logger.info("user {user_id} logged in", user_id=42)
    sentry_sdk.logger.warning("cache miss ratio {ratio}", ratio=0.37)
    sentry_sdk.logger.error("payment failed for order {order}", order="ord-7")
    sentry_sdk.flush()


if __name__ == "__main__":
    main()
