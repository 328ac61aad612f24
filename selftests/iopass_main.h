/* SPDX-License-Identifier: GPL-2.0 */
/*
 * main() of every iopass selftest program, in place of the harness's
 * TEST_HARNESS_MAIN: included last, after kselftest_harness.h.  It adds
 * two things the rig needs to the harness's own options:
 *
 * IOPASS_LIST=1 prints every test case, one a line, under the name its TAP
 * line will have (fixture.variant.test), and runs nothing.  The host runs
 * it to check that a suite split over several boots (check.sh) ran each
 * case exactly once.
 *
 * IOPASS_TIMEOUT_SCALE=N multiplies every test's timeout by N.  The
 * harness's timeouts (30 s unless a test sets its own) are wall-clock
 * limits sized on a fast machine, and a debug kernel under TCG on a slower
 * one can take several times as long while it is progressing.  The rig sets
 * the scale; a silent hang is caught by its watchdog (tools/testing/vm/
 * watch.py), which names the test.
 */
#ifndef __IOPASS_MAIN_H
#define __IOPASS_MAIN_H

static void iopass_list_cases(void)
{
	struct __fixture_variant_metadata none = { .name = "" }, *v;
	struct __fixture_metadata *f;
	struct __test_metadata *t;

	for (f = __fixture_list; f; f = f->next)
		for (v = f->variant ?: &none; v; v = v->next)
			for (t = f->tests; t; t = t->next)
				printf("%s%s%s.%s\n", f->name, v->name[0] ? "." : "",
				       v->name, t->name);
}

int main(int argc, char **argv)
{
	const char *env = getenv("IOPASS_TIMEOUT_SCALE");
	int scale = env ? atoi(env) : 1;
	struct __fixture_metadata *f;
	struct __test_metadata *t;

	if (getenv("IOPASS_LIST")) {
		iopass_list_cases();
		return 0;
	}
	if (scale > 1)
		for (f = __fixture_list; f; f = f->next)
			for (t = f->tests; t; t = t->next)
				t->timeout *= scale;
	return test_harness_run(argc, argv);
}

#endif /* __IOPASS_MAIN_H */
