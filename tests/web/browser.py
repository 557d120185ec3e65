"""A real browser for the site's tests: Debian's chromium driven by Playwright (its own
headless shell refuses the microphone, and ``playwright install`` would download)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

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
        pytest.skip("chromium is not installed (./run.sh installs it)")
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


def login(page: Any, url: str, name: str, password: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
