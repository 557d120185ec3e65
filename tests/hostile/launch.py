"""Run one probe command and write ITS peak memory to a file.

A child forked from the test process counts the parent's resident pages in its
``ru_maxrss`` (Linux keeps the peak across ``exec``), so a probe started straight from a
pytest process that holds the speech models would report the models' memory as its own.
This launcher is small when it forks: the probe's ``ru_maxrss`` is the probe's.

    python tests/hostile/launch.py REPORT_FILE PROGRAM ARGS...
"""

import os
import signal
import sys

report, program, args = sys.argv[1], sys.argv[2], sys.argv[2:]
pid = os.fork()
if pid == 0:
    os.execv(program, args)
_, status, usage = os.wait4(pid, 0)
with open(report, "w", encoding="ascii") as f:
    f.write(str(usage.ru_maxrss))
if os.WIFSIGNALED(status):
    signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
    os.kill(os.getpid(), os.WTERMSIG(status))
sys.exit(os.waitstatus_to_exitcode(status))
