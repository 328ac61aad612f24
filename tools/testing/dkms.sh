#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build iopass through DKMS, as a packaged install would, for the stock
# Debian 6.1 and 6.12 kernels whose headers are installed, then remove it
# again.  Leaves nothing behind in /usr/src or the DKMS tree.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
src=/usr/src/iopass-$ver

cleanup() {
	dkms remove -m iopass -v "$ver" --all >/dev/null 2>&1 || true
	rm -rf "$src"
}
trap cleanup EXIT
cleanup
mkdir -p "$src"
cp -a "$top/dkms.conf" "$top/Kbuild" "$top/drivers" "$top/include" "$src/"
find "$src" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \
	-o -name conftest.h \) -delete
dkms add -m iopass -v "$ver"
for hdr in $(ls -d /usr/src/linux-headers-6.1.*-amd64 /usr/src/linux-headers-6.12.*-amd64 |
	     sort -V); do
	krel=${hdr#/usr/src/linux-headers-}
	dkms build -m iopass -v "$ver" -k "$krel"
	for m in iopass iopass_vfio; do
		ko=$(find /var/lib/dkms/iopass/"$ver"/"$krel" -name "$m.ko*" | head -n1)
		[ -n "$ko" ] || { echo "dkms: no $m.ko for $krel" >&2; exit 1; }
		modinfo -F vermagic "$ko" | grep -q "^$krel " ||
			{ echo "dkms: $ko is not built for $krel" >&2; exit 1; }
		echo "dkms: built $ko"
	done
done
