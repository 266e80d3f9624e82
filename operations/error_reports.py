"""Error reports (Sentry) carry the error and where it happened, never a person: no users, request
bodies or SQL parameters (``data_collection``) and no stack-frame local
variables, which would hold a buyer's e-mail or address while checkout runs."""


def sentry_options(*, dsn: str, environment: str) -> dict:
    return {
        "dsn": dsn,
        "environment": environment,
        # sentry-sdk's successor of send_default_pii=False: no user, no request bodies, no frame
        # variables, no SQL parameters.
        "data_collection": {"user_info": False, "http_bodies": [], "stack_frame_variables": False,
                            "database_query_data": False},
        "include_local_variables": False,
        "max_request_body_size": "never",
        "traces_sample_rate": 0.0,
    }
