// SPDX-License-Identifier: GPL-2.0
/*
 * iopass_kunit.ko: the KUnit suites of iopass (tests/NAME_kunit.c), one
 * module that imports what iopass.ko exports for testing.
 */
#include <linux/module.h>

MODULE_DESCRIPTION("KUnit tests for iopass");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_IMPORT_NS(IOPASS);
MODULE_IMPORT_NS(IOPASS_MOCK);
