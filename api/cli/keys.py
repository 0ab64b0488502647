"""``shiftmix keys create --org NAME``: create an API key for an organisation and print it once."""

from __future__ import annotations

import argparse

from api.settings import Settings
from api.storage import Storage
from optimizer.errors import InputError

MAX_ORG_NAME_LENGTH = 64


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``keys`` sub-command."""
    p = sub.add_parser("keys", help="manage API keys of the REST API (database from SHIFTMIX_DATABASE_URL)")
    actions = p.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create", help="create a key for an organisation and print it (shown only once)"
    )
    create.add_argument("--org", required=True, metavar="NAME", help="organisation name (created when new)")
    create.set_defaults(handler=create_key)


def create_key(args: argparse.Namespace) -> int:
    """Create an API key, store its digest, and print the key on stdout."""
    org = args.org.strip()
    if not 1 <= len(org) <= MAX_ORG_NAME_LENGTH:
        field = "--org"
        raise InputError.single(field, f"must be 1-{MAX_ORG_NAME_LENGTH} characters")
    settings = Settings.from_env()
    storage = Storage(settings.database_url, schema=settings.db_schema)
    try:
        storage.create_all()
        print(storage.create_api_key(org))
    finally:
        storage.close()
    return 0
