#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests of the rig's own judges: watch.py, shards.py and report.py.

A stand-in for QEMU (a shell command that writes results.log the way the
guest does) shows the watchdog kill a silent run and name its test, end a
run past its limit, and stay out of the way of one that finishes;
shards.py's rest and covered on a made-up selftests directory; report.py
counting a watchdog verdict as a failure.  Run by check.sh's "rig" step:
python3 -m unittest tools/testing/vm/test_rig.py
"""
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def watch(outdir, script, quiet, limit):
    """Run watch.py on a fake VM (sh -c SCRIPT in OUTDIR); its seconds."""
    t0 = time.monotonic()
    subprocess.run([sys.executable, os.path.join(HERE, "watch.py"), outdir,
                    str(quiet), str(limit), "--", "sh", "-c",
                    f"cd {outdir} && {script}"], check=True, timeout=60)
    return time.monotonic() - t0


def results(outdir):
    with open(os.path.join(outdir, "results.log")) as f:
        return f.read()


class Watch(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_silence_kills_the_vm_and_names_the_test(self):
        secs = watch(self.dir, "printf 'rig: prog iopass_x begin\\n"
                     "#  RUN           fix.var.hangs ...\\n' >>results.log;"
                     " exec sleep 50", quiet=2, limit=40)
        self.assertLess(secs, 15)
        self.assertIn("rig: watchdog: no output for 2 s in iopass_x "
                      "fix.var.hangs failed", results(self.dir))

    def test_a_run_that_keeps_printing_ends_at_the_limit(self):
        secs = watch(self.dir, "while :; do echo '# still here' >>results.log;"
                     " sleep 0.3; done", quiet=5, limit=3)
        self.assertLess(secs, 15)
        self.assertIn("rig: watchdog: past the run's limit of 3 s in boot",
                      results(self.dir))

    def test_a_run_that_finishes_is_left_alone_and_timed(self):
        watch(self.dir, "printf 'rig: prog p begin\\n#  RUN           a.b ...\\n"
              "ok 1 a.b\\nrig: prog p rc=0\\n' >>results.log; sleep 3;"
              " echo 'rig: end' >>results.log", quiet=6, limit=40)
        log = results(self.dir)
        self.assertNotIn("watchdog", log)
        self.assertNotIn("failed", log)
        with open(os.path.join(self.dir, "times.txt")) as f:
            times = f.read()
        self.assertIn("case p a.b", times)
        self.assertIn("prog p", times)
        self.assertRegex(times, r"[23]\.\d s  the longest silence, in "
                         r"between programs")
        with open(os.path.join(self.dir, "progress")) as f:
            self.assertIn("1 cases (0 failed), finished", f.read())

    def test_a_vm_that_exits_with_an_error_is_a_failure(self):
        watch(self.dir, "exit 3", quiet=5, limit=40)
        self.assertIn("rig: qemu exited with 3 failed", results(self.dir))

    def test_report_counts_the_watchdog_verdict(self):
        watch(self.dir, "printf 'rig: prog p begin\\nok 1 a.b\\n' >>results.log;"
              " touch console.log; exec sleep 50", quiet=2, limit=40)
        out = subprocess.run([sys.executable, os.path.join(HERE, "report.py"),
                              "t", self.dir, "/nonexistent"],
                             capture_output=True, text=True)
        self.assertEqual(1, out.returncode)
        self.assertIn("rig: watchdog: no output for 2 s in p", out.stdout)
        self.assertIn("suite t: 1 passed, 2 failed", out.stdout)


class Shards(unittest.TestCase):
    """A selftests dir with two harness programs and a shell test."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.sdir = self.tmp.name
        os.mkdir(os.path.join(self.sdir, "build"))
        for prog, cases in (("iopass_a", "f.x.t f.y.t f.z.t"),
                            ("iopass_b", "g.t")):
            open(os.path.join(self.sdir, prog + ".c"), "w").close()
            path = os.path.join(self.sdir, "build", prog)
            with open(path, "w") as f:
                f.write(f"#!/bin/sh\nfor c in {cases}; do echo $c; done\n")
            os.chmod(path, 0o755)
        open(os.path.join(self.sdir, "c.sh"), "w").close()

    def tearDown(self):
        self.tmp.cleanup()

    def shards(self, *args):
        return subprocess.run([sys.executable, os.path.join(HERE, "shards.py"),
                               *args], capture_output=True, text=True)

    def boot(self, name, progs):
        d = os.path.join(self.sdir, name)
        os.mkdir(d)
        with open(os.path.join(d, "results.log"), "w") as f:
            for prog, cases in progs:
                f.write(f"rig: prog {prog} begin\n")
                for i, c in enumerate(cases):
                    f.write(f"ok {i + 1} {c}\n")
                f.write(f"rig: prog {prog} rc=0\n")
        return d

    def test_rest_runs_what_no_shard_names(self):
        out = self.shards("rest", self.sdir, "iopass_a:-v:x:-v:y",
                          "iopass_b")
        self.assertEqual("c.sh,iopass_a:-V:x:-V:y\n", out.stdout)

    def test_rest_refuses_other_filters(self):
        out = self.shards("rest", self.sdir, "iopass_a:-t:t")
        self.assertNotEqual(0, out.returncode)

    def test_covered_when_each_case_ran_once(self):
        d1 = self.boot("1", [("iopass_a", ["f.x.t"]), ("iopass_b", ["g.t"])])
        d2 = self.boot("2", [("iopass_a", ["f.y.t", "f.z.t"]),
                             ("c.sh", ["anything"])])
        out = self.shards("covered", self.sdir, d1, d2)
        self.assertEqual(0, out.returncode, out.stdout)

    def test_a_missing_or_doubled_case_is_found(self):
        d1 = self.boot("1", [("iopass_a", ["f.x.t", "f.y.t"]),
                             ("iopass_b", ["g.t"])])
        d2 = self.boot("2", [("iopass_a", ["f.y.t"]), ("c.sh", [])])
        out = self.shards("covered", self.sdir, d1, d2)
        self.assertEqual(1, out.returncode)
        self.assertIn("iopass_a f.y.t: ran 2 times (1, 2)", out.stdout)
        self.assertIn("iopass_a f.z.t: ran 0 times (in no boot)", out.stdout)

    def test_a_program_that_never_ran_is_found(self):
        d1 = self.boot("1", [("iopass_a", ["f.x.t", "f.y.t", "f.z.t"]),
                             ("iopass_b", ["g.t"])])
        out = self.shards("covered", self.sdir, d1)
        self.assertEqual(1, out.returncode)
        self.assertIn("c.sh: did not run in any boot", out.stdout)


if __name__ == "__main__":
    unittest.main()
