"""Chained exception: RuntimeError raised `from` a ValueError -> 2 exception values."""
import _common
import sentry_sdk


def parse_port(value):
    return int(value)


def load_config(raw):
    try:
        return {"port": parse_port(raw["port"])}
    except ValueError as exc:
        raise RuntimeError("invalid configuration: port must be an integer") from exc


def main():
    _common.init()
    try:
        load_config({"port": "eighty"})
    except RuntimeError as e:
        sentry_sdk.capture_exception(e)
    sentry_sdk.flush()


if __name__ == "__main__":
    main()
