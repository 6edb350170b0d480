"""Same as python-a-zerodiv-deep (the same code, copied so every frame is in
this file like there), but the SDK may use the installed `brotli` module ->
Content-Encoding: br. Also sets a release."""
import _common
import sentry_sdk

_common.USE_BROTLI = True


def level1(order_id):
    customer = {"id": 7, "name": "Ada", "tier": "gold"}
    return level2(order_id, customer)


def level2(order_id, customer):
    items = [{"sku": "A-1", "qty": 2, "price": 9.5}, {"sku": "B-2", "qty": 0, "price": 3.0}]
    return level3(order_id, customer, items)


def level3(order_id, customer, items):
    subtotal = sum(i["qty"] * i["price"] for i in items)
    return level4(order_id, subtotal, items)


def level4(order_id, subtotal, items):
    discount_rate = 0.15 if subtotal > 10 else 0.0
    return level5(order_id, subtotal * (1 - discount_rate), items)


def level5(order_id, net, items):
    total_qty = sum(i["qty"] for i in items if i["sku"].startswith("Z"))
    return level6(net, total_qty)


def level6(net, total_qty):
    note = "average price per unit"
    average = net / total_qty  # ZeroDivisionError: float division by zero
    return note, average


def main():
    _common.init(release="myapp@1.4.2")
    try:
        level1(order_id=99)
    except ZeroDivisionError as e:
        sentry_sdk.capture_exception(e)
    sentry_sdk.flush()


if __name__ == "__main__":
    main()
