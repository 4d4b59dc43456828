"""``sales-expert``: consult a case, list the rules, lint the rule base, audit the trail,
print a credit memo, record outcomes.

Exit codes: 0 ok, 2 bad input (the message names the field, file or option), 1 internal error,
141 the reader of the output went away (`... | head`; nothing is printed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from engine import (
    cli_audit,
    cli_authority,
    cli_batch,
    cli_calibrate,
    cli_customers,
    cli_demo,
    cli_memo,
    cli_outcomes,
    cli_policy,
    cli_referrals,
    cli_serve,
    cli_stability,
)
from engine.api import consult, default_engine
from engine.audit.errors import AuditRequestError
from engine.cli_backtest import register as register_backtest
from engine.errors import FIELD_CHARS, InputError, SalesExpertError, excerpt
from engine.intake import read_case_file
from engine.lint import lint
from engine.render import render_result, render_rules, render_summary
from knowledge_base import load_knowledge
from rules import load_rules

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def cmd_consult(args: argparse.Namespace) -> int:
    case = read_case_file(Path(args.case), args.lang)
    record = False if args.no_record else None
    actor, role = cli_authority.recording_identity(
        args.actor, args.role, record=record, lang=args.lang
    )
    result = consult(
        case,
        lang=args.lang,
        actor=actor,
        role=role,
        record=record,
        channel="cli",
    )
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        customer = case.get("customer", {})
        who = f"{customer.get('id', '?')} {customer.get('name', '')}".strip()
        kb = default_engine().compiled.knowledge
        print(render_summary(result, who, kb))
        if args.detail:
            print("\n" + render_result(result, who, kb))
        else:
            print("\n" + kb.text("cli.detail_hint", args.lang))
        if result.audit_id is not None:
            print("\n" + kb.text("audit.recorded", args.lang, id=result.audit_id))
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    rulebase = load_rules()
    chosen = [r for r in rulebase.rules if args.module in (None, r.module)]
    if args.json:
        _print_json(
            [
                {
                    "id": r.id,
                    "module": r.module,
                    "title": r.title.model_dump(),
                    "sources": list(r.sources),
                    "priority": r.priority,
                }
                for r in chosen
            ]
        )
    else:
        print(render_rules(type(rulebase)(tuple(chosen)), args.lang))
    return EXIT_OK


def cmd_lint(args: argparse.Namespace) -> int:
    rulebase, kb = load_rules(), load_knowledge()
    findings = lint(rulebase, kb)
    if args.json:
        _print_json([{"check": f.check, "where": f.where, "message": f.message} for f in findings])
    elif findings:
        print(kb.text("cli.lint_findings", args.lang, count=len(findings)))
        for finding in findings:
            print(f"  {finding}")
    else:
        print(
            kb.text(
                "cli.lint_clean",
                args.lang,
                rules=len(rulebase.rules),
                parameters=len(kb.parameters),
                topics=len(kb.topics),
            )
        )
    return EXIT_INTERNAL if findings else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sales-expert", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(
        name: str, func: Callable[[argparse.Namespace], int], text: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--json", action="store_true", help="print JSON for machines")
        p.add_argument("--lang", choices=("en", "zh"), default="en", help="language (en, zh)")
        p.set_defaults(func=func)
        return p

    p = add("consult", cmd_consult, "Consult a case file (JSON or YAML); it is recorded.")
    p.add_argument("case", help="path to the case file")
    p.add_argument(
        "--detail",
        action="store_true",
        help="after the summary, every conclusion with its chain, why-nots and evidence",
    )
    cli_authority.add_identity_arguments(p)
    p.add_argument("--no-record", action="store_true", help="do not record in the audit trail")
    add("rules", cmd_rules, "List the rule base.").add_argument(
        "--module", choices=("grading", "credit", "collection", "closing")
    )
    add("lint", cmd_lint, "Check the rule base; exit 1 on any finding.")
    cli_audit.register(sub)
    cli_batch.add_batch_command(sub)
    cli_demo.register(sub)
    cli_memo.register(sub)
    cli_outcomes.register(sub)
    register_backtest(sub)
    cli_calibrate.register(sub)
    cli_stability.register(sub)
    cli_policy.register(sub)
    cli_referrals.register(sub)
    cli_customers.register(sub)
    cli_serve.register(sub)
    return parser


EXIT_PIPE = 141
"""The reader of the output went away (``sales-expert consult x.yaml | head -1``): the code of
a program stopped by SIGPIPE, as ``yes | head`` gives, with nothing printed."""


def _named_path(exc: OSError, args: argparse.Namespace) -> str | None:
    """The failed path of ``exc`` if the user named it on the command line (or it is a file
    derived from one: ``OUT.part``, a file inside a named folder); ``None`` otherwise."""
    if exc.filename is None:
        return None
    failed = os.path.abspath(os.fsdecode(exc.filename))
    for value in vars(args).values():
        if isinstance(value, str | os.PathLike) and value:
            named = os.path.abspath(os.fsdecode(value))
            if failed == named or failed.startswith((named + ".", named + os.sep)):
                return os.fsdecode(exc.filename)
    return None


def _quiet_closed_pipe() -> int:
    """Send what is left of the output to the null device, so that Python's flush at exit
    does not fail again (the recipe of the ``signal`` module's documentation)."""
    with contextlib.suppress(OSError, ValueError):  # ValueError: stdout is not a real file
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_PIPE


def _user_error(args: argparse.Namespace, text: str, **values: object) -> int:
    """Print the knowledge base's ``input.<text>`` in the command's language; exit code 2."""
    message = load_knowledge().text(f"input.{text}", getattr(args, "lang", "en"), **values)
    print(f"error: {message}", file=sys.stderr)
    return EXIT_INPUT


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command. Every user error (the message names the field, file or option) exits 2;
    a closed output pipe exits quietly with 141; anything else is an internal error, 1."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not in Python's flush at exit
        return code
    except BrokenPipeError:
        return _quiet_closed_pipe()
    except InputError as exc:
        print(f"error: {exc.text(getattr(args, 'lang', 'en'))}", file=sys.stderr)
        return EXIT_INPUT
    except AuditRequestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except SalesExpertError as exc:
        print(f"error [{exc.code}]: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except OSError as exc:
        named = _named_path(exc, args)
        if named is not None:
            reason = excerpt(exc.strerror or str(exc), quoted=False)
            return _user_error(
                args, "path_problem", path=excerpt(named, FIELD_CHARS, quoted=False), reason=reason
            )
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except UnicodeDecodeError as exc:  # an input file of the command (case files say which)
        return _user_error(
            args, "not_utf8_input", byte=f"0x{exc.object[exc.start]:02x}", offset=exc.start
        )
    except Exception as exc:  # the promise is exit code 1 with a message, never a traceback
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
