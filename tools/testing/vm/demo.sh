#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: boot the rig's VM (stock Debian 6.12, emulated VT-d) and run the
# narrated tour in demo-guest.sh, showing its output as it goes.  Exits 0
# only if every step of the tour did what it says.
# DEMO_SUITE=nesteddemo (make demo-vm): the nested-VM tour instead
# (nested-demo.sh), and the host's check of the nested guests' writes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kver=${DEMO_KVER:-6.12}
suite=${DEMO_SUITE:-demo}
out="$TOP_DIR/build/$suite-$kver"
mkdir -p "$out"
echo "demo: building iopass and booting Debian's $kver kernel under QEMU (q35 + VT-d)..."
rm -f "$out/results.log"
"$RIG_DIR/run.sh" "$kver" "$suite" "$out" >"$out/run.log" 2>&1 &
qemu=$!
# Show the tour as the guest writes it.
while [ ! -e "$out/results.log" ]; do
	kill -0 $qemu 2>/dev/null || break
	sleep 0.2
done
tail -n +1 -f "$out/results.log" --pid=$qemu 2>/dev/null |
	grep -v '^rig: ' || true
wait $qemu || { cat "$out/run.log"; exit 1; }

rc=$(tr -d '\r' <"$out/results.log" | sed -n 's/^rig: prog demo rc=//p')
if ! grep -q '^rig: end' "$out/results.log"; then
	echo "demo: the VM did not finish; kernel log: $out/console.log"
	grep -E '^rig: (watchdog|qemu)' "$out/results.log" || true
	exit 1
fi
if python3 "$RIG_DIR/scan-log.py" "$out/console.log"; then
	echo "demo: guest kernel log clean (no WARN, BUG, KASAN, lockdep or unexpected DMAR report)"
else
	echo "demo: the guest kernel log has reports (above)"
	exit 1
fi
[ "$rc" = 0 ] || { echo "demo: a step failed (exit $rc)"; exit 1; }
if [ "$suite" = nesteddemo ] &&
   ! grep -q '^rig: prog nested-host rc=0' "$out/results.log"; then
	echo "demo: the host did not find every nested guest's pattern"
	exit 1
fi
