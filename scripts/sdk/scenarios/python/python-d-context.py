"""An exception with breadcrumbs, tags, user, extra, a custom context, release
and environment."""
import _common
import sentry_sdk


def main():
    _common.init(release="myapp@1.4.2", environment="staging")
    sentry_sdk.add_breadcrumb(category="auth", message="User logged in", level="info")
    sentry_sdk.add_breadcrumb(category="http", type="http", data={"url": "/api/cart", "method": "GET", "status_code": 200})
    sentry_sdk.add_breadcrumb(category="ui.click", message="button#checkout", level="info")
    sentry_sdk.set_tag("feature", "checkout")
    sentry_sdk.set_tag("shard", "eu-1")
    # ip_address "{{auto}}" is dropped by the SDK unless send_default_pii is on
    sentry_sdk.set_user({"id": "u-42", "email": "ada@example.com", "username": "ada", "ip_address": "{{auto}}"})
    sentry_sdk.set_extra("cart_size", 3)
    sentry_sdk.set_extra("coupon", {"code": "SPRING", "valid": False})
    sentry_sdk.set_context("payment", {"provider": "stripe", "attempt": 2})
    try:
        raise ValueError("coupon SPRING is expired")
    except ValueError as e:
        sentry_sdk.capture_exception(e)
    sentry_sdk.flush()


if __name__ == "__main__":
    main()
