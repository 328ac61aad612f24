#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The host's side of the dpdk suite: did testpmd's packets leave the
e1000?  QEMU's filter-dump wrote every frame of the e1000's netdev to a
pcap; count testpmd's txonly frames (IPv4 UDP, 198.18.0.1 to 198.18.0.2,
its defaults) and compare with the count testpmd printed.

Usage: dpdk-check.py PCAP RESULTS_LOG
Prints TAP; exit status 1 if they differ or none were sent.
"""
import re
import struct
import sys


def txonly_frames(path):
    n = 0
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return 0
        endian = "<" if hdr[:4] == b"\xd4\xc3\xb2\xa1" else ">"
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            _, _, incl, _ = struct.unpack(endian + "IIII", rec)
            frame = f.read(incl)
            if (len(frame) >= 34 and frame[12:14] == b"\x08\x00" and
                    frame[23] == 17 and frame[26:30] == bytes([198, 18, 0, 1]) and
                    frame[30:34] == bytes([198, 18, 0, 2])):
                n += 1
    return n


def main():
    with open(sys.argv[2], errors="replace") as f:
        m = re.search(r"# dpdk: testpmd sent (\d+) packets", f.read())
    sent = int(m.group(1)) if m else 0
    try:
        got = txonly_frames(sys.argv[1])
    except OSError as e:
        print(f"not ok 1 no pcap from QEMU's filter-dump ({e})\n1..1")
        return 1
    ok = sent > 0 and got == sent
    print(f"{'ok' if ok else 'not ok'} 1 the host's pcap holds {got} of testpmd's "
          f"txonly frames; testpmd counted {sent} sent")
    print("1..1")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
