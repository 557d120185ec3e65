"""Accounts: users with roles, argon2 passwords, bearer tokens, cookie logins, heartbeats;
and the ``opsim users`` commands through CliRunner."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import cli
from simulator.engine import Call
from simulator.errors import NotFoundError, OpsimError
from simulator.schema import Scenario
from simulator.store import Store, db, open_store
from simulator.store.accounts import Accounts, csrf_ok, first_accounts

runner = CliRunner()


def test_passwords_are_argon2_and_checked(store: Store) -> None:
    acc = Accounts(store)
    u = acc.add("山田", "trainee", "correct horse")
    with store.engine.connect() as conn:
        digest = conn.execute(sa.select(db.users.c.password_hash)).scalar_one()
    assert digest.startswith("$argon2id$") and "correct horse" not in digest
    assert acc.authenticate("山田", "correct horse") == u
    assert acc.authenticate("山田", "wrong horse!") is None
    assert acc.authenticate("nobody", "correct horse") is None
    assert acc.authenticate("山田", "x" * 5000) is None  # bounded work
    with pytest.raises(OpsimError, match="already exists"):
        acc.add("山田", "trainer", "another one")
    with pytest.raises(OpsimError, match="shorter than 8"):
        acc.add("佐藤", "trainee", "short")
    with pytest.raises(OpsimError, match="expected one of"):
        acc.add("佐藤", "admin", "long enough")
    with pytest.raises(OpsimError, match="control characters"):
        acc.add("a\nb", "trainee", "long enough")


def test_logins_tokens_passwd_remove(store: Store) -> None:
    acc = Accounts(store)
    u = acc.add("sato", "supervisor", "password-1")
    key, login = acc.open_login(u)
    assert acc.login(key) == login and login.user.role == "supervisor"
    assert csrf_ok(login, login.csrf) and not csrf_ok(login, "x") and not csrf_ok(login, None)
    assert acc.login("not-a-key") is None
    # an expired login is gone
    old, _ = acc.open_login(u, ttl=timedelta(seconds=-1))
    assert acc.login(old) is None
    token = acc.new_token("sato")
    assert acc.by_token(token) == acc.get("sato") and acc.get("sato").has_token
    assert acc.by_token(token + "x") is None and acc.by_token("") is None
    token2 = acc.new_token("sato")
    assert acc.by_token(token) is None and acc.by_token(token2) is not None  # replaced
    acc.set_password("sato", "password-2")
    assert acc.login(key) is None  # logins end with a new password
    assert acc.authenticate("sato", "password-2") is not None
    acc.remove("sato")
    assert acc.by_token(token2) is None and acc.users() == []
    with pytest.raises(NotFoundError):
        acc.remove("sato")


def test_first_accounts_are_random_and_made_once(store: Store) -> None:
    acc = Accounts(store)
    made = first_accounts(acc)
    assert [(u.name, u.role) for u, _ in made] == [("supervisor", "supervisor"),
                                                   ("trainee", "trainee")]
    assert made[0][1] != made[1][1] and len(made[0][1]) >= 12
    for u, pw in made:
        assert acc.authenticate(u.name, pw) == u
    assert first_accounts(acc) == []
    with open_store() as st2:  # another store: other random passwords
        assert Accounts(st2).count() == 2


def test_heartbeat_lease_marks_a_silent_call_incomplete(store: Store, scenario: Scenario) -> None:
    call = Call(scenario)
    call.reply("お電話ありがとうございます。")
    w = store.open_session(scenario, call, "web")
    w.sync(call.record)
    w.heartbeat(timedelta(seconds=30))
    assert store.sessions()[0].status == "in_progress"  # our pid lives, lease running
    w.heartbeat(timedelta(seconds=-1))  # the page went away: the lease ran out
    [s] = store.sessions()
    assert (s.status, s.outcome, s.turn_count) == ("incomplete", "incomplete", 2)


def _pw(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "pw.txt"
    p.write_text(text + "\n", encoding="utf-8")
    return p


def test_users_commands(home: Path, tmp_path: Path) -> None:
    res = runner.invoke(cli.app, ["users", "add", "山田", "--role", "trainer",
                                  "--password-file", str(_pw(tmp_path, "s3cret-pass"))])
    assert res.exit_code == 0, res.output
    assert "added trainer 山田" in res.output
    res = runner.invoke(cli.app, ["users", "list", "--json"])
    [u] = json.loads(res.stdout)
    assert (u["name"], u["role"], u["has_token"]) == ("山田", "trainer", False)
    res = runner.invoke(cli.app, ["users", "token", "山田"])
    token = res.stdout.strip()
    assert res.exit_code == 0 and token.startswith("opsim_")
    with open_store() as st:
        assert Accounts(st).by_token(token) is not None
    res = runner.invoke(cli.app, ["users", "passwd", "山田", "--password-file",
                                  str(_pw(tmp_path, "new-pass-99"))])
    assert res.exit_code == 0
    with open_store() as st:
        assert Accounts(st).authenticate("山田", "new-pass-99") is not None
    res = runner.invoke(cli.app, ["users", "list"])
    assert "山田" in res.stdout and "token" in res.stdout
    res = runner.invoke(cli.app, ["users", "remove", "山田"])
    assert res.exit_code == 0 and "kept" in res.output


@pytest.mark.parametrize(("args", "code", "message"), [
    (["users", "add", "x", "--role", "boss"], 2, "expected one of trainee, trainer, supervisor"),
    (["users", "add", "x"], 2, "--password-file"),  # no terminal to ask
    (["users", "add", "x", "--password-file", "/nonexistent/pw"], 4, "no such file"),
    (["users", "passwd", "ghost", "--password-file", "/nonexistent/pw"], 4, "no user 'ghost'"),
    (["users", "remove", "ghost"], 4, "no user 'ghost'"),
    (["users", "token", "ghost"], 4, "no user 'ghost'"),
])
def test_users_command_errors(home: Path, args: list[str], code: int, message: str) -> None:
    res = runner.invoke(cli.app, args)
    assert res.exit_code == code, res.output
    assert message in res.output and "Traceback" not in res.output


def test_short_password_from_file_is_refused(home: Path, tmp_path: Path) -> None:
    res = runner.invoke(cli.app, ["users", "add", "x", "--password-file", str(_pw(tmp_path, "abc"))])
    assert res.exit_code == 2 and "shorter than 8" in res.output
