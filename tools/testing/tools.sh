#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The tools step of make check: iopassctl and the examples build with
# -Werror, the man page renders from Documentation/cli.rst, the bash
# completion parses, and make install-tools installs all three into a
# staging directory.  (The tools run against the module in the VM:
# selftests/iopassctl.sh and nvme_hello.sh.)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
make -s tools man
bash -n tools/iopassctl/iopassctl.bash-completion
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
make -s install-tools DESTDIR="$stage"
"$stage/usr/local/sbin/iopassctl" --version
grep -q '^\.TH "IOPASSCTL" 8' "$stage/usr/local/share/man/man8/iopassctl.8"
test -s "$stage/usr/share/bash-completion/completions/iopassctl"
# The CLI's own argument checks need no module: a usage error is exit 2.
set +e
"$stage/usr/local/sbin/iopassctl" map --size 0 2>/dev/null; [ $? = 2 ] || exit 1
"$stage/usr/local/sbin/iopassctl" frobnicate 2>/dev/null; [ $? = 2 ] || exit 1
echo "tools: built, man page rendered, installed to a staging directory"
