#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn one VM run into a verdict.

Usage: report.py SUITE OUTDIR KUNIT_PY
Reads OUTDIR/results.log (guest-init.sh's protocol) and OUTDIR/console.log,
prints what failed and one line "suite SUITE: N passed, M failed".  Test
cases are TAP "ok"/"not ok" lines ("ok ... # SKIP" counts as neither); KUnit's KTAP is judged by the kernel's
own kunit.py parse.  A program that exits non-zero without a failed case,
a guest that does not finish, a kmemleak report or a kernel log report that
no test expected each count as one more failure, and so does a line
"rig: json ..." (iopassctl output a test kept) that is not valid JSON.
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import importlib  # noqa: E402
import json  # noqa: E402
scan_log = importlib.import_module("scan-log")


def main():
    suite, outdir, kunit_py = sys.argv[1:4]
    passed = failed = 0
    problems = []
    with open(os.path.join(outdir, "results.log"), errors="replace") as f:
        lines = [l.rstrip("\r\n") for l in f]

    prog, prog_fail, ktap, finished, skipped = None, 0, None, False, 0
    for line in lines:
        if line.startswith("rig: prog ") and line.endswith(" begin"):
            prog, prog_fail = line.split()[2], 0
        elif line.startswith("rig: prog ") and " rc=" in line:
            rc = int(line.rsplit("=", 1)[1])
            if rc and not prog_fail:
                failed += 1
                problems.append(f"{prog} exited {rc}")
            prog = None
        elif line == "rig: ktap begin":
            ktap = []
        elif line == "rig: ktap end":
            p, fl = run_kunit(kunit_py, outdir, ktap, problems)
            passed, failed, ktap = passed + p, failed + fl, None
        elif ktap is not None:
            ktap.append(line)
        elif line.startswith("rig: kmemleak "):
            if "unreferenced object" in line:
                failed += 1
            problems.append(line)
        elif line.startswith("rig: json "):
            # iopassctl --json output a guest test kept: it must parse.
            try:
                json.loads(line[len("rig: json "):])
            except ValueError as e:
                failed += 1
                problems.append(f"{prog}: invalid JSON ({e}): {line}")
        elif line.startswith("rig: end"):
            finished = True
        elif line.startswith("rig: ") and "failed" in line:
            failed += 1
            problems.append(line)
        elif re.match(r"ok \d+ .*# SKIP", line):
            # Not run (e.g. fault injection on a stock kernel): no pass.
            skipped += 1
        elif re.match(r"ok \d+ ", line):
            passed += 1
        elif re.match(r"not ok \d+ ", line):
            failed += 1
            prog_fail += 1
            problems.append(f"{prog}: {line}")
    if not finished:
        failed += 1
        problems.append("the guest did not finish (crash, panic or timeout): "
                        f"see {outdir}/console.log")
    with open(os.path.join(outdir, "console.log"), errors="replace") as f:
        bad = scan_log.scan(f)
    if bad:
        failed += 1
        problems += [f"guest kernel log: {b}" for b in bad[:20]]
    for p in problems:
        print(f"  {suite}: {p}")
    if skipped:
        print(f"  {suite}: {skipped} skipped (counted neither passed nor failed)")
    print(f"suite {suite}: {passed} passed, {failed} failed")
    return 1 if failed else 0


def run_kunit(kunit_py, outdir, ktap, problems):
    path = os.path.join(outdir, "kunit.ktap")
    with open(path, "w") as f:
        f.write("\n".join(ktap) + "\n")
    res = subprocess.run([sys.executable, kunit_py, "parse", path],
                         capture_output=True, text=True)
    with open(os.path.join(outdir, "kunit.txt"), "w") as f:
        f.write(res.stdout + res.stderr)
    m = re.search(r"Ran (\d+) tests: passed: (\d+)(?:, failed: (\d+))?"
                  r"(?:, skipped: (\d+))?", res.stdout)
    if not m or int(m.group(1)) == 0:
        problems.append(f"kunit.py parse found no tests (see {path})")
        return 0, 1
    p, fl = int(m.group(2)), int(m.group(3) or 0)
    if res.returncode and not fl:
        fl = 1
    if fl:
        problems += ["kunit: " + l.strip() for l in res.stdout.splitlines()
                     if "FAILED" in l or "CRASHED" in l]
    return p, fl


if __name__ == "__main__":
    sys.exit(main())
