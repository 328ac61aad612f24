/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iopassctl: the command line for iopass.
 *
 * Everything an iopass owner holds (a context, its address spaces, the
 * mappings, the open device, its eventfds) lives as long as the process
 * that holds the file descriptors.  So one iopassctl process keeps a
 * session: each command finds or creates what it needs in it.  Run alone,
 * a command's session ends with it; "iopassctl run FILE" runs many
 * commands in one session, so that a buffer mapped by one line is there
 * for the device DMA of the next.
 */
#ifndef IOPASSCTL_H
#define IOPASSCTL_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/iopass.h>

#include "iopass_sysfs.h"

#define IOPASS_DEVICES	"/sys/bus/iopass/devices"
#define IOPASS_DRIVER	"/sys/bus/pci/drivers/iopass-pci"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_DEVS	8
#define MAX_BUFS	64
#define MAX_VECTORS	64

/* Exit codes: 0 done, 1 an operation failed, 2 the command line is wrong. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* A device this session opened. */
struct dev {
	char name[32];			/* iopassN */
	char bdf[32];			/* its PCI function */
	int fd;
	bool attached;
	__u32 ioas;			/* attached to, when attached */
	int irq_index;			/* armed IRQ index, -1 if none */
	int irq_start, nvec;
	int efd[MAX_VECTORS];
	unsigned long long events[MAX_VECTORS];
};

/* A buffer this session mapped. */
struct buf {
	bool used;
	__u32 ioas;
	__u64 iova, length;
	void *va;
	size_t va_len;			/* what munmap needs */
	const char *kind;		/* anon, hugetlb, file */
};

struct session {
	int ctx;			/* /dev/iopass, -1 until needed */
	__u32 ioas;			/* the current address space, 0 if none */
	struct dev devs[MAX_DEVS];
	struct buf bufs[MAX_BUFS];
};

extern struct session S;
extern bool opt_json, in_run;
extern int cmd_status;		/* of the last fail() or usage_error() */
extern const char *cur_cmd;

/* A subcommand. */
struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;		/* arguments, after the name */
	const char *summary;		/* one line */
	const char *help;		/* the options and what it does */
};

extern const struct cmd pci_cmds[], dev_cmds[];

/* ---- output: human by default, one JSON object per command with --json */
void out_begin(void);
void out_end(void);
void out_obj(const char *key);		/* a nested object ... */
void out_arr(const char *key);		/* ... or array; NULL key in arrays */
void out_close(void);			/* closes the innermost one */
void out_text(const char *key, const char *label, const char *text);
void out_str(const char *key, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void out_u64(const char *key, const char *label, unsigned long long v);
void out_s64(const char *key, const char *label, long long v);
void out_hex(const char *key, const char *label, unsigned long long v);
void out_bool(const char *key, const char *label, bool v);
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- errors: what went wrong, the errno by name, what to try */
int fail(int err, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *errno_name(int err);

/* ---- argument parsing */
int parse_u64(const char *s, unsigned long long *v);
int parse_uuid(const char *s, unsigned char *out);
int parse_size(const char *s, unsigned long long *v);
int cmd_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts);
int bad_option(int c, char **argv);
int cmd_help(const char *name);

/* ---- sysfs and PCI (pci.c; the rest in iopass_sysfs.h) */
int pci_normalize(const char *in, char *bdf, size_t len);
int iopass_node_of(const char *bdf, char *name, size_t len);

/* ---- the session (dev.c) */
int resolve_dev(const char *arg, char *name, size_t nlen, char *bdf,
		size_t blen);
struct dev *dev_get(const char *arg);
int dev_attach(struct dev *d, __u32 ioas);
int dev_attach_token(struct dev *d, __u32 ioas, const __u8 *vf_token);
int session_ioas(__u32 *id);
void session_close_dev(const char *bdf);
void session_end(void);

#endif /* IOPASSCTL_H */
