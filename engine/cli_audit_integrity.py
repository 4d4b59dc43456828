"""``sales-expert audit verify | anchor | key …``: proving the audit trail was not tampered with.

    audit verify       walk the chain: hashes, links, HMACs (with the keyring), rule bases;
                       --expect ID:HASH or --anchor FILE also prove nothing was cut off the end;
                       --require-key fails when the HMACs cannot be checked (no keyring)
    audit anchor       verify, then write (--out FILE) or print the signed head for a notary
    audit key init     create the keyring (0600) if there is none
    audit key rotate   a new active key; the old ones are kept, retired, to verify old records
    audit key list     the keys' ids and dates (never the keys)

Exit codes: 0 ok, 1 a problem found (or --require-key without a keyring), 2 a bad request
(unreadable anchor or keyring file).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from engine.audit.anchor import read_anchor
from engine.audit.config import load_settings
from engine.audit.errors import AuditRequestError
from engine.audit.findings import CHECKED
from engine.audit.keys import Keyring, keys_for_settings
from engine.audit.store import AuditStore
from engine.audit.text_integrity import render_keys, render_verify
from engine.users import users_path
from knowledge_base import load_knowledge

EXIT_OK, EXIT_FAILED = 0, 1
Command = Callable[[argparse.Namespace], int]
if TYPE_CHECKING:  # argparse's classes are not subscriptable at run time
    Parsers = argparse._SubParsersAction[argparse.ArgumentParser]
    AddCommand = Callable[[Parsers, str, Command, str], argparse.ArgumentParser]


def _print_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _expectation(text: str | None) -> tuple[int, str] | None:
    if text is None:
        return None
    head, _, digest = text.partition(":")
    if not head.isdigit() or len(digest) != 64:
        raise AuditRequestError(f"--expect: {text!r} is not ID:HASH (a 64-hex hash)")
    return int(head), digest


def cmd_verify(args: argparse.Namespace) -> int:
    anchor = read_anchor(Path(args.anchor)) if args.anchor else None
    settings = load_settings()
    with AuditStore.from_settings(settings) as store:
        report = store.verify(_expectation(args.expect), anchor)
        report = dataclasses.replace(report, warnings=store.file_warnings(users_path(settings)))
        where = store.display_url
    unchecked = report.protection.key_status != CHECKED or (
        report.anchor is not None and report.anchor.signature != CHECKED
    )
    refused = args.require_key and unchecked
    kb = load_knowledge()
    if args.json:
        _print_json({**report.as_json(), "database": where, "key_required": args.require_key})
    else:
        print(render_verify(report, kb, args.lang))
        if refused:
            print(kb.text("audit.verify.key_required", args.lang))
    return EXIT_OK if report.ok and not refused else EXIT_FAILED


def cmd_anchor(args: argparse.Namespace) -> int:
    kb = load_knowledge()
    with AuditStore.from_settings(load_settings()) as store:
        report, anchor = store.anchor()
    if anchor is None:
        print(kb.text("audit.anchor.refused", args.lang))
        print(render_verify(report, kb, args.lang))
        return EXIT_FAILED
    if args.out is None:
        print(anchor.text(), end="")
        return EXIT_OK
    path = Path(args.out)
    try:
        path.write_text(anchor.text(), encoding="utf-8")
    except OSError as exc:
        raise AuditRequestError(f"--out {path}: cannot write: {exc.strerror or exc}") from exc
    if args.json:
        _print_json(anchor.to_json())
        return EXIT_OK
    values = {"id": anchor.last_id, "count": anchor.count, "hash": anchor.last_hash}
    print(kb.text("audit.anchor.written", args.lang, key_id=anchor.key_id, file=path, **values))
    return EXIT_OK


def _keyring_json(keyring: Keyring) -> dict[str, object]:
    keys = [
        {"id": k.id, "active": i == 0, "created": k.created, "retired": k.retired}
        for i, k in enumerate(keyring.keys)
    ]
    return {"file": str(keyring.path), "active": keyring.active.id, "keys": keys}


def cmd_key_init(args: argparse.Namespace) -> int:
    keyring, created = keys_for_settings(load_settings()).init()
    if args.json:
        _print_json({**_keyring_json(keyring), "created": created})
        return EXIT_OK
    key = "audit.key.created" if created else "audit.key.kept"
    print(load_knowledge().text(key, args.lang, file=keyring.path, id=keyring.active.id))
    return EXIT_OK


def cmd_key_rotate(args: argparse.Namespace) -> int:
    keyring = keys_for_settings(load_settings()).rotate()
    if args.json:
        _print_json(_keyring_json(keyring))
        return EXIT_OK
    retired = ", ".join(k.id for k in keyring.keys[1:])
    text = load_knowledge().text(
        "audit.key.rotated", args.lang, file=keyring.path, id=keyring.active.id, retired=retired
    )
    print(text)
    return EXIT_OK


def cmd_key_list(args: argparse.Namespace) -> int:
    source = keys_for_settings(load_settings())
    keyring = source.load()
    if args.json:
        _print_json(_keyring_json(keyring) if keyring else {"file": str(source.path), "keys": []})
    else:
        print(render_keys(source.path, keyring, load_knowledge(), args.lang))
    return EXIT_OK


def register(commands: Parsers, add: AddCommand) -> None:
    """Add verify, anchor and key (init, rotate, list) with ``add`` (``cli_audit``'s helper,
    which gives every command --json and --lang)."""
    p = add(commands, "verify", cmd_verify, "Check the hash chain, the HMACs and the rule bases.")
    p.add_argument("--expect", metavar="ID:HASH", help="a head noted earlier must be unchanged")
    p.add_argument("--anchor", metavar="FILE", help="an anchor made by `audit anchor` must hold")
    p.add_argument(
        "--require-key",
        action="store_true",
        help="fail (exit 1) if the HMACs cannot be checked because there is no keyring",
    )
    p = add(commands, "anchor", cmd_anchor, "Sign the chain's head (count, last hash, time).")
    p.add_argument("--out", metavar="FILE", help="write the anchor here (default: print it)")
    text = "The keyring that signs audit records: init, rotate, list."
    key = commands.add_parser("key", help=text, description=text)
    keys = key.add_subparsers(dest="key_command", required=True)
    add(keys, "init", cmd_key_init, "Create the audit keyring (0600) if there is none.")
    add(keys, "rotate", cmd_key_rotate, "New active key; old keys kept to verify old records.")
    add(keys, "list", cmd_key_list, "The keys' ids and dates (never the keys themselves).")


__all__ = ["register"]
