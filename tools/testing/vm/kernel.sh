#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Usage: kernel.sh 6.1|6.12|debug|bench
# Makes the kernel ready to build against and boot, and prints shell
# assignments: KDIR (headers or build tree), IMAGE (bzImage), MODDIR (the
# kernel's own modules, or empty), KREL (its release string).
#
# Stock kernels: headers from Debian's packages (make deps); the image and
# modules of exactly the headers' version, unpacked from the .deb into the
# cache rather than installed on the host.  debug: build-debug-kernel.sh;
# bench (6.12 with iommufd, no sanitizers): build-bench-kernel.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kver=${1:-}
case "$kver" in
6.1|6.12)
	kdir=$(ls -d /usr/src/linux-headers-"$kver".*-amd64 2>/dev/null |
	       sort -V | tail -n1)
	[ -n "$kdir" ] || die "no linux-headers-$kver.*-amd64 installed (make deps)"
	krel=${kdir#/usr/src/linux-headers-}
	ver=$(dpkg-query -W -f='${Version}' "linux-headers-$krel")
	img="$IOPASS_CACHE/image-$krel-$ver"
	if [ ! -e "$img/.unpacked" ]; then
		rm -rf "$img" && mkdir -p "$img/deb"
		(cd "$img/deb" && apt-get download -q "linux-image-$krel=$ver" >&2) ||
			die "cannot download linux-image-$krel=$ver"
		dpkg-deb -x "$img"/deb/*.deb "$img"
		rm -rf "$img/deb"
		touch "$img/.unpacked"
	fi
	echo "KDIR=$kdir"
	echo "IMAGE=$img/boot/vmlinuz-$krel"
	echo "MODDIR=$img/lib/modules/$krel"
	echo "KREL=$krel"
	;;
debug)
	kdir=$("$RIG_DIR/build-debug-kernel.sh")
	echo "KDIR=$kdir"
	echo "IMAGE=$kdir/arch/x86/boot/bzImage"
	echo "MODDIR="
	echo "KREL=$(cat "$kdir/include/config/kernel.release")"
	;;
bench)
	kdir=$("$RIG_DIR/build-bench-kernel.sh")
	echo "KDIR=$kdir"
	echo "IMAGE=$kdir/arch/x86/boot/bzImage"
	echo "MODDIR="
	echo "KREL=$(cat "$kdir/include/config/kernel.release")"
	;;
*)
	die "usage: kernel.sh 6.1|6.12|debug|bench"
	;;
esac
