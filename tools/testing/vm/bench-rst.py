#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Documentation/performance-results.inc from a make bench run.

Usage: bench-rst.py BENCH_DIR > Documentation/performance-results.inc
BENCH_DIR is make bench's output (build/bench): one directory per boot,
<kver>-cm<on|off>/bench.txt.  Prints the results table of each kernel and
the issue's targets with what was measured, in reStructuredText, so that
the numbers in performance.rst are exactly those of a run.
"""
import os
import sys

BOOTS = [("6.1", "Debian's stock 6.1"), ("bench", "The bench kernel (6.12)")]
PEERS = ["type1", "iommufd", "floor"]
ROWS = ["map-4k-seq", "unmap-4k-seq", "map-4k-frag", "unmap-4k-frag",
        "map-thp", "unmap-thp", "map-huge", "unmap-huge", "rt-4k",
        "many-4k-map", "many-4k-unmap", "many-4k-mem", "many-4k-memfree",
        "msi-wake"]


def load(top):
    """{(kver, cm): {row: {field: value}}} and the kernel line of each."""
    data, kernels = {}, {}
    for kver, _ in BOOTS:
        # "vm": the vm-start boot (vmstart.sh), kept as a mode of its own.
        for cm in ("on", "off", "vm"):
            sub = f"vmstart-{kver}" if cm == "vm" else f"{kver}-cm{cm}"
            path = os.path.join(top, sub, "bench.txt")
            if not os.path.exists(path):
                continue
            rows = {}
            for line in open(path):
                words = line.split()
                if len(words) < 3 or words[0] != "bench:":
                    continue
                if words[1] == "kernel":
                    kernels[(kver, cm)] = words[2]
                    continue
                if "/" not in words[1]:
                    continue
                fields = dict(w.split("=", 1) for w in words[2:] if "=" in w)
                rows[words[1].split("/")[0]] = fields
            data[(kver, cm)] = rows
    return data, kernels


def num(v):
    """A value as the table shows it: 3 significant digits or so."""
    x = float(v)
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def count(v):
    """An invalidation count: whole numbers as such (they are per op)."""
    x = float(v)
    return f"{x:.0f}" if x == int(x) else f"{x:.2f}"


def results(data, kernels):
    out = []
    for kver, title in BOOTS:
        if (kver, "on") not in data and (kver, "off") not in data:
            continue
        rel = kernels.get((kver, "on")) or kernels.get((kver, "off"))
        heading = f"{title}: {rel}"
        out += [heading, "-" * len(heading), ""]
        peers = [p for p in PEERS
                 if any(p in f for cm in ("on", "off")
                        for f in data.get((kver, cm), {}).values())]
        out += [".. list-table::", "   :header-rows: 1", ""]
        head = ["row", "CM", "unit", "iopass"] + peers + \
               [f"{p} / iopass" for p in peers] + ["IOTLB inv. per op"]
        out.append("   * - " + "\n     - ".join(head))
        for row in ROWS:
            for cm in ("on", "off"):
                f = data.get((kver, cm), {}).get(row)
                if not f:
                    continue
                cells = [f"``{row}``", cm, f.get("unit", ""), num(f["iopass"])]
                cells += [num(f[p]) if p in f else "-" for p in peers]
                cells += [f"{float(f['ratio_' + p]):.2f}" if "ratio_" + p in f
                          else "-" for p in peers]
                inv = [f.get("inv_" + fw) for fw in ["iopass"] + peers
                       if fw != "floor"]
                cells.append(" / ".join(count(x) if x not in (None, "na") else "-"
                                        for x in inv) if inv[0] else "-")
                out.append("   * - " + "\n     - ".join(cells))
        out.append("")
        out.append("IOTLB invalidations are iopass / " +
                   " / ".join(p for p in peers if p != "floor") +
                   "; the floor issues none.")
        out.append("")
    return out


def targets(data):
    """The targets of issue 7, each with its measurements and verdict."""
    def vals(row, key, kvers=("6.1", "bench"), cms=("on", "off")):
        got = []
        for kver in kvers:
            for cm in cms:
                f = data.get((kver, cm), {}).get(row, {})
                if key in f:
                    got.append((kver, cm, float(f[key])))
        return got

    def each(row):
        for kver, _ in BOOTS:
            for cm in ("on", "off"):
                f = data.get((kver, cm), {}).get(row)
                if f:
                    yield kver, cm, f

    def best_peer(row):
        got = []
        for kver, cm, f in each(row):
            r = [float(f[k]) for k in ("ratio_type1", "ratio_iommufd") if k in f]
            if r:
                got.append((kver, cm, min(r)))
        return got

    def fewer_inv(row):
        """iopass's invalidations less the fewest a peer issued."""
        got = []
        for kver, cm, f in each(row):
            peers = [float(f[k]) for k in ("inv_type1", "inv_iommufd")
                     if k in f and f[k] != "na"]
            if f.get("inv_iopass", "na") != "na" and peers:
                got.append((kver, cm, float(f["inv_iopass"]) - min(peers)))
        return got

    rows = [
        ("Map 1 GiB fragmented: ≥ 2× type1 (CM on)",
         vals("map-4k-frag", "ratio_type1", cms=("on",)), lambda v: v >= 2),
        ("Map 1 GiB fragmented: ≥ 1.5× type1 (CM off)",
         vals("map-4k-frag", "ratio_type1", cms=("off",)), lambda v: v >= 1.5),
        ("Map 1 GiB fragmented: within 1.5× of the floor (ratio ≥ 0.67)",
         vals("map-4k-frag", "ratio_floor"), lambda v: v >= 1 / 1.5),
    ]
    for r in ("map-4k-seq", "map-thp", "map-huge"):
        rows.append((f"``{r}``: ≥ 1× the better peer",
                     best_peer(r), lambda v: v >= 1))
        rows.append((f"``{r}``: within 1.1× of the floor (ratio ≥ 0.91)",
                     vals(r, "ratio_floor"), lambda v: v >= 1 / 1.1))
    rows.append(("Unmap 1 GiB fragmented: ≥ 2× type1",
                 vals("unmap-4k-frag", "ratio_type1"), lambda v: v >= 2))
    for r in ("unmap-4k-seq", "unmap-4k-frag", "unmap-thp", "unmap-huge",
              "many-4k-unmap"):
        rows.append((f"``{r}``: ≥ 1× the better peer", best_peer(r),
                     lambda v: v >= 1))
        rows.append((f"``{r}``: IOTLB invalidations, iopass less the fewest "
                     "of a peer (≤ 0; 1 is the least an unmap can do)",
                     fewer_inv(r), lambda v: v <= 0))
    rows += [
        ("4 KiB map+unmap: ≤ 0.8× type1's latency (ratio ≥ 1.25)",
         vals("rt-4k", "ratio_type1"), lambda v: v >= 1.25),
        ("Kernel memory per 4 KiB mapping ≤ 64 bytes (``many-4k-mem``)",
         vals("many-4k-mem", "iopass"), lambda v: v <= 64),
        ("MSI wake latency within 5% of vfio-pci's",
         vals("msi-wake", "ratio_type1"), lambda v: abs(v - 1) <= 0.05),
    ]
    # Issue 14: an unmodified QEMU starting a 1 GiB guest with the nvme.
    rows.append(("VM start (QEMU to the guest's init, 1 GiB, nvme): "
                 "≥ 1.5× vfio-pci + type1",
                 vals("vm-start", "ratio_type1", cms=("vm",)),
                 lambda v: v >= 1.5))
    # Issue 14: VFIO's MAP_DMA/UNMAP_DMA through iopass_vfio.ko cost
    # within 5% of iopass's own ioctls (ratio = front / iopass).
    for r in ("map-4k-seq", "unmap-4k-seq", "map-4k-frag", "unmap-4k-frag",
              "map-thp", "unmap-thp", "map-huge", "unmap-huge", "rt-4k"):
        rows.append((f"``{r}`` through the VFIO front: within 5% of "
                     "iopass's own ioctls (ratio ≤ 1.05)",
                     vals(r + "+front", "ratio_front"), lambda v: v <= 1.05))
    out = [".. _performance-targets:", "", "Targets", "-------", "",
           "Each measurement is kernel/caching mode = value.", "",
           ".. list-table::", "   :header-rows: 1", "",
           "   * - target\n     - measured\n     - met"]
    for name, got, ok in rows:
        if not got:
            continue
        meas = ", ".join(f"{k}/{c} = " + f"{v:.3f}".rstrip("0").rstrip(".")
                         for k, c, v in got)
        missed = [f"{k}/{c}" for k, c, v in got if not ok(v)]
        verdict = "yes" if not missed else "no: " + ", ".join(missed)
        out.append(f"   * - {name}\n     - {meas}\n     - {verdict}")
    out.append("")
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    data, kernels = load(sys.argv[1])
    if not data:
        sys.exit(f"bench-rst: no bench.txt under {sys.argv[1]}")
    lines = [".. SPDX-License-Identifier: GPL-2.0", "",
             ".. Generated by tools/testing/vm/bench-rst.py from a make bench",
             "   run; regenerate rather than edit.", ""]
    lines += results(data, kernels) + targets(data)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
