// SPDX-License-Identifier: GPL-2.0
/*
 * iopassctl: command dispatch, output, errors and the "run" session.
 * See Documentation/cli.rst (also the iopassctl(8) man page).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "iopassctl.h"

struct session S = { .ctx = -1 };
bool opt_json, in_run;
int cmd_status;
const char *cur_cmd = "iopassctl";
static const struct cmd *cur;

/* ---- output ---- */

/*
 * JSON: one object per command, printed as it is built.  first[] says
 * whether the innermost open object or array still needs no comma;
 * in_arr[] whether it is an array (whose members have no key).
 */
static bool first[16], in_arr[16];
static int depth;
static int indent;			/* human output: nesting */

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_key(const char *key)
{
	if (!first[depth])
		putchar(',');
	first[depth] = false;
	if (key && !in_arr[depth]) {
		json_string(key);
		putchar(':');
	}
}

void out_begin(void)
{
	depth = 0;
	indent = 0;
	if (!opt_json)
		return;
	printf("{\"command\":");
	json_string(cur_cmd);
	first[0] = false;
	in_arr[0] = false;
}

void out_end(void)
{
	if (!opt_json)
		return;
	while (depth > 0)
		out_close();
	printf("}\n");
	fflush(stdout);
}

static void open_nested(const char *key, char c, bool arr)
{
	if (opt_json) {
		json_key(key);
		putchar(c);
		depth++;
		first[depth] = true;
		in_arr[depth] = arr;
	} else {
		if (key && !arr)
			printf("%*s%s:\n", indent, "", key);
		indent += 2;
	}
}

void out_obj(const char *key)
{
	open_nested(key, '{', false);
}

void out_arr(const char *key)
{
	open_nested(key, '[', true);
}

void out_close(void)
{
	if (opt_json) {
		if (depth > 0)
			putchar(in_arr[depth--] ? ']' : '}');
	} else if (indent >= 2) {
		indent -= 2;
	}
}

/* A value: "key": value in JSON, "  Label: value" for people. */
static void out_value(const char *key, const char *label, const char *val,
		      bool quoted)
{
	if (opt_json) {
		json_key(key);
		if (quoted)
			json_string(val);
		else
			fputs(val, stdout);
	} else if (label) {
		printf("%*s%-14s %s\n", indent, "", label, val);
	}
}

/* A string of any length, as it is. */
void out_text(const char *key, const char *label, const char *text)
{
	out_value(key, label, text, true);
}

void out_str(const char *key, const char *label, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	out_value(key, label, buf, true);
}

void out_u64(const char *key, const char *label, unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", v);
	out_value(key, label, buf, false);
}

void out_s64(const char *key, const char *label, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	out_value(key, label, buf, false);
}

/* Hex for people; JSON has no hex, so a number there. */
void out_hex(const char *key, const char *label, unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), opt_json ? "%llu" : "0x%llx", v);
	out_value(key, label, buf, false);
}

void out_bool(const char *key, const char *label, bool v)
{
	out_value(key, label, opt_json ? (v ? "true" : "false") :
		  (v ? "yes" : "no"), false);
}

/* Free text for people; nothing in JSON. */
void say(const char *fmt, ...)
{
	va_list ap;

	if (opt_json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* ---- errors ---- */

static const struct {
	int err;
	const char *name;
} errnos[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EINTR, "EINTR" },
	{ EIO, "EIO" }, { ENXIO, "ENXIO" }, { E2BIG, "E2BIG" },
	{ EBADF, "EBADF" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
	{ EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
	{ EEXIST, "EEXIST" }, { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" },
	{ ENOSPC, "ENOSPC" }, { ERANGE, "ERANGE" }, { ENOTTY, "ENOTTY" },
	{ EOPNOTSUPP, "EOPNOTSUPP" }, { EADDRINUSE, "EADDRINUSE" },
	{ EALREADY, "EALREADY" }, { ETIMEDOUT, "ETIMEDOUT" },
	{ EOVERFLOW, "EOVERFLOW" }, { EADDRNOTAVAIL, "EADDRNOTAVAIL" },
	{ EMFILE, "EMFILE" },
};

const char *errno_name(int err)
{
	static char buf[16];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errnos); i++)
		if (errnos[i].err == err)
			return errnos[i].name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

/*
 * Report a failed operation: what failed, the errno and its name (0 when
 * there is none), and what to try.  Returns EXIT_FAIL.
 */
int fail(int err, const char *hint, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, "iopassctl %s: %s: %s (%s)\n", cur_cmd, msg,
			strerror(err), errno_name(err));
	else
		fprintf(stderr, "iopassctl %s: %s\n", cur_cmd, msg);
	if (hint)
		fprintf(stderr, "  hint: %s\n", hint);
	cmd_status = EXIT_FAIL;
	if (opt_json) {
		/* The error belongs to the command: its object's top level. */
		while (depth > 0)
			out_close();
		out_str("error", NULL, "%s", msg);
		if (err)
			out_str("errno", NULL, "%s", errno_name(err));
		if (hint)
			out_str("hint", NULL, "%s", hint);
	}
	return EXIT_FAIL;
}

int usage_error(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "iopassctl %s: %s\n", cur_cmd, msg);
	if (cur)
		fprintf(stderr, "usage: iopassctl %s %s\n"
			"  (iopassctl %s --help for more)\n",
			cur->name, cur->synopsis, cur->name);
	cmd_status = EXIT_USAGE;
	if (opt_json) {
		while (depth > 0)
			out_close();
		out_str("error", NULL, "%s", msg);
	}
	return EXIT_USAGE;
}

/* ---- parsing ---- */

/* A number: decimal, or hex with 0x; the whole string, nothing else. */
int parse_u64(const char *s, unsigned long long *v)
{
	int base = 10;
	char *end;

	if (!s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!isxdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, base);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

/*
 * A UUID, "01234567-89ab-cdef-0123-456789abcdef", into 16 bytes in the
 * order written (the kernel's uuid_t).
 */
int parse_uuid(const char *s, unsigned char *out)
{
	static const int dash[] = { 8, 13, 18, 23 };
	unsigned int i, n = 0, d = 0;

	if (!s || strlen(s) != 36)
		return -EINVAL;
	for (i = 0; i < 36; i++) {
		if (d < 4 && (int)i == dash[d]) {
			if (s[i] != '-')
				return -EINVAL;
			d++;
			continue;
		}
		if (!isxdigit((unsigned char)s[i]) || !isxdigit((unsigned char)s[i + 1]) ||
		    sscanf(s + i, "%2hhx", &out[n++]) != 1)
			return -EINVAL;
		i++;
	}
	return 0;
}

/* A size: a number with an optional K, M or G (binary) suffix. */
int parse_size(const char *s, unsigned long long *v)
{
	unsigned int shift = 0;
	char num[64], *end;
	size_t n;

	n = s ? strlen(s) : 0;
	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n + 1);
	switch (toupper((unsigned char)num[n - 1])) {
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	}
	if (shift)
		num[--n] = 0;
	if ((!strncmp(num, "0x", 2) || !strncmp(num, "0X", 2)) && shift)
		return -EINVAL;		/* 0x1M: not a size anyone means */
	if (parse_u64(num, v))
		return -EINVAL;
	if (*v > (~0ULL >> shift))
		return -ERANGE;
	*v <<= shift;
	(void)end;
	return 0;
}

/*
 * getopt_long for a subcommand, restarted for each command of a session
 * (dispatch() sets optind = 0, which makes glibc start over).  A missing
 * value comes back as ':', an unknown option as '?': see bad_option().
 */
int cmd_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	static const struct option none[] = { { NULL } };
	char opts[64];

	snprintf(opts, sizeof(opts), ":%s", shortopts);
	return getopt_long(argc, argv, opts, longopts ? longopts : none, NULL);
}

/* The usage error for what cmd_getopt() returned @c for. */
int bad_option(int c, char **argv)
{
	if (c == ':')
		return optopt ? usage_error("option '-%c' needs a value", optopt) :
		       usage_error("option '%s' needs a value", argv[optind - 1]);
	if (optopt)
		return usage_error("unknown option '-%c'", optopt);
	return bad_option(c, argv);
}

/* ---- the commands ---- */

static int cmd_run(int argc, char **argv);
static bool run_json;
static int cmd_help_fn(int argc, char **argv);

static const struct cmd main_cmds[] = {
	{ "run", cmd_run, "[-k] [-x] [FILE | -]",
	  "run commands from FILE (or stdin) in one session",
	  "Each line is one command as it would follow 'iopassctl' on the\n"
	  "command line; '#' starts a comment.  Everything the commands create\n"
	  "(the context, address spaces, mappings, open devices, armed\n"
	  "eventfds) lasts until the end of the run, so later lines use what\n"
	  "earlier ones made.  The run stops at the first command that fails\n"
	  "and exits with its status.\n"
	  "  -k, --keep-going   go on after a failed command; exit with the first\n"
	  "                     failure's status at the end\n"
	  "  -x, --echo         print each command before running it\n" },
	{ "help", cmd_help_fn, "[COMMAND]", "this list, or one command's help",
	  "" },
	{ NULL }
};

static const struct cmd *const cmd_tables[] = { pci_cmds, dev_cmds, main_cmds };

static const struct cmd *find_cmd(const char *name)
{
	const struct cmd *c;
	size_t t;

	for (t = 0; t < ARRAY_SIZE(cmd_tables); t++)
		for (c = cmd_tables[t]; c->name; c++)
			if (!strcmp(c->name, name))
				return c;
	return NULL;
}

static void usage(FILE *f)
{
	const struct cmd *c;
	size_t t;

	fprintf(f,
		"usage: iopassctl [--json] COMMAND [ARGS]\n"
		"Drive iopass: hand PCI functions to user space behind the IOMMU.\n\n"
		"Commands:\n");
	for (t = 0; t < ARRAY_SIZE(cmd_tables); t++)
		for (c = cmd_tables[t]; c->name; c++)
			fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f,
		"\nDEV is an iopass device (iopass0, /dev/iopass0) or the PCI function\n"
		"bound to it (0000:00:03.0 or 00:03.0).  Numbers may be hex (0x...);\n"
		"sizes take K, M or G.\n"
		"  --json      one JSON object per command on stdout\n"
		"  --version   print the version\n"
		"iopassctl COMMAND --help, or 'man iopassctl', says more.\n");
}

/* One command's help, or (@name NULL) the list, to @f. */
static int help_text(const char *name, FILE *f)
{
	const struct cmd *c;

	if (!name) {
		usage(f);
		return EXIT_OK;
	}
	c = find_cmd(name);
	if (!c)
		return usage_error("no command '%s' (iopassctl help lists them)", name);
	fprintf(f, "usage: iopassctl %s %s\n%s.\n\n%s", c->name, c->synopsis,
		c->summary, c->help);
	return EXIT_OK;
}

/* Help for people, or as the "text" of a JSON object. */
static int show_help(const char *name)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	if (!opt_json)
		return help_text(name, stdout);
	cur_cmd = "help";
	out_begin();
	f = open_memstream(&text, &len);
	if (!f) {
		ret = fail(errno, NULL, "out of memory");
	} else {
		ret = help_text(name, f);
		fclose(f);
		if (!ret)
			out_text("text", NULL, text);
	}
	free(text);
	out_end();
	return ret;
}

int cmd_help(const char *name)
{
	return show_help(name);
}

static int cmd_help_fn(int argc, char **argv)
{
	if (argc > 2)
		return usage_error("one command at a time");
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return show_help("help");
	return show_help(argc > 1 ? argv[1] : NULL);
}

/*
 * One command, given as argv; with --json (before the command or among
 * its arguments) its output is one JSON object.
 */
static int dispatch(int argc, char **argv)
{
	bool json = opt_json;
	const struct cmd *c;
	int i, j, ret;

	for (i = j = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			opt_json = true;
		else
			argv[j++] = argv[i];
	}
	argc = j;
	argv[argc] = NULL;
	c = find_cmd(argv[0]);
	cmd_status = 0;
	cur_cmd = argv[0];
	if (!c || c->fn == cmd_help_fn) {
		if (c) {
			ret = cmd_help_fn(argc, argv);
		} else {
			out_begin();
			ret = usage_error("no command '%s' (iopassctl help lists them)", argv[0]);
			out_end();
		}
		goto out;
	}
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			ret = show_help(c->name);
			goto out;
		}
	cur = c;
	cur_cmd = c->name;
	optind = 0;
	opterr = 0;
	if (c->fn == cmd_run) {
		/* Each command of the run prints its own JSON object. */
		ret = cmd_run(argc, argv);
	} else {
		out_begin();
		ret = c->fn(argc, argv);
		out_end();
	}
out:
	cur = NULL;
	cur_cmd = "iopassctl";
	opt_json = json;
	return ret;
}

/* Split a line into words; '#' comments, quotes "..." and '...'. */
static int split(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line, *w;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			break;
		if (argc == max - 1)
			return -1;
		if (*p == '"' || *p == '\'') {
			char q = *p++;

			w = p;
			while (*p && *p != q)
				p++;
			if (!*p)
				return -1;
		} else {
			w = p;
			while (*p && !isspace((unsigned char)*p))
				p++;
		}
		argv[argc++] = w;
		if (*p)
			*p++ = 0;
	}
	argv[argc] = NULL;
	return argc;
}

/* Errors of run itself go to stderr only: its stdout is its commands'. */
static int run_error(int ret)
{
	opt_json = run_json;
	return ret;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keep-going", no_argument, NULL, 'k' },
		{ "echo", no_argument, NULL, 'x' },
		{ NULL }
	};
	bool keep = false, echo = false;
	int c, ret = EXIT_OK, lineno = 0, n;
	char line[1024], *words[64];
	FILE *f = stdin;

	run_json = opt_json;
	opt_json = false;
	while ((c = cmd_getopt(argc, argv, "kx", opts)) != -1) {
		switch (c) {
		case 'k':
			keep = true;
			break;
		case 'x':
			echo = true;
			break;
		default:
			return run_error(bad_option(c, argv));
		}
	}
	if (argc - optind > 1)
		return run_error(usage_error("one script at most"));
	if (argc - optind == 1 && strcmp(argv[optind], "-")) {
		f = fopen(argv[optind], "r");
		if (!f)
			return run_error(fail(errno, NULL, "cannot open %s",
					      argv[optind]));
	}
	opt_json = run_json;
	in_run = true;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			fprintf(stderr, "iopassctl run: line %d is longer than %zu bytes\n",
				lineno, sizeof(line) - 2);
			ret = EXIT_USAGE;
			break;
		}
		line[strcspn(line, "\n")] = 0;
		n = split(line, words, 64);
		if (n < 0) {
			fprintf(stderr,
				"iopassctl run: line %d: unbalanced quote or too many words\n",
				lineno);
			ret = EXIT_USAGE;
			break;
		}
		if (n == 0)
			continue;
		if (!strcmp(words[0], "run")) {
			fprintf(stderr, "iopassctl run: line %d: runs do not nest\n",
				lineno);
			ret = EXIT_USAGE;
			break;
		}
		if (echo && !opt_json) {
			printf("$ iopassctl");
			for (c = 0; c < n; c++)
				printf(" %s", words[c]);
			printf("\n");
		}
		c = dispatch(n, words);
		if (c) {
			fprintf(stderr, "iopassctl run: line %d failed\n", lineno);
			ret = ret ? ret : c;
			if (!keep)
				break;
		}
	}
	in_run = false;
	if (f != stdin)
		fclose(f);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL }
	};
	int c, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "+jhV", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opt_json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("iopassctl %s (UAPI: linux/iopass.h)\n", IOPASSCTL_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	ret = dispatch(argc - optind, argv + optind);
	session_end();
	return ret;
}
