#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The host's side of the nested runs: are the nested guests' patterns in
the nvme's backing image?  Each run (nested-guest.sh) writes 64 blocks of
4 KiB, tagged: "plain" at LBA 256, "viommu" (the nested guest with its own
vIOMMU) at LBA 1024, "unplug" (the one whose nvme the host then unbinds)
at LBA 2048.

Usage: nested-check.py IMAGE TAG...
Checks the runs named (those the guest made); prints TAP; exit status 1 if
a pattern is not there, or no run is named.
"""
import sys

BLOCK, COUNT = 4096, 64
RUNS = (("plain", 256), ("viommu", 1024), ("unplug", 2048))


def pattern(tag):
    """What nested-init.sh writes: block b is "iopass-nested TAG b\\n" repeated."""
    return b"".join(((f"iopass-nested {tag} {b}\n") * BLOCK).encode()[:BLOCK]
                    for b in range(COUNT))


def main():
    failed = 0
    runs = [(tag, lba) for tag, lba in RUNS if tag in sys.argv[2:]]
    if not runs:
        print("not ok 1 the guest made no nested run\n1..1")
        return 1
    with open(sys.argv[1], "rb") as f:
        for n, (tag, lba) in enumerate(runs, 1):
            f.seek(lba * BLOCK)
            got = f.read(COUNT * BLOCK)
            want = pattern(tag)
            if got == want:
                print(f"ok {n} the backing image holds the {tag} nested guest's "
                      f"{COUNT} blocks at LBA {lba}")
                continue
            bad = next(i for i in range(len(want))
                       if i >= len(got) or got[i] != want[i])
            print(f"not ok {n} the backing image differs from the {tag} nested "
                  f"guest's pattern at byte {bad} (LBA {lba + bad // BLOCK})")
            failed += 1
    print(f"1..{len(runs)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
