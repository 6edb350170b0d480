"""A transaction with 3 child spans (the third nested in the second)."""
import json
import time

import _common
import sentry_sdk


def main():
    _common.init(traces_sample_rate=1.0, release="myapp@1.4.2")
    with sentry_sdk.start_transaction(op="task", name="nightly-report"):
        sentry_sdk.set_tag("report", "sales")
        with sentry_sdk.start_span(op="db.query", name="SELECT * FROM orders") as span:
            span.set_data("db.system", "postgresql")
            time.sleep(0.002)
        with sentry_sdk.start_span(op="http.client", name="GET https://api.example.com/rates"):
            with sentry_sdk.start_span(op="serialize", name="json.dumps"):
                json.dumps({"EUR": 1.0, "USD": 1.08})
    sentry_sdk.flush()


if __name__ == "__main__":
    main()
