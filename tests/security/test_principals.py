"""Principals in the operational database (SQLite and PostgreSQL): users and nodes, argon2id
passwords, API tokens, and authentication that answers every failure the same way."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from argon2 import PasswordHasher
from sqlalchemy import select, text

from setu.db import Base, Database
from setu.db.testing import SteppingClock
from setu.security.errors import (
    AuthenticationError,
    InvalidLabelError,
    InvalidPrincipalError,
    PrincipalExistsError,
    PrincipalNotFoundError,
    TokenNotFoundError,
    UnmappedLevelError,
)
from setu.security.models_principals import ApiTokenRow, PrincipalKind, PrincipalRow
from setu.security.principals import PrincipalStore, Role

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
# argon2id at test cost: the same algorithm and code path, parameters low enough for a suite
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock(T0)


@pytest.fixture
def store(db: Database, clock: SteppingClock) -> PrincipalStore:
    return PrincipalStore(db, clock=clock, hasher=CHEAP)


def _asha(store: PrincipalStore, **changes: object):  # type: ignore[no-untyped-def]
    fields: dict[str, object] = {
        "nation": "IND",
        "clearance": "SECRET",
        "groups": ["mda", "CT"],
        "roles": ["analyst", "watch-officer"],
        "password": PASSWORD,
    }
    fields.update(changes)
    return store.add_user("asha", **fields)  # type: ignore[arg-type]


def test_user_round_trip(store: PrincipalStore) -> None:
    added = _asha(store)
    got = store.get("asha")
    assert got == added
    assert got.kind is PrincipalKind.USER and got.nation == "IND" and got.clearance == "SECRET"
    assert got.need_to_know == {"mda", "ct"} and got.purposes == {"MDA", "CT"}
    assert got.roles == {Role.ANALYST, Role.WATCH_OFFICER}
    assert got.created_at == got.updated_at == T0
    assert [p.name for p in store.list_all()] == ["asha"]


def test_japanese_clearance_and_partner_node(store: PrincipalStore) -> None:
    kenji = store.add_user("kenji", nation="JPN", clearance="極秘", groups=["mda"], roles=[])
    node = store.add_node("jpn-yokosuka", nation="JPN", clearance="極秘")
    usa = store.add_node("usa-pearl", nation="USA", clearance="SECRET")  # never ranked
    assert store.get("kenji").clearance == kenji.clearance == "極秘"
    assert node.kind is PrincipalKind.NODE and not node.roles and not node.need_to_know
    assert usa.nation == "USA"
    with pytest.raises(InvalidPrincipalError, match="certificate"):
        store.set_password("jpn-yokosuka", PASSWORD)


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"clearance": "RESTRICTED"}, UnmappedLevelError, "RESTRICTED"),
        ({"clearance": "極秘"}, UnmappedLevelError, "no row"),  # a JPN level for an IND user
        ({"groups": ["asw"]}, InvalidPrincipalError, "need-to-know"),
        ({"roles": ["admiral"]}, InvalidPrincipalError, "role"),
        ({"nation": "India"}, InvalidLabelError, "trigraph"),
        ({"password": "short"}, InvalidPrincipalError, "15"),
    ],
)
def test_bad_records_are_refused(
    store: PrincipalStore, changes: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        _asha(store, **changes)
    assert store.list_all() == []


def test_names_are_unique_and_checked(store: PrincipalStore) -> None:
    _asha(store)
    with pytest.raises(PrincipalExistsError):
        _asha(store)
    with pytest.raises(InvalidPrincipalError, match="name"):
        store.add_node("bad name", nation="JPN", clearance="秘")
    with pytest.raises(PrincipalNotFoundError):
        store.get("nobody")


def test_password_is_stored_as_argon2id_only(store: PrincipalStore, db: Database) -> None:
    _asha(store)
    with db.session() as session:
        row = session.scalar(select(PrincipalRow).where(PrincipalRow.name == "asha"))
        assert row is not None and row.password_hash is not None
        assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash


def test_login_with_the_right_password(store: PrincipalStore) -> None:
    _asha(store)
    assert store.authenticate_password("asha", PASSWORD).name == "asha"


def test_every_login_failure_reads_the_same(store: PrincipalStore) -> None:
    _asha(store)
    store.add_user("token-only", nation="IND", clearance="SECRET", groups=["mda"], roles=[])
    store.add_user("gone", nation="IND", clearance="SECRET", groups=[], roles=[], password=PASSWORD)
    store.disable("gone")
    messages = set()
    for name, password in [
        ("asha", PASSWORD + "!"),  # wrong password
        ("nobody", PASSWORD),  # unknown user
        ("gone", PASSWORD),  # disabled, right password
        ("token-only", PASSWORD),  # no password set
    ]:
        with pytest.raises(AuthenticationError) as info:
            store.authenticate_password(name, password)
        messages.add(str(info.value))
    assert len(messages) == 1


def test_password_change_and_rehash_on_login(
    store: PrincipalStore, db: Database, clock: SteppingClock
) -> None:
    _asha(store)
    clock.advance(hours=1)
    store.set_password("asha", "a different long passphrase")
    with pytest.raises(AuthenticationError):
        store.authenticate_password("asha", PASSWORD)
    stronger = PrincipalStore(
        db, clock=clock, hasher=PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    )
    stronger.authenticate_password("asha", "a different long passphrase")
    with db.session() as session:
        stored = session.scalar(select(PrincipalRow.password_hash))
    assert stored is not None and "m=2048,t=2,p=1" in stored


def test_token_shown_once_and_stored_as_sha256(store: PrincipalStore, db: Database) -> None:
    _asha(store)
    issued = store.create_token("asha", expires_days=30)
    assert issued.token.startswith(f"setu_{issued.token_id}_")
    assert store.authenticate_token(issued.token).name == "asha"
    with db.session() as session:
        row = session.get(ApiTokenRow, issued.token_id)
        assert row is not None
        assert row.token_sha256 == hashlib.sha256(issued.token.encode()).hexdigest()
        dumped = " ".join(
            str(v) for v in session.execute(text("SELECT * FROM security_api_token")).one()
        )
    secret = issued.token.rsplit("_", 1)[1]
    assert secret not in dumped


def test_every_token_failure_reads_the_same(store: PrincipalStore, clock: SteppingClock) -> None:
    _asha(store)
    expiring = store.create_token("asha", expires_days=1)
    revoked = store.create_token("asha")
    store.revoke_token(revoked.token_id)
    good = store.create_token("asha")
    tampered = good.token[:-1] + ("A" if good.token[-1] != "A" else "B")
    unknown = "setu_" + "0" * 16 + "_" + "A" * 43
    clock.advance(days=1)
    messages = set()
    for token in [expiring.token, revoked.token, tampered, unknown, "not a token", ""]:
        with pytest.raises(AuthenticationError) as info:
            store.authenticate_token(token)
        messages.add(str(info.value))
    assert len(messages) == 1
    assert store.authenticate_token(good.token).name == "asha"
    store.disable("asha")
    with pytest.raises(AuthenticationError):
        store.authenticate_token(good.token)


def test_token_requests_are_checked(store: PrincipalStore) -> None:
    _asha(store)
    with pytest.raises(InvalidPrincipalError, match="positive"):
        store.create_token("asha", expires_days=0)
    with pytest.raises(TokenNotFoundError):
        store.revoke_token("0123456789abcdef")
    store.disable("asha")
    with pytest.raises(InvalidPrincipalError, match="disabled"):
        store.create_token("asha")


def test_disable_keeps_the_record(store: PrincipalStore, clock: SteppingClock) -> None:
    _asha(store)
    clock.advance(minutes=5)
    gone = store.disable("asha")
    assert gone.disabled and gone.updated_at == clock.at and store.get("asha").disabled


def test_principal_tables_match_the_migration(db: Database) -> None:
    mine = {PrincipalRow.__tablename__, ApiTokenRow.__tablename__}
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    about_mine = [d for d in diffs if mine & set(_tables_in(d))]
    assert about_mine == []


def _tables_in(diff: object) -> list[str]:
    """Table names mentioned by one autogenerate diff (a tuple, or a list of tuples)."""
    items = diff if isinstance(diff, list) else [diff]
    names = []
    for item in items:
        for part in item:
            name = getattr(part, "name", None) or getattr(
                getattr(part, "table", None), "name", None
            )
            if isinstance(part, str):
                names.append(part)
            elif name:
                names.append(name)
    return names


# -- setu users … ------------------------------------------------------------------------------


@pytest.fixture
def run(db_url: str, tmp_path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from setu.cli import app

    monkeypatch.setattr("setu.security.principals.PasswordHasher", lambda: CHEAP)
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None, ok: bool = True):  # type: ignore[no-untyped-def]
        argv = ["--data-dir", str(tmp_path / "data"), "--database-url", db_url, *args]
        result = runner.invoke(app, argv, input=stdin)
        if ok:
            assert result.exit_code == 0, (result.output, result.exception)
        return result

    return invoke


def test_cli_users_lifecycle(run, db_url: str) -> None:  # type: ignore[no-untyped-def]
    import json

    from setu.db import open_database

    run(
        "users", "add", "asha", "--nation", "IND", "--clearance", "SECRET",
        "--groups", "mda,ct", "--roles", "analyst", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    run("users", "add-node", "jpn-yokosuka", "--nation", "JPN", "--clearance", "極秘")
    listed = json.loads(run("users", "list", "--json").stdout)
    assert [(u["name"], u["kind"]) for u in listed] == [("asha", "user"), ("jpn-yokosuka", "node")]
    assert listed[0]["need_to_know"] == ["ct", "mda"] and "password_hash" not in listed[0]
    issued = json.loads(run("users", "token", "create", "asha", "--json").stdout)
    run("users", "passwd", "asha", "--password-stdin", stdin="another long passphrase\n")

    db = open_database(db_url)
    try:
        store = PrincipalStore(db, hasher=CHEAP)
        assert store.authenticate_token(issued["token"]).name == "asha"
        assert store.authenticate_password("asha", "another long passphrase").name == "asha"
        run("users", "token", "revoke", issued["token_id"])
        with pytest.raises(AuthenticationError):
            store.authenticate_token(issued["token"])
        run("users", "disable", "asha")
        with pytest.raises(AuthenticationError):
            store.authenticate_password("asha", "another long passphrase")
    finally:
        db.dispose()


def test_cli_refusals_exit_with_setu_codes(run) -> None:  # type: ignore[no-untyped-def]
    bad = run(
        "users", "add", "ravi", "--nation", "IND", "--clearance", "RESTRICTED", "--no-password",
        ok=False,
    )  # fmt: skip
    assert isinstance(bad.exception, UnmappedLevelError)
    missing = run("users", "disable", "nobody", ok=False)
    assert isinstance(missing.exception, PrincipalNotFoundError)
    assert PrincipalNotFoundError.exit_code == 4


def test_cli_table_shows_names_literally(run) -> None:  # type: ignore[no-untyped-def]
    run(
        "users", "add", "kenji", "--nation", "JPN", "--clearance", "極秘", "--groups", "mda",
        "--no-password",
    )  # fmt: skip
    out = run("users", "list").stdout
    assert "kenji" in out and "極秘" in out
