#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Scan a guest's kernel log for reports no test expected.

Any WARN, BUG, Oops, KASAN, UBSAN, lockdep, kmemleak, debugobjects, hung
task, RCU stall or DMAR fault report fails the run, unless it falls inside a
window a test opened by writing to /dev/kmsg:
    iopass-rig: expect <kind>       ... iopass-rig: expect-end
where <kind> is one of the keys of REPORTS ("dmar" for IOMMU faults a test
provokes on purpose).  Prints each offending line; exit status 1 if any.
"""
import re
import sys

REPORTS = {
    "warn": r"WARNING:|\bWARN_ON|------------\[ cut here \]",
    "bug": r"\bBUG:|kernel BUG at|Kernel panic|\bOops\b|general protection fault",
    "kasan": r"KASAN:",
    "ubsan": r"UBSAN:",
    "lockdep": r"possible circular locking|possible recursive locking|"
               r"inconsistent lock state|suspicious RCU usage|"
               r"INFO: trying to register non-static key",
    "kmemleak": r"kmemleak: .*new suspected memory leak|unreferenced object 0x",
    "debugobjects": r"ODEBUG:",
    "hang": r"INFO: task .* blocked for more than|rcu: INFO: .* stall",
    "corruption": r"list_(add|del) corruption|refcount_t: ",
    "dmar": r"DMAR: \[DMA (Read|Write)|DMAR: DRHD: handling fault",
    # An interrupt line asserted with no handler, then disabled.
    "irq": r"irq \d+: nobody cared|Disabling IRQ #",
}
# Notices that match a report's pattern and are none: the kernel's advice
# on an AMD CPU model (the nested suite's EPYC) with no SRSO microcode.
NOTICES = re.compile(r"Speculative Return Stack Overflow: WARNING: See ")
EXPECT = re.compile(r"iopass-rig: expect (\w+)")
EXPECT_END = re.compile(r"iopass-rig: expect-end")


def scan(lines):
    bad = []
    expected = set()
    for line in lines:
        m = EXPECT.search(line)
        if m:
            expected.add(m.group(1))
            continue
        if EXPECT_END.search(line):
            expected.clear()
            continue
        if NOTICES.search(line):
            continue
        for kind, pattern in REPORTS.items():
            if kind not in expected and re.search(pattern, line):
                bad.append(f"{kind}: {line.rstrip()}")
                break
    return bad


def main():
    with open(sys.argv[1], errors="replace") as f:
        bad = scan(f)
    for line in bad:
        print(f"  guest log: {line}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
