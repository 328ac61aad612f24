#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print the extracted linux-source-6.12 tree (extracting it once).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
src_tree
