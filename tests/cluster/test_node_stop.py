"""Stopping a speech node leaves none of its Ray processes behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from simulator.speech_ray import kill_session

CHILD = ("import subprocess, sys, time; "
         "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'], "
         "process_group=0); print(c.pid, flush=True); time.sleep(120)")


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is gone, only not yet reaped


def test_every_process_of_the_session_is_killed_even_in_a_group_of_its_own() -> None:
    # like a Ray node: a session leader (ray start --block) and a worker in its own group
    leader = subprocess.Popen([sys.executable, "-c", CHILD], start_new_session=True,
                              stdout=subprocess.PIPE, text=True)
    assert leader.stdout is not None
    child = int(leader.stdout.readline())
    try:
        assert os.getsid(child) == leader.pid and os.getpgid(child) != leader.pid
        assert kill_session(leader.pid) == 2
        leader.wait(timeout=10)
        deadline = time.monotonic() + 10
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(child)
    finally:
        leader.kill()
        leader.stdout.close()
