# SPDX-License-Identifier: GPL-2.0
# Sphinx configuration for iopass's documentation ('make htmldocs').
# The UAPI reference is pulled from include/uapi/linux/iopass.h by the
# kernel's own kernel-doc extension, from Debian's linux-source-6.12
# (IOPASS_KSRC, set by the Makefile), so it cannot drift from the header.
import os
import sys

ksrc = os.environ["IOPASS_KSRC"]
sys.path.insert(0, os.path.join(ksrc, "Documentation", "sphinx"))

project = "iopass"
copyright = "iopass developers"
extensions = ["kerneldoc"]
kerneldoc_bin = os.path.join(ksrc, "scripts", "kernel-doc")
kerneldoc_srctree = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
master_doc = "index"
exclude_patterns = ["output"]
html_theme = "alabaster"
