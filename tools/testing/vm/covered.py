#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that a suite split over several boots ran all of it, once.

Usage: covered.py SELFTESTS_DIR OUTDIR...
SELFTESTS_DIR is selftests/ (its build/ holds the programs the rig copies
into the guest, with its *.sh).  Each OUTDIR is one boot's rig directory
(results.log).  Every program must have run in some boot, and every test
case of a harness program (listed by running it on the host with
IOPASS_LIST=1, selftests/iopass_main.h) must have a TAP result in exactly
one boot.  Prints what is missing or doubled; exit status 1 if anything is.
"""
import glob
import os
import re
import subprocess
import sys

CASE = re.compile(r"^(?:not )?ok \d+ (\S+)")


def expected(sdir):
    progs = {}
    for path in sorted(glob.glob(os.path.join(sdir, "build", "iopass_*"))):
        out = subprocess.run([path], env=dict(os.environ, IOPASS_LIST="1"),
                             capture_output=True, text=True, check=True)
        progs[os.path.basename(path)] = out.stdout.split()
    for path in sorted(glob.glob(os.path.join(sdir, "*.sh"))):
        progs[os.path.basename(path)] = None	# run whole; TAP of its own
    return progs


def main():
    sdir, outdirs = sys.argv[1], sys.argv[2:]
    progs = expected(sdir)
    ran = {p: 0 for p in progs}
    cases = {}
    bad = []
    for d in outdirs:
        prog = None
        log = os.path.join(d, "results.log")
        if not os.path.exists(log):
            bad.append(f"{d}: no results.log (the boot did not run)")
            continue
        with open(log, errors="replace") as f:
            for line in f:
                line = line.rstrip("\r\n")
                m = re.match(r"^rig: prog (\S+) (begin|rc=)", line)
                if m:
                    prog = m.group(1) if m.group(2) == "begin" else None
                    if prog:
                        ran[prog] = ran.get(prog, 0) + 1
                    continue
                m = CASE.match(line)
                if m and prog and progs.get(prog) is not None:
                    key = (prog, m.group(1))
                    cases.setdefault(key, []).append(os.path.basename(d))
    for prog, names in progs.items():
        if not ran[prog]:
            bad.append(f"{prog}: did not run in any boot")
            continue
        for name in names or []:
            where = cases.pop((prog, name), [])
            if len(where) != 1:
                bad.append(f"{prog} {name}: ran {len(where)} times "
                           f"({', '.join(where) or 'in no boot'})")
    for (prog, name), where in sorted(cases.items()):
        bad.append(f"{prog} {name}: ran in {', '.join(where)} but is not "
                   "one of its cases")
    for prog in sorted(set(ran) - set(progs)):
        bad.append(f"{prog}: ran but is not a program of {sdir}")
    for b in bad:
        print(b)
    total = sum(len(n or []) for n in progs.values())
    print(f"{len(progs)} programs, {total} harness cases over "
          f"{len(outdirs)} boots: {len(bad)} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
