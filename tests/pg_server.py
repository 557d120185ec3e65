"""A throw-away PostgreSQL server for the test suite (Debian's ``postgresql`` package).

``initdb`` into a fresh temporary folder, ``pg_ctl start`` on a free port of 127.0.0.1,
one database (``opsim_test``), trust authentication on loopback only; ``stop()`` shuts it
down and deletes the folder.  ``initdb`` refuses to run as root (and CI runs as root), so
as root the server runs as the unprivileged ``postgres`` user the Debian package creates.

Durability is switched off (``fsync``, ``synchronous_commit``, ``full_page_writes``): the
data is thrown away at the end; what the tests check is the SQL, the transactions and the
locking, which are unchanged.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

DATABASE = "opsim_test"
SUPERUSER = "opsim"
RUN_AS = "postgres"  # the system user Debian's postgresql-common creates


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here, or the server would not start."""


def server_bindir() -> Path:
    """The folder holding ``initdb``, ``pg_ctl`` and ``postgres`` (newest version first)."""
    found = shutil.which("pg_ctl")
    candidates = [Path(found).resolve().parent] if found else []
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                      key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
                      reverse=True)
    candidates += [Path(p) for p in versions]
    for d in candidates:
        if all((d / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return d
    raise PostgresUnavailable("PostgreSQL server binaries not found (no pg_ctl on PATH nor in "
                              "/usr/lib/postgresql/*/bin): install Debian's postgresql package "
                              "(./run.sh does), or set OPSIM_TEST_PG_URL")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalPostgres:
    """One server; ``start()`` returns its SQLAlchemy URL."""

    bindir: Path = field(default_factory=server_bindir)
    port: int = 0
    folder: Path | None = None
    url: str = ""
    version: str = ""
    start_seconds: float = 0.0  # initdb + start + CREATE DATABASE
    stop_seconds: float = 0.0
    _user: pwd.struct_passwd | None = None

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        kw: dict[str, object] = {}
        if self._user is not None:
            kw = {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}
        env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
        env.pop("PGDATA", None)
        assert self.folder is not None
        res = subprocess.run(list(args), cwd=self.folder, env=env, capture_output=True,
                             text=True, timeout=timeout, check=False, **kw)  # type: ignore[call-overload]
        return res  # type: ignore[no-any-return]

    def start(self) -> str:
        t0 = time.perf_counter()
        if os.geteuid() == 0:
            try:
                self._user = pwd.getpwnam(RUN_AS)
            except KeyError:
                raise PostgresUnavailable(f"running as root, and there is no {RUN_AS!r} user to "
                                          "run the server as (install Debian's postgresql "
                                          "package)") from None
        # /tmp, not pytest's tmp_path: the server's user must be able to reach the folder,
        # and the Unix socket path must stay short
        self.folder = Path(tempfile.mkdtemp(prefix="opsim-pg-"))
        if self._user is not None:
            os.chown(self.folder, self._user.pw_uid, self._user.pw_gid)
        data = self.folder / "data"
        res = self._run(str(self.bindir / "initdb"), "-D", str(data), "-U", SUPERUSER,
                        "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
        if res.returncode != 0:
            self.stop()
            raise PostgresUnavailable(f"initdb failed: {res.stderr.strip() or res.stdout.strip()}")
        for attempt in range(3):  # the free port may be taken between probe and start
            self.port = free_port()
            opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                    f"-c unix_socket_directories={self.folder} -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
            res = self._run(str(self.bindir / "pg_ctl"), "start", "-w", "-t", "60", "-D",
                            str(data), "-l", str(self.folder / "server.log"), "-o", opts)
            if res.returncode == 0:
                break
            if attempt == 2:
                log = (self.folder / "server.log").read_text(errors="replace")[-2000:]
                self.stop()
                raise PostgresUnavailable(f"pg_ctl start failed: {res.stderr.strip()}\n{log}")
        base = f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}"
        import sqlalchemy as sa

        admin = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{DATABASE}"'))
                self.version = str(conn.execute(sa.text("SHOW server_version")).scalar_one())
        finally:
            admin.dispose()
        self.url = f"{base}/{DATABASE}"
        self.start_seconds = time.perf_counter() - t0
        return self.url

    def stop(self) -> None:
        """Shut the server down (fast: clients are disconnected) and delete its folder."""
        if self.folder is None:
            return
        t0 = time.perf_counter()
        data = self.folder / "data"
        if (data / "postmaster.pid").exists():
            res = self._run(str(self.bindir / "pg_ctl"), "stop", "-w", "-m", "fast", "-D",
                            str(data))
            if res.returncode != 0:  # last resort: immediate shutdown
                self._run(str(self.bindir / "pg_ctl"), "stop", "-m", "immediate", "-D", str(data))
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None
        self.stop_seconds = time.perf_counter() - t0
