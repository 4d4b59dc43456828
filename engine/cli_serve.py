"""``sales-expert serve`` and ``sales-expert users token …``: the decision service and its API
tokens.

    serve [--host 127.0.0.1] [--port 8000] [--workers N] [--timeout S] [--access-log PATH]
        the HTTP JSON API (``engine.service.app``) with its OpenAPI document (/openapi.json)
        and interactive docs (/docs); N worker processes, each with its own engine; a request
        not answered within S seconds (default 30) is answered 504 and records nothing; one
        JSON line per request (no case data, no token) to PATH, - for standard output, or
        standard error by default
    users token create USER [--name NAME]   a token for a user of the users file, shown once
    users token list                        every token: who, when made, when revoked
    users token revoke ID                   the token stops working at once

Tokens live in the audit database (the configured one, or --db URL), stored as their SHA-256.
A bad request exits 2 naming what was wrong and what is allowed.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import TypeAlias

from engine.audit.errors import AuditRequestError
from engine.cli_options import add_common
from engine.service.settings import (
    ACCESS_LOG_ENV,
    DEFAULT_TIMEOUT,
    MAX_TIMEOUT,
    MIN_TIMEOUT,
    STDERR,
    TIMEOUT_ENV,
    access_log_target,
    timeout_seconds,
)

Verbs: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
EXIT_OK = 0
MAX_WORKERS = 32


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: a port is a whole number from 1 to 65535")
    return int(text)


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"{text!r}: from 1 to {MAX_WORKERS} worker processes")
    return int(text)


def _timeout(text: str) -> float:
    try:
        return timeout_seconds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _access_log(text: str) -> str:
    try:
        return access_log_target(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn  # the server loads only for this command

    # the worker processes import the app afresh: the environment carries the options to them
    os.environ[TIMEOUT_ENV] = repr(args.timeout)
    os.environ[ACCESS_LOG_ENV] = args.access_log or STDERR
    uvicorn.run(
        "engine.service.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        access_log=False,  # the service writes its own (engine.service.access_log)
        timeout_keep_alive=5,
    )
    return EXIT_OK


def cmd_token(args: argparse.Namespace) -> int:
    from engine.policy.drafts import open_store
    from engine.service.tokens import list_tokens, make_token, revoke
    from engine.users import load_users, users_path

    with open_store(args.db) as store:
        if args.token_command == "create":
            users = load_users(users_path())
            if args.user not in users:
                known = ", ".join(sorted(users)) or "none"
                raise AuditRequestError(
                    f"user: no user {args.user!r} in the users file; users: {known}"
                )
            token, secret = make_token(store, args.user, args.name or args.user)
            print(json.dumps({**token.as_json(), "token": secret}) if args.json else secret)
        elif args.token_command == "list":
            tokens = [t.as_json() for t in list_tokens(store)]
            print(
                json.dumps(tokens, indent=2)
                if args.json
                else "\n".join(
                    f"{t['id']}  {t['username']}  {t['name']}  made {t['created_at']}"
                    + (f"  revoked {t['revoked_at']}" if t["revoked_at"] else "")
                    for t in tokens
                )
                or "no API tokens"
            )
        else:
            found = revoke(store, args.id)
            if found is None:
                raise AuditRequestError(f"token: no API token {args.id}")
            print(json.dumps(found.as_json()) if args.json else f"token {args.id} revoked")
    return EXIT_OK


def register(sub: Verbs) -> None:
    text = "Run the decision service (HTTP JSON API)."
    p = sub.add_parser(
        "serve",
        help=text,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    p.add_argument(
        "--workers",
        type=_workers,
        default=min(os.cpu_count() or 1, 4),
        help="worker processes (default: the cores, at most 4)",
    )
    p.add_argument(
        "--timeout",
        type=_timeout,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"answer 504 to a request not answered in time, recording nothing (default "
        f"{DEFAULT_TIMEOUT:g}; {MIN_TIMEOUT:g} to {MAX_TIMEOUT:g}; batch jobs and health checks "
        "are not timed)",
    )
    p.add_argument(
        "--access-log",
        type=_access_log,
        metavar="PATH",
        help="append one JSON line per request to PATH (- for standard output; default: "
        "standard error)",
    )
    p.set_defaults(func=cmd_serve)
    users = sub.add_parser("users", help="Users of the decision service: API tokens.")
    token = users.add_subparsers(dest="users_command", required=True).add_parser(
        "token", help="API tokens: create, list, revoke."
    )
    verbs = token.add_subparsers(dest="token_command", required=True)
    for name, help_text in (
        ("create", "Make a token for a user (shown once)."),
        ("list", "Every token."),
        ("revoke", "Revoke a token."),
    ):
        q = verbs.add_parser(name, help=help_text)
        add_common(q, lang=False)
        q.set_defaults(func=cmd_token)
    verbs.choices["create"].add_argument("user", help="a user of the users file")
    verbs.choices["create"].add_argument("--name", help="what the token is for, e.g. crm")
    verbs.choices["revoke"].add_argument("id", type=int, help="the token's id (see list)")


__all__ = ["register"]
