"""``ivr users``: manage dashboard logins (add, list, passwd, role, disable, enable, remove…).

``unlock`` clears a name's failed logins (or an address's, with ``--address``) when the
dashboard has locked it and no admin can log in to do it there.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import sys
from pathlib import Path

from ivr.calls.store import open_store
from ivr.config import load_config
from ivr.web.throttle import LoginThrottle, Scope
from ivr.web.users import MIN_PASSWORD, ROLES, UserError, Users


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the actions."""
    parser.add_argument("--config", type=Path, default=None, help="ivr.toml (optional)")
    parser.add_argument("--store", default=None, metavar="URL",
                        help="store URL (default: store.url from the config)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="create a login")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default="supervisor")
    add.add_argument("--interface", default=None, metavar="IFACE",
                     help="an agent's queue member interface, e.g. PJSIP/alice (role agent)")
    actions.add_parser("list", help="show every login and its role")
    for verb, text in (("passwd", "set a new password"), ("disable", "block a login"),
                       ("enable", "unblock a login"), ("remove", "delete a login")):
        actions.add_parser(verb, help=text).add_argument("name")
    unlock = actions.add_parser("unlock", help="clear the failed logins that locked a name")
    unlock.add_argument("name", help="the name (or, with --address, the address) to unlock")
    unlock.add_argument("--address", action="store_true", help="NAME is a source address")
    interface = actions.add_parser("interface", help="set an agent's queue member interface")
    interface.add_argument("name")
    interface.add_argument("interface", help="as Asterisk names the member, e.g. PJSIP/alice")
    role = actions.add_parser("role", help="change a login's role")
    role.add_argument("name")
    role.add_argument("role", choices=ROLES)
    for sub in (add, actions.choices["passwd"]):
        sub.add_argument("--password-stdin", action="store_true",
                         help="read the password from standard input (for scripts)")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise UserError("no password on standard input: pipe it in, e.g. "
                            "ivr users add NAME --password-stdin < password.txt")
        return line.rstrip("\n")
    if not sys.stdin.isatty():
        raise UserError("no terminal to type the password at: "
                        "give it on standard input with --password-stdin")
    try:
        first = getpass.getpass(f"password (at least {MIN_PASSWORD} characters): ")
        again = getpass.getpass("again: ")
    except EOFError:
        raise UserError("no password given") from None
    if again != first:
        raise UserError("the two passwords differ")
    return first


async def _run(args: argparse.Namespace, url: str) -> int:
    store = await open_store(url)
    users = Users(store.engine)
    try:
        if args.action == "add":
            await users.add(args.name, args.role, _password(args.password_stdin),
                            args.interface)
            print(f"added {args.name} ({args.role})")
        elif args.action == "list":
            for user in await users.list():
                print(f"{user.name:24} {user.role:10} {'disabled' if user.disabled else '':9}"
                      f"{user.interface or ''}".rstrip())
        elif args.action == "interface":
            await users.set_interface(args.name, args.interface)
            print(f"{args.name} answers calls on {args.interface}")
        elif args.action == "passwd":
            await users.set_password(args.name, _password(args.password_stdin))
            print(f"password of {args.name} changed")
        elif args.action == "role":
            await users.update(args.name, role=args.role)
            print(f"{args.name} is now {args.role}")
        elif args.action == "unlock":
            scope: Scope = "address" if args.address else "name"
            await LoginThrottle(store.engine).unlock(scope, args.name, dt.datetime.now(dt.UTC),
                                                     by=f"{getpass.getuser()} (ivr users)")
            print(f"{scope} {args.name} unlocked")
        elif args.action in ("disable", "enable"):
            await users.update(args.name, disabled=args.action == "disable")
            print(f"{args.name} {args.action}d")
        else:
            await users.remove(args.name)
            print(f"removed {args.name}")
    finally:
        await store.close()
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the action; exit 1 with the reason when it cannot be done."""
    url = args.store or load_config(args.config).store.url
    try:
        return asyncio.run(_run(args, url))
    except UserError as exc:
        print(f"ivr users: {exc}", file=sys.stderr)
        return 1
