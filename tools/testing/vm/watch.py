#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run a VM and watch what its tests print.

Usage: watch.py OUTDIR QUIET LIMIT -- QEMU_COMMAND...

The guest writes its results to OUTDIR/results.log (ttyS1).  This runs the
command and reads that file as it grows.  A guest that prints nothing there
for QUIET seconds is hung: the VM is killed and the line
    rig: watchdog: no output for QUIET s in PROG TEST failed
names the test it was in.  LIMIT seconds in all ends the run the same way;
it catches a guest that keeps printing but never finishes, and is set far
above any measured run (Documentation/testing.rst).  Long tests print a
line now and then (the fail-nth sweeps: each nth they reach, at most every
few seconds) so that a slow machine is never mistaken for a hung one.

While it runs, OUTDIR/progress holds one line (cases so far, the program
and test running, seconds); check.sh shows it.  At the end,
OUTDIR/times.txt lists each program's and each test case's seconds,
slowest first: how limits and shards are sized.
"""
import os
import re
import signal
import subprocess
import sys
import time

RUN = re.compile(r"^#\s+RUN\s+(\S+)")
CASE = re.compile(r"^(not )?ok \d+ (\S+)")
PROG = re.compile(r"^rig: prog (\S+) (begin|rc=\d+)")


class State:
    def __init__(self, t0):
        self.t0 = t0
        self.prog = self.test = None
        self.prog_t = self.test_t = t0
        self.cases = self.failed = 0
        self.times = []		# (seconds, "prog" | "case", name)
        self.last = t0
        self.quietest = (0, "boot")	# the longest silence, and where

    def heard(self, now):
        if now - self.last > self.quietest[0]:
            self.quietest = (now - self.last, self.where())
        self.last = now

    def line(self, line, now):
        m = PROG.match(line)
        if m:
            if m.group(2) == "begin":
                self.prog, self.prog_t = m.group(1), now
            else:
                self.times.append((now - self.prog_t, "prog", m.group(1)))
                self.prog = self.test = None
            return
        m = RUN.match(line)
        if m:
            self.test, self.test_t = m.group(1), now
            return
        m = CASE.match(line)
        if m:
            self.cases += 1
            self.failed += bool(m.group(1))
            if self.test:
                self.times.append((now - self.test_t, "case",
                                   f"{self.prog} {self.test}"))
            self.test = None

    def where(self):
        return " ".join(x for x in (self.prog, self.test) if x) or \
            ("between programs" if self.times else "boot")


def stop(proc):
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main():
    outdir, quiet, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    cmd = sys.argv[sys.argv.index("--") + 1:]
    log = os.path.join(outdir, "results.log")
    progress = os.path.join(outdir, "progress")
    open(log, "w").close()

    t0 = time.monotonic()
    st = State(t0)
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    try:
        verdict = watch(proc, log, progress, st, quiet, limit)
    finally:
        stop(proc)
    rc = proc.wait()
    with open(log, "a") as f:
        if verdict:
            f.write(f"\nrig: watchdog: {verdict} failed\n")
        elif rc:
            f.write(f"\nrig: qemu exited with {rc} failed\n")
    with open(os.path.join(outdir, "times.txt"), "w") as f:
        f.write(f"{time.monotonic() - t0:8.1f} s  the whole run\n")
        f.write(f"{st.quietest[0]:8.1f} s  the longest silence, in "
                f"{st.quietest[1]}\n")
        for secs, kind, name in sorted(st.times, reverse=True):
            f.write(f"{secs:8.1f} s  {kind} {name}\n")
    with open(progress, "w") as p:
        p.write(f"{st.cases} cases ({st.failed} failed), finished, "
                f"{time.monotonic() - t0:.0f} s\n")
    return 0


def watch(proc, log, progress, st, quiet, limit):
    """Follow the log until the VM ends: None, or why it was stopped."""
    t0 = st.t0
    verdict = None
    partial = b""
    with open(log, "rb") as f:
        while True:
            done = proc.poll() is not None
            data = f.read()
            now = time.monotonic()
            if data:
                st.heard(now)
                *lines, partial = (partial + data).split(b"\n")
                for line in lines:
                    st.line(line.decode(errors="replace").rstrip("\r"), now)
            if done:
                break
            if now - st.last > quiet:
                verdict = f"no output for {quiet} s in {st.where()}"
            elif now - t0 > limit:
                verdict = f"past the run's limit of {limit} s in {st.where()}"
            if verdict:
                break
            with open(progress + ".new", "w") as p:
                p.write(f"{st.cases} cases ({st.failed} failed), "
                        f"in {st.where()}, {now - t0:.0f} s\n")
            os.replace(progress + ".new", progress)
            time.sleep(1)

    return verdict


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    sys.exit(main())
