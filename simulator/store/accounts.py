"""Accounts of the practice site: users, roles, passwords, tokens and cookie logins.

* A user has a name, a role (:data:`ROLES`) and an argon2id password hash (argon2-cffi's
  ``PasswordHasher``: salted, memory-hard, parameters kept in the hash so they can be
  raised later).  A user's session records are those whose trainee has the same name,
  so ``opsim practice --trainee NAME`` records attach to the user ``NAME``.
* Tools authenticate with a bearer token (``opsim users token NAME``): 32 random bytes,
  shown once; only its SHA-256 is stored (a token is high-entropy, so a fast hash is
  enough; a new token replaces the old one).
* A browser login is a random key in an HttpOnly cookie; the database keeps its SHA-256,
  the user, the CSRF token that every state-changing request of that login must carry,
  and when it expires.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from simulator.errors import ExitCode, NotFoundError, OpsimError
from simulator.store import db
from simulator.store.store import Store, from_db_time, utcnow

ROLES = ("trainee", "trainer", "supervisor")
#: a password shorter than this is refused
MIN_PASSWORD = 8
#: longer passwords are refused (argon2 would hash a megabyte happily: bound the work)
MAX_PASSWORD = 1024
#: how long a browser login lasts without logging in again
LOGIN_TTL = timedelta(hours=12)

_HASHER = PasswordHasher()  # argon2id, the library's RFC 9106 low-memory profile
#: verified against when the user does not exist, so a wrong name takes as long as a
#: wrong password (no user enumeration by timing)
_DUMMY_HASH = _HASHER.hash("opsim-no-such-user")


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    created_at: datetime
    has_token: bool

    @property
    def sees_everyone(self) -> bool:
        """Supervisors see every trainee's sessions; others only their own."""
        return self.role == "supervisor"

    @property
    def edits_scenarios(self) -> bool:
        return self.role in ("trainer", "supervisor")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "role": self.role,
                "created_at": self.created_at.isoformat(timespec="seconds"),
                "has_token": self.has_token}


@dataclass(frozen=True)
class Login:
    """A browser login: who, and the CSRF token its forms carry."""

    user: User
    csrf: str
    expires_at: datetime


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise OpsimError("the user name is empty", ExitCode.USAGE)
    if len(name) > 200:
        raise OpsimError("the user name is longer than 200 characters", ExitCode.USAGE)
    if re.search(r"[\x00-\x1f\x7f]", name):
        raise OpsimError("the user name has control characters", ExitCode.USAGE)
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise OpsimError(f"--role {role!r}: expected one of {', '.join(ROLES)}", ExitCode.USAGE)
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise OpsimError(f"the password is shorter than {MIN_PASSWORD} characters",
                         ExitCode.USAGE)
    if len(password) > MAX_PASSWORD:
        raise OpsimError(f"the password is longer than {MAX_PASSWORD} characters",
                         ExitCode.USAGE)
    return password


def new_password() -> str:
    """A random password to print once (about 96 bits)."""
    return secrets.token_urlsafe(12)


def _user(r: Any) -> User:
    return User(int(r.id), r.name, r.role, from_db_time(r.created_at) or utcnow(),
                r.token_hash is not None)


class Accounts:
    """The accounts in one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # ------------------------------------------------------------------ users

    def users(self) -> list[User]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(db.users).order_by(db.users.c.name)).all()
        return [_user(r) for r in rows]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(db.users)).scalar_one())

    def get(self, name: str) -> User:
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(db.users).where(db.users.c.name == name)).first()
        if r is None:
            raise NotFoundError(f"no user {name!r}")
        return _user(r)

    def add(self, name: str, role: str, password: str) -> User:
        name, role, password = check_name(name), check_role(role), check_password(password)
        now = utcnow()
        digest = _HASHER.hash(password)
        with db.write_tx(self.engine) as conn:
            if conn.execute(sa.select(db.users.c.id).where(db.users.c.name == name)).first():
                raise OpsimError(f"user {name!r} already exists (opsim users passwd {name} "
                                 "to change the password)", ExitCode.USAGE)
            conn.execute(db.users.insert().values(name=name, role=role, password_hash=digest,
                                                  token_hash=None, created_at=now,
                                                  updated_at=now))
        return self.get(name)

    def set_password(self, name: str, password: str) -> None:
        """A new password; the user's browser logins end (they log in again)."""
        user = self.get(name)
        digest = _HASHER.hash(check_password(password))
        with db.write_tx(self.engine) as conn:
            conn.execute(db.users.update().where(db.users.c.id == user.id)
                         .values(password_hash=digest, updated_at=utcnow()))
            conn.execute(db.logins.delete().where(db.logins.c.user_id == user.id))

    def remove(self, name: str) -> None:
        """The account goes (with its logins and token); its session records stay."""
        user = self.get(name)
        with db.write_tx(self.engine) as conn:
            conn.execute(db.logins.delete().where(db.logins.c.user_id == user.id))
            conn.execute(db.users.delete().where(db.users.c.id == user.id))

    def new_token(self, name: str) -> str:
        """A new bearer token for tools (replaces the previous one); shown once."""
        user = self.get(name)
        token = "opsim_" + secrets.token_urlsafe(32)
        with db.write_tx(self.engine) as conn:
            conn.execute(db.users.update().where(db.users.c.id == user.id)
                         .values(token_hash=_sha(token), updated_at=utcnow()))
        return token

    # ------------------------------------------------------------------ authentication

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when the password is right, else None (same time either way)."""
        if len(password) > MAX_PASSWORD or len(name) > 200:
            return None
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(db.users).where(db.users.c.name == name.strip())).first()
        try:
            _HASHER.verify(r.password_hash if r is not None else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if r is None:
            return None
        if _HASHER.check_needs_rehash(r.password_hash):
            with db.write_tx(self.engine) as conn:
                conn.execute(db.users.update().where(db.users.c.id == r.id)
                             .values(password_hash=_HASHER.hash(password)))
        return _user(r)

    def by_token(self, token: str) -> User | None:
        if not token or len(token) > 200:
            return None
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(db.users).where(db.users.c.token_hash == _sha(token))).first()
        return None if r is None else _user(r)

    # ------------------------------------------------------------------ browser logins

    def open_login(self, user: User, ttl: timedelta = LOGIN_TTL) -> tuple[str, Login]:
        """A new login: the cookie's key (give it to the browser) and the login."""
        key = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = utcnow()
        with db.write_tx(self.engine) as conn:
            conn.execute(db.logins.delete().where(db.logins.c.expires_at < now))
            conn.execute(db.logins.insert().values(key_hash=_sha(key), user_id=user.id,
                                                   csrf=csrf, created_at=now,
                                                   expires_at=now + ttl))
        return key, Login(user, csrf, from_db_time(now + ttl) or now)

    def login(self, key: str) -> Login | None:
        """The live login of a cookie's key, or None (unknown, expired, user removed)."""
        if not key or len(key) > 200:
            return None
        with self.engine.connect() as conn:
            r = conn.execute(sa.select(db.logins.c.csrf, db.logins.c.expires_at,
                                       db.users.c.id, db.users.c.name, db.users.c.role,
                                       db.users.c.created_at, db.users.c.token_hash)
                             .join(db.users, db.users.c.id == db.logins.c.user_id)
                             .where(db.logins.c.key_hash == _sha(key))).first()
        if r is None or r.expires_at < utcnow():
            return None
        return Login(_user(r), r.csrf, from_db_time(r.expires_at) or utcnow())

    def close_login(self, key: str) -> None:
        with db.write_tx(self.engine) as conn:
            conn.execute(db.logins.delete().where(db.logins.c.key_hash == _sha(key)))


def csrf_ok(login: Login, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(login.csrf.encode(), (given or "").encode())




def first_accounts(accounts: Accounts) -> list[tuple[User, str]]:
    """On a store without users: create a supervisor and a trainee with random passwords,
    returned once so the server can print them (never a fixed default)."""
    if accounts.count():
        return []
    made = []
    for name, role in (("supervisor", "supervisor"), ("trainee", "trainee")):
        password = new_password()
        made.append((accounts.add(name, role, password), password))
    return made


__all__ = ["LOGIN_TTL", "ROLES", "Accounts", "Login", "User", "check_name", "check_password",
           "check_role", "csrf_ok", "first_accounts", "new_password"]
