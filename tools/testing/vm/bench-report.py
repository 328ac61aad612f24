#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The table of make bench: every row of every boot, side by side.

Usage: bench-report.py PARAMS DIR...
Each DIR is one boot of bench.sh (build/bench/<kver>-cm<on|off>) with
bench.txt (its "bench:" lines) and seconds (how long the boot took).
Prints, per row, one line per boot: the medians, the ratios peer / iopass
(above 1: iopass is faster or smaller; for the floor at most 1, how close
iopass comes to pinning alone) and the IOTLB invalidations per operation.
"""
import os
import sys

# "front": iopass_vfio.ko's container, in the rows named <row>+front.
PEERS = ["type1", "iommufd", "front", "floor"]
FWS = ["iopass"] + PEERS
SHORT = {"type1": "t1", "iommufd": "fd", "front": "fr", "floor": "fl"}


def parse(path):
    """The kernel line, the rows (name -> fields) and the notes of a boot."""
    kernel, rows, notes = "?", {}, []
    try:
        lines = open(path, errors="replace").read().splitlines()
    except OSError:
        return kernel, rows, ["no bench.txt: the boot did not get far"]
    for line in lines:
        if not line.startswith("bench: "):
            continue
        words = line[len("bench: "):].split()
        if not words:
            continue
        if words[0] == "kernel":
            kernel = words[1]
        elif words[0] in ("error", "warning"):
            notes.append(line)
        elif "/cm-" in words[0]:
            name = words[0].split("/cm-")[0]
            rows[name] = dict(w.split("=", 1) for w in words[1:] if "=" in w)
    return kernel, rows, notes


def main():
    params, dirs = sys.argv[1], sys.argv[2:]
    boots = []
    order = []
    for d in dirs:
        name = os.path.basename(d.rstrip("/"))
        kernel, rows, notes = parse(os.path.join(d, "bench.txt"))
        try:
            secs = open(os.path.join(d, "seconds")).read().strip() + " s"
        except OSError:
            secs = "?"
        boots.append((name, kernel, rows, notes, secs))
        for r in rows:
            if r not in order:
                order.append(r)

    print(f"make bench: {params}; ratio = peer / iopass (> 1: iopass is "
          "better); inv = IOTLB invalidations per operation "
          "(iopass type1 iommufd front floor)")
    for name, kernel, _, notes, secs in boots:
        print(f"  {name:<14} kernel {kernel}, boot took {secs}")
        for n in notes:
            print(f"    {n}")
    head = (f"{'row':<16} {'boot':<14} {'unit':<5}" +
            "".join(f" {f:>10}" for f in FWS) +
            "".join(f" {SHORT[p] + '/iop':>7}" for p in PEERS) + "  inv")
    print()
    print(head)
    print("-" * len(head))
    for r in order:
        for name, _, rows, _, _ in boots:
            if r not in rows:
                continue
            f = rows[r]
            line = f"{r:<16} {name:<14} {f.get('unit', '?'):<5}"
            line += "".join(f" {f.get(fw, '-'):>10}" for fw in FWS)
            line += "".join(f" {f.get('ratio_' + p, '-'):>7}" for p in PEERS)
            inv = [f.get("inv_" + fw) for fw in FWS if fw in f]
            if any(i is not None for i in inv):
                line += "  " + " ".join(i or "-" for i in inv)
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
