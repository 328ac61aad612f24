#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The host's side of the nested run: is the nested guest's pattern in the
nvme's backing image, at LBA 256 (4 KiB blocks), 64 blocks of it?

Usage: nested-check.py IMAGE
Prints one TAP line; exit status 1 if the pattern is not there.
"""
import sys

BLOCK, FIRST, COUNT = 4096, 256, 64


def pattern():
    """What nested-init.sh writes: block b is "iopass-nested b\\n" repeated."""
    return b"".join(((f"iopass-nested {b}\n") * BLOCK).encode()[:BLOCK]
                    for b in range(COUNT))


def main():
    with open(sys.argv[1], "rb") as f:
        f.seek(FIRST * BLOCK)
        got = f.read(COUNT * BLOCK)
    want = pattern()
    if got == want:
        print(f"ok 1 the backing image holds the nested guest's {COUNT} blocks "
              f"at LBA {FIRST}")
        return 0
    bad = next(i for i in range(len(want)) if i >= len(got) or got[i] != want[i])
    print(f"not ok 1 the backing image differs from the nested guest's pattern "
          f"at byte {bad} of {len(want)} (LBA {FIRST + bad // BLOCK})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
