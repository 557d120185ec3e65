"""Helpers of the site's tests: the running site, httpx clients that log in like a
browser, a real browser (Debian's chromium through Playwright), labelled scripted calls."""

from __future__ import annotations

import os
import re
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from required import missing


@dataclass
class Site:
    url: str
    home: Path
    passwords: dict[str, str]  # user name -> password
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self) -> httpx.Client:
        c = httpx.Client(base_url=self.url, timeout=30.0, follow_redirects=False)
        self.clients.append(c)
        return c

    def login(self, name: str, password: str | None = None) -> httpx.Client:
        c = self.client()
        r = login(c, name, self.passwords[name] if password is None else password)
        assert r.status_code == 303, r.text
        return c


def prelogin(c: httpx.Client) -> str:
    page = c.get("/login")
    m = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert m, page.text
    return m.group(1)


def login(c: httpx.Client, name: str, password: str) -> httpx.Response:
    token = prelogin(c)
    return c.post("/login", data={"username": name, "password": password, "csrf": token})


def csrf_of(c: httpx.Client) -> str:
    token: str = c.get("/api/me").json()["csrf"]
    return token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# ----------------------------------------------------------------------------- calls

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def scripted_replies(scenario: str, name: str, language: str = "ja") -> tuple[int, list[str]]:
    """A labelled scripted call's seed and replies, filled in for that seed's details."""
    import yaml

    from simulator import template
    from simulator.engine import Call
    from simulator.scenarios import find_scenario

    doc = yaml.safe_load((SCENARIOS / language / f"{scenario}.tests" / f"{name}.yaml").read_text("utf-8"))
    values = Call(find_scenario(scenario, language), seed=doc["seed"]).variables
    return doc["seed"], [template.render(r, values) for r in doc["replies"]]


# ----------------------------------------------------------------------------- the browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("OPSIM_SCREENSHOTS", "")) if os.environ.get("OPSIM_SCREENSHOTS") else None


def chromium_args(mic_wav: Path | None = None) -> list[str]:
    args = ["--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    if mic_wav is not None:
        args += ["--use-fake-device-for-media-stream",
                 f"--use-file-for-fake-audio-capture={mic_wav}%noloop"]
    return args


@contextmanager
def browser(mic_wav: Path | None = None) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        missing(f"chromium ({CHROMIUM}; ./run.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=chromium_args(mic_wav))
        try:
            yield b
        finally:
            b.close()


def shot(page: Any, tmp_path: Path, name: str) -> Path:
    """A full-page screenshot (kept in $OPSIM_SCREENSHOTS when set, to look at)."""
    folder = SHOTS or tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def page_login(page: Any, url: str, name: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
