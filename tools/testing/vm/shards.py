#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A suite split over several boots (check.sh's SHARDS_debug).

Usage: shards.py rest SELFTESTS_DIR SHARD...
       shards.py covered SELFTESTS_DIR OUTDIR...

SELFTESTS_DIR is selftests/: its iopass_*.c (built into build/) and *.sh
are the programs the rig copies into the guest (run.sh).  A SHARD is what
one boot runs, guest-init.sh's rig_only=: comma-separated entries, each a
program's name and, after ':', arguments split by ':' (a harness's -v
filters).

rest prints the rig_only= of one more boot that runs all the SHARDs leave
out: every program no entry names, and a program split by -v with -V of
every variant named.  So a new program or variant lands there, never
nowhere.

covered checks the boots' results (OUTDIR/results.log): every program ran
in some boot, and every test case of a harness program (listed by running
it on the host with IOPASS_LIST=1, selftests/iopass_main.h) has a TAP
result in exactly one.  Prints what is missing or doubled; exit status 1
if anything is.
"""
import glob
import os
import re
import subprocess
import sys

CASE = re.compile(r"^(?:not )?ok \d+ (\S+)")


def expected(sdir):
    """Each program's harness cases (None for a shell test, run whole)."""
    progs = {}
    for prog in programs(sdir):
        if prog.endswith(".sh"):
            progs[prog] = None
            continue
        out = subprocess.run([os.path.join(sdir, "build", prog)],
                             env=dict(os.environ, IOPASS_LIST="1"),
                             capture_output=True, text=True, check=True)
        progs[prog] = out.stdout.split()
    return progs


def programs(sdir):
    """The programs, from their sources (selftests/Makefile's TESTS)."""
    return sorted([os.path.basename(p)[:-2] for p in
                   glob.glob(os.path.join(sdir, "iopass_*.c"))] +
                  [os.path.basename(p) for p in
                   glob.glob(os.path.join(sdir, "*.sh"))])


def rest(sdir, shards):
    whole, excluded = set(), {}
    for entry in ",".join(shards).split(","):
        prog, *args = entry.split(":")
        if not args:
            whole.add(prog)
            continue
        if any(a.startswith("-") and a != "-v" for a in args):
            raise SystemExit(f"shards: '{entry}': only -v filters may split "
                             "a program")
        excluded.setdefault(prog, []).extend(
            a for a in args if a != "-v")
    out = []
    for prog in programs(sdir):
        if prog in whole:
            continue
        out.append(":".join([prog] + [x for v in excluded.get(prog, [])
                                      for x in ("-V", v)]))
    print(",".join(out))
    return 0


def covered(sdir, outdirs):
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


def main():
    cmd, sdir, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if cmd == "rest":
        return rest(sdir, args)
    if cmd == "covered":
        return covered(sdir, args)
    raise SystemExit(f"shards: unknown command '{cmd}'")


if __name__ == "__main__":
    sys.exit(main())
