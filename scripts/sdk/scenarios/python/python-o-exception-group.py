"""An ExceptionGroup holding two different exceptions (ValueError, KeyError)
raised in two different functions -> 3 exception values linked by
mechanism.exception_id / parent_id / source ("exceptions[0]", ...)."""
import _common
import sentry_sdk

PLANS = {"free": 0, "pro": 10}


def validate_email(value):
    if "@" not in value:
        raise ValueError("invalid email address: %r" % value)


def lookup_plan(plans, key):
    return plans[key]  # KeyError for an unknown plan


def validate_signup(form):
    errors = []
    try:
        validate_email(form["email"])
    except ValueError as e:
        errors.append(e)
    try:
        lookup_plan(PLANS, form["plan"])
    except KeyError as e:
        errors.append(e)
    if errors:
        raise ExceptionGroup("signup form is invalid", errors)


def main():
    _common.init()
    try:
        validate_signup({"email": "ada.example.com", "plan": "enterprise"})
    except ExceptionGroup as e:
        sentry_sdk.capture_exception(e)
    sentry_sdk.flush()


if __name__ == "__main__":
    main()
