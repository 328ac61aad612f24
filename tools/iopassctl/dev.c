// SPDX-License-Identifier: GPL-2.0
/*
 * iopassctl: the ioctl side.  The session (context, address spaces,
 * devices, buffers) and the commands that use it: info, ranges, ioas,
 * attach, detach, map, unmap, read, write, reset, irq, irq-wait, stats
 * and the edu's dma-test.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "iopassctl.h"

#define SZ_4K		0x1000ULL
#define SZ_2M		0x200000ULL

/* ---- the session ---- */

static int ctx_get(void)
{
	if (S.ctx >= 0)
		return 0;
	S.ctx = open("/dev/iopass", O_RDWR | O_CLOEXEC);
	if (S.ctx >= 0)
		return 0;
	if (errno == ENOENT)
		return fail(errno, "load the module: modprobe iopass (or insmod iopass.ko)",
			    "cannot open /dev/iopass");
	return fail(errno, errno == EACCES ?
		    "run as root or in group iopass (the udev rule 'make install' adds)" :
		    NULL, "cannot open /dev/iopass");
}

/* The session's current IOAS, allocated on first use. */
int session_ioas(__u32 *id)
{
	struct iopass_ioas_alloc cmd = { .size = sizeof(cmd) };

	if (!S.ioas) {
		if (ctx_get())
			return EXIT_FAIL;
		if (ioctl(S.ctx, IOPASS_IOAS_ALLOC, &cmd))
			return fail(errno, NULL, "cannot allocate an address space");
		S.ioas = cmd.out_ioas_id;
	}
	*id = S.ioas;
	return EXIT_OK;
}

/* Open DEV (once per session); NULL after reporting why not. */
struct dev *dev_get(const char *arg)
{
	char name[32], bdf[32], path[64];
	struct dev *d, *free_slot = NULL;
	int i;

	if (resolve_dev(arg, name, sizeof(name), bdf, sizeof(bdf)))
		return NULL;
	for (i = 0; i < MAX_DEVS; i++) {
		d = &S.devs[i];
		if (d->name[0] && !strcmp(d->name, name))
			return d;
		if (!d->name[0] && !free_slot)
			free_slot = d;
	}
	if (!free_slot) {
		fail(EMFILE, NULL, "a session opens %d devices at most", MAX_DEVS);
		return NULL;
	}
	d = free_slot;
	snprintf(path, sizeof(path), "/dev/%s", name);
	d->fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		fail(errno, errno == EBUSY ?
		     "another process holds it: an iopass device is opened by one owner at a time" :
		     errno == EACCES ? "run as root or as a member of group iopass" :
		     errno == ENODEV ? "it is being unbound" : NULL,
		     "cannot open %s", path);
		return NULL;
	}
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	d->irq_index = -1;
	return d;
}

int dev_attach(struct dev *d, __u32 ioas)
{
	return dev_attach_token(d, ioas, NULL);
}

/* As dev_attach(), presenting an SR-IOV VF token (16 bytes) if not NULL. */
int dev_attach_token(struct dev *d, __u32 ioas, const __u8 *vf_token)
{
	struct iopass_device_attach cmd = {
		.size = sizeof(cmd), .ctx_fd = S.ctx, .ioas_id = ioas,
	};

	if (vf_token) {
		cmd.flags = IOPASS_ATTACH_VF_TOKEN;
		memcpy(cmd.vf_token, vf_token, sizeof(cmd.vf_token));
	}
	if (d->attached && d->ioas == ioas)
		return EXIT_OK;
	if (ioctl(d->fd, IOPASS_DEVICE_ATTACH, &cmd)) {
		const char *hint = NULL;

		switch (errno) {
		case EACCES:
			hint = vf_token ? "that is not the VF token its PF's owner set" :
			       "a VF of a PF owned through iopass (or a PF whose VFs are "
			       "in use): give the PF owner's token, 'attach --vf-token UUID'";
			break;
		case EINVAL:
			if (vf_token)
				hint = "no VF token applies: it is no SR-IOV PF, nor a VF of "
				       "a PF owned through iopass";
			break;
		case EBUSY:
			hint = "another device of its IOMMU group is attached to another "
			       "address space; a group shares one";
			break;
		case EALREADY:
			hint = "detach it first";
			break;
		case EADDRINUSE:
		case ERANGE:
			hint = "a mapping of this address space lies where the device cannot reach "
			       "('iopassctl ranges DEV' shows where it can)";
			break;
		}
		return fail(errno, hint, "cannot attach %s to address space %u", d->name, ioas);
	}
	d->attached = true;
	d->ioas = ioas;
	return EXIT_OK;
}

/*
 * DEV, open and attached: driving a device (its registers, interrupts,
 * reset) needs it in its owner's address space.  Attaches it to the
 * session's address space if it is not attached yet.
 */
static struct dev *dev_drive(const char *arg)
{
	struct dev *d = dev_get(arg);
	__u32 ioas;

	if (!d)
		return NULL;
	if (d->attached)
		return d;
	if (session_ioas(&ioas) || dev_attach(d, ioas))
		return NULL;
	return d;
}

/* Close this session's fd of @bdf, if it has one: unbind waits for it. */
void session_close_dev(const char *bdf)
{
	int i, v;

	for (i = 0; i < MAX_DEVS; i++) {
		struct dev *d = &S.devs[i];

		if (!d->name[0] || strcmp(d->bdf, bdf))
			continue;
		close(d->fd);
		for (v = 0; v < MAX_VECTORS; v++)
			if (d->efd[v] > 0)
				close(d->efd[v]);
		memset(d, 0, sizeof(*d));
	}
}

void session_end(void)
{
	int i, v;

	for (i = 0; i < MAX_DEVS; i++) {
		struct dev *d = &S.devs[i];

		if (!d->name[0])
			continue;
		close(d->fd);		/* interrupts off, detached */
		for (v = 0; v < MAX_VECTORS; v++)
			if (d->efd[v] > 0)
				close(d->efd[v]);
	}
	if (S.ctx >= 0)
		close(S.ctx);		/* every mapping unmapped and unpinned */
	for (i = 0; i < MAX_BUFS; i++)
		if (S.bufs[i].used)
			munmap(S.bufs[i].va, S.bufs[i].va_len);
	memset(&S, 0, sizeof(S));
	S.ctx = -1;
}

static void buf_free(struct buf *b)
{
	munmap(b->va, b->va_len);
	memset(b, 0, sizeof(*b));
}

/* The buffer of address space @ioas that holds @iova, or NULL. */
static struct buf *buf_at(__u32 ioas, __u64 iova)
{
	int i;

	for (i = 0; i < MAX_BUFS; i++)
		if (S.bufs[i].used && S.bufs[i].ioas == ioas &&
		    iova - S.bufs[i].iova < S.bufs[i].length)
			return &S.bufs[i];
	return NULL;
}

static struct buf *buf_slot(void)
{
	int i;

	for (i = 0; i < MAX_BUFS; i++)
		if (!S.bufs[i].used)
			return &S.bufs[i];
	return NULL;
}

static const char *domain_name(__u32 type)
{
	static const char *const names[] = {
		"none", "paging", "blocked", "identity", "kernel", "other",
	};

	return type < ARRAY_SIZE(names) ? names[type] : "unknown";
}

static const char *region_name(__u32 index)
{
	static const char *const names[] = {
		"bar0", "bar1", "bar2", "bar3", "bar4", "bar5", "config",
	};

	return index < ARRAY_SIZE(names) ? names[index] : "?";
}

static const char *irq_name(__u32 index)
{
	static const char *const names[] = { "intx", "msi", "msix", "err", "req" };

	return index < ARRAY_SIZE(names) ? names[index] : "?";
}

/* "bar0".."bar5", "config" or a number; -1 if none of those. */
static int parse_region(const char *s)
{
	unsigned long long v;
	int i;

	for (i = 0; i < IOPASS_NUM_REGIONS; i++)
		if (!strcmp(s, region_name(i)))
			return i;
	if (!parse_u64(s, &v) && v < IOPASS_NUM_REGIONS)
		return v;
	return -1;
}

static int parse_irq(const char *s)
{
	int i;

	for (i = 0; i < IOPASS_NUM_IRQS; i++)
		if (!strcmp(s, irq_name(i)))
			return i;
	return -1;
}

/* The most mmappable areas a BAR has: around the MSI-X table and PBA. */
#define MAX_AREAS	3

static int region_info(struct dev *d, int index, struct iopass_region_info *ri,
		       struct iopass_region_area *areas)
{
	memset(ri, 0, sizeof(*ri));
	ri->size = sizeof(*ri);
	ri->index = index;
	ri->num_areas = MAX_AREAS;
	ri->areas = (uintptr_t)areas;
	return ioctl(d->fd, IOPASS_DEVICE_REGION_INFO, ri) ? -errno : 0;
}

/* The one positional argument every device command starts with. */
static struct dev *dev_arg(int argc, char **argv, bool drive)
{
	if (optind >= argc) {
		usage_error("which device?");
		return NULL;
	}
	return drive ? dev_drive(argv[optind++]) : dev_get(argv[optind++]);
}

/* A VF token argument into @out: 0, or a usage error's status. */
static int vf_token_arg(const char *s, __u8 *out)
{
	if (!parse_uuid(s, out))
		return 0;
	return usage_error("bad VF token '%s': a UUID, as "
			   "01234567-89ab-cdef-0123-456789abcdef", s);
}

/* For commands without options: EXIT_USAGE if one is given. */
static int no_options(int argc, char **argv)
{
	int c = cmd_getopt(argc, argv, "", NULL);

	if (c != -1)
		return bad_option(c, argv);
	return 0;
}

/* ---- NUMA ---- */

#define MAX_NODES	64

/* show_locality() without the failure message: 0, or an errno for sysfs. */
static int print_locality(const char *name)
{
	unsigned long long pages[MAX_NODES] = { 0 }, total = 0, v;
	char path[PATH_MAX], val[1024], cpus[256], words[512], *p, *end;
	int node, n, len;

	snprintf(path, sizeof(path), IOPASS_DEVICES "/%s/numa_node", name);
	if (sysfs_read(path, val, sizeof(val)))
		return errno ? errno : EIO;
	node = atoi(val);
	snprintf(path, sizeof(path), IOPASS_DEVICES "/%s/local_cpus", name);
	if (sysfs_read(path, cpus, sizeof(cpus)))
		return errno ? errno : EIO;
	snprintf(path, sizeof(path), IOPASS_DEVICES "/%s/pinned_pages_by_node", name);
	if (sysfs_read(path, val, sizeof(val)))
		return errno ? errno : EIO;
	/* "N0=12 N1=3": per possible node; empty while detached. */
	for (p = val; (p = strchr(p, 'N')); p = end) {
		n = strtol(p + 1, &end, 10);
		if (*end != '=')
			break;
		v = strtoull(end + 1, &end, 10);
		if (n >= 0 && n < MAX_NODES) {
			pages[n] = v;
			total += v;
		}
	}
	out_s64("numa_node", NULL, node);	/* -1: not known */
	if (node < 0)
		len = snprintf(words, sizeof(words),
			       "the firmware does not say which NUMA node the device is on");
	else
		len = snprintf(words, sizeof(words), "the device is on node %d", node);
	if (!total) {
		snprintf(words + len, sizeof(words) - len,
			 "; it can reach no pinned memory (not attached, or nothing mapped)");
	} else {
		const char *sep = "; ";

		for (n = 0; n < MAX_NODES && len < (int)sizeof(words) - 64; n++) {
			if (!pages[n])
				continue;
			len += snprintf(words + len, sizeof(words) - len,
					"%s%llu%% of the memory it can reach is on node %d%s",
					sep, pages[n] * 100 / total, n,
					n == node ? " (local)" : "");
			sep = ", ";
		}
	}
	out_text("locality", "NUMA:", words);
	out_text("local_cpus", "local CPUs:", cpus);
	out_obj(opt_json ? "pinned_pages_by_node" : NULL);
	for (n = 0; n < MAX_NODES; n++) {
		char key[16];

		if (!pages[n])
			continue;
		snprintf(key, sizeof(key), "%d", n);
		out_u64(key, NULL, pages[n]);
		say("  pinned on node %-3d %llu pages\n", n, pages[n]);
	}
	out_close();
	return 0;
}

/*
 * Where device @name is and where the memory it can reach is: its NUMA
 * node and local CPUs, its address space's pinned pages per node, and one
 * sentence of both ("locality").  EXIT_OK, or fail()'s status.
 */
static int show_locality(const char *name)
{
	int err = print_locality(name);

	return err ? fail(err, "is iopass.ko older than this iopassctl?",
			  "cannot read the NUMA attributes of %s", name) : EXIT_OK;
}

/* ---- info ---- */

static int cmd_info(int argc, char **argv)
{
	struct iopass_device_info info = { .size = sizeof(info) };
	struct iopass_region_area areas[MAX_AREAS];
	struct iopass_region_info ri;
	struct iopass_irq_info ii;
	struct dev *d;
	__u32 i, a;

	if (no_options(argc, argv))
		return EXIT_USAGE;
	d = dev_arg(argc, argv, false);
	if (!d)
		return cmd_status;
	if (optind != argc)
		return usage_error("one device at a time");
	if (ioctl(d->fd, IOPASS_DEVICE_GET_INFO, &info))
		return fail(errno, NULL, "IOPASS_DEVICE_GET_INFO on %s", d->name);
	out_str("device", "device:", "/dev/%s", d->name);
	out_str("pci", "PCI:", "%04x:%02x:%02x.%x", info.pci_segment, info.pci_bus,
		info.pci_devfn >> 3, info.pci_devfn & 7);
	out_u64("iommu_group", "IOMMU group:", info.iommu_group);
	out_str("domain_type", "domain:", "%s", domain_name(info.domain_type));
	out_bool("reset", "reset:", info.device_flags & IOPASS_DEVICE_FLAGS_RESET);
	if (info.device_flags & IOPASS_DEVICE_FLAGS_SRIOV_PF)
		out_str("sriov", "SR-IOV:", "physical function: VFs by 'iopassctl sriov', "
			"their owners need its VF token ('iopassctl vf-token')");
	if (info.device_flags & IOPASS_DEVICE_FLAGS_VF_TOKEN)
		out_str("sriov", "SR-IOV:", "virtual function of a PF owned through iopass: "
			"'attach --vf-token' with the PF owner's token");
	if (show_locality(d->name))
		return cmd_status;
	say("regions:\n  %-7s %-12s %-10s %s\n", "REGION", "SIZE", "ACCESS",
	    "NOT MAPPABLE");
	out_arr("regions");
	for (i = 0; i < info.num_regions; i++) {
		if (region_info(d, i, &ri, areas))
			return fail(-region_info(d, i, &ri, areas), NULL,
				    "IOPASS_DEVICE_REGION_INFO %u", i);
		if (!ri.region_size)
			continue;
		if (!opt_json) {
			printf("  %-7s 0x%-10llx %s%s%s%s", region_name(i),
			       (unsigned long long)ri.region_size,
			       ri.region_flags & IOPASS_REGION_READ ? "r" : "-",
			       ri.region_flags & IOPASS_REGION_WRITE ? "w" : "-",
			       ri.region_flags & IOPASS_REGION_MMAP ? "m" : "-",
			       ri.region_flags & IOPASS_REGION_IO_PORT ? " io    " : "       ");
			if (ri.hole_size)
				printf("   0x%llx+0x%llx (MSI-X)",
				       (unsigned long long)ri.hole_offset,
				       (unsigned long long)ri.hole_size);
			printf("\n");
			continue;
		}
		out_obj(NULL);
		out_str("name", NULL, "%s", region_name(i));
		out_u64("index", NULL, i);
		out_u64("size", NULL, ri.region_size);
		out_u64("offset", NULL, ri.offset);
		out_bool("read", NULL, ri.region_flags & IOPASS_REGION_READ);
		out_bool("write", NULL, ri.region_flags & IOPASS_REGION_WRITE);
		out_bool("mmap", NULL, ri.region_flags & IOPASS_REGION_MMAP);
		out_bool("io_port", NULL, ri.region_flags & IOPASS_REGION_IO_PORT);
		out_u64("hole_offset", NULL, ri.hole_offset);
		out_u64("hole_size", NULL, ri.hole_size);
		out_arr("mmap_areas");
		for (a = 0; a < ri.num_areas && a < MAX_AREAS; a++) {
			out_obj(NULL);
			out_u64("offset", NULL, areas[a].offset);
			out_u64("size", NULL, areas[a].size);
			out_close();
		}
		out_close();
		out_close();
	}
	out_close();
	say("interrupts:\n");
	out_arr("irqs");
	for (i = 0; i < info.num_irqs; i++) {
		memset(&ii, 0, sizeof(ii));
		ii.size = sizeof(ii);
		ii.index = i;
		if (ioctl(d->fd, IOPASS_DEVICE_IRQ_INFO, &ii))
			return fail(errno, NULL, "IOPASS_DEVICE_IRQ_INFO %u", i);
		if (!opt_json) {
			if (ii.count)
				printf("  %-7s %u vector%s%s\n", irq_name(i), ii.count,
				       ii.count > 1 ? "s" : "",
				       ii.irq_flags & IOPASS_IRQ_INFO_AUTOMASKED ?
				       " (masked when it fires)" : "");
			continue;
		}
		out_obj(NULL);
		out_str("name", NULL, "%s", irq_name(i));
		out_u64("count", NULL, ii.count);
		out_bool("automasked", NULL, ii.irq_flags & IOPASS_IRQ_INFO_AUTOMASKED);
		out_close();
	}
	out_close();
	return EXIT_OK;
}

/* ---- address spaces ---- */

static int show_ranges(__u32 ioas)
{
	struct iopass_ioas_iova_ranges cmd = { .size = sizeof(cmd), .ioas_id = ioas };
	struct iopass_iova_range *r = NULL;
	__u32 i, room = 0;

	/* Ask for the count, then for the ranges (they may change between). */
	do {
		free(r);
		room = cmd.num_ranges;
		r = calloc(room ? room : 1, sizeof(*r));
		if (!r)
			return fail(ENOMEM, NULL, "out of memory");
		cmd.num_ranges = room;
		cmd.allowed_iovas = (uintptr_t)r;
		if (ioctl(S.ctx, IOPASS_IOAS_IOVA_RANGES, &cmd)) {
			free(r);
			return fail(errno, NULL, "IOPASS_IOAS_IOVA_RANGES");
		}
	} while (cmd.num_ranges > room);
	out_u64("ioas", "address space:", ioas);
	out_hex("alignment", "alignment:", cmd.out_iova_alignment);
	say("usable IOVAs:\n");
	out_arr("ranges");
	for (i = 0; i < cmd.num_ranges; i++) {
		if (!opt_json) {
			printf("  0x%016llx - 0x%016llx\n",
			       (unsigned long long)r[i].start,
			       (unsigned long long)r[i].last);
			continue;
		}
		out_obj(NULL);
		out_u64("start", NULL, r[i].start);
		out_u64("last", NULL, r[i].last);
		out_close();
	}
	out_close();
	free(r);
	return EXIT_OK;
}

static int cmd_ranges(int argc, char **argv)
{
	struct dev *d;
	__u32 ioas;

	if (no_options(argc, argv))
		return EXIT_USAGE;
	if (session_ioas(&ioas))
		return EXIT_FAIL;
	for (; optind < argc; optind++) {
		d = dev_get(argv[optind]);
		if (!d || dev_attach(d, ioas))
			return EXIT_FAIL;
	}
	return show_ranges(ioas);
}

static int cmd_ioas(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "destroy", required_argument, NULL, 'd' },
		{ "use", required_argument, NULL, 'u' },
		{ NULL }
	};
	struct iopass_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iopass_ioas_destroy destroy = { .size = sizeof(destroy) };
	unsigned long long v;
	int c, action = 0;

	while ((c = cmd_getopt(argc, argv, "d:u:", opts)) != -1) {
		if (c == ':' || c == '?')
			return bad_option(c, argv);
		if ((c != 'd' && c != 'u') || parse_u64(optarg, &v) || !v || v > UINT32_MAX)
			return usage_error("bad option or IOAS ID '%s'", argv[optind - 1]);
		action = c;
	}
	if (optind != argc)
		return usage_error("unexpected '%s'", argv[optind]);
	if (ctx_get())
		return EXIT_FAIL;
	if (action == 'd') {
		destroy.ioas_id = v;
		if (ioctl(S.ctx, IOPASS_IOAS_DESTROY, &destroy))
			return fail(errno, errno == EBUSY ? "detach its devices first" :
				    errno == ENOENT ? "no such address space in this session" :
				    NULL, "cannot destroy address space %llu", v);
		if (S.ioas == v)
			S.ioas = 0;
		for (c = 0; c < MAX_BUFS; c++)
			if (S.bufs[c].used && S.bufs[c].ioas == v)
				buf_free(&S.bufs[c]);
		say("address space %llu destroyed\n", v);
		out_u64("destroyed", NULL, v);
		return EXIT_OK;
	}
	if (action == 'u') {
		S.ioas = v;
		say("address space %llu is now the current one\n", v);
		out_u64("ioas", NULL, v);
		return EXIT_OK;
	}
	if (ioctl(S.ctx, IOPASS_IOAS_ALLOC, &alloc))
		return fail(errno, NULL, "cannot allocate an address space");
	S.ioas = alloc.out_ioas_id;
	say("address space %u allocated (now the current one)\n", S.ioas);
	out_u64("ioas", NULL, S.ioas);
	return EXIT_OK;
}

static int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ioas", required_argument, NULL, 'i' },
		{ "vf-token", required_argument, NULL, 't' },
		{ NULL }
	};
	unsigned long long v = 0;
	__u8 token[16];
	bool has_token = false;
	struct dev *d;
	__u32 ioas;
	int c;

	while ((c = cmd_getopt(argc, argv, "i:t:", opts)) != -1) {
		if (c == ':' || c == '?') {
			return bad_option(c, argv);
		} else if (c == 't') {
			if (vf_token_arg(optarg, token))
				return cmd_status;
			has_token = true;
		} else if (c != 'i' || parse_u64(optarg, &v) || !v || v > UINT32_MAX) {
			return usage_error("bad option or IOAS ID '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_error("one device");
	d = dev_arg(argc, argv, false);
	if (!d)
		return cmd_status;
	if (v) {
		if (ctx_get())
			return EXIT_FAIL;
		ioas = v;
	} else if (session_ioas(&ioas)) {
		return EXIT_FAIL;
	}
	if (dev_attach_token(d, ioas, has_token ? token : NULL))
		return EXIT_FAIL;
	say("%s attached to address space %u\n", d->name, ioas);
	out_str("device", NULL, "%s", d->name);
	out_u64("ioas", NULL, ioas);
	return EXIT_OK;
}

static int cmd_detach(int argc, char **argv)
{
	struct iopass_device_detach cmd = { .size = sizeof(cmd) };
	struct dev *d;

	if (no_options(argc, argv))
		return EXIT_USAGE;
	if (argc - optind != 1)
		return usage_error("one device");
	d = dev_arg(argc, argv, false);
	if (!d)
		return cmd_status;
	if (ioctl(d->fd, IOPASS_DEVICE_DETACH, &cmd))
		return fail(errno, errno == ENOENT ? "it is not attached" : NULL,
			    "cannot detach %s", d->name);
	d->attached = false;
	say("%s detached: its DMA is blocked again\n", d->name);
	out_str("device", NULL, "%s", d->name);
	return EXIT_OK;
}

/* ---- map, unmap ---- */

static const char *map_hint(int err, const char *kind)
{
	switch (err) {
	case ENOMEM:
		return "pinned memory counts against RLIMIT_MEMLOCK: raise it (ulimit -l, "
		       "limits.conf) or run with CAP_IPC_LOCK";
	case EEXIST:
		return "the IOVA range overlaps a mapping: pick another --iova, or leave it out";
	case ERANGE:
		return "the IOVA is beyond what the IOMMU translates: 'iopassctl ranges DEV'";
	case EADDRINUSE:
		return "the IOVA range overlaps a reserved region (MSI window, RMRR): "
		       "'iopassctl ranges DEV'";
	case EINVAL:
		return "IOVA, size and buffer must be multiples of the alignment "
		       "'iopassctl ranges' shows";
	case ENOSPC:
		return "the address space holds max_mappings mappings (module parameter)";
	case EFAULT:
		return !strcmp(kind, "file") ?
		       "only tmpfs, memfd and hugetlbfs files can be pinned for DMA" :
		       "the memory could not be pinned";
	case EADDRNOTAVAIL:
		return "no free IOVA range is large enough";
	case EREMOTE:
		return "--local: some of the memory is on a NUMA node no attached device is "
		       "on ('iopassctl stats DEV' shows where the device is)";
	}
	return NULL;
}

/* MPOL_BIND the buffer at @va to NUMA node @node, before it is touched. */
static int bind_to_node(void *va, size_t len, unsigned long node)
{
	unsigned long mask[16] = { 0 };

	if (node >= sizeof(mask) * 8)
		return EINVAL;
	mask[node / (8 * sizeof(long))] = 1UL << (node % (8 * sizeof(long)));
	/* MPOL_BIND 2, MPOL_MF_STRICT 1: without libnuma's numaif.h. */
	if (syscall(SYS_mbind, va, len, 2, mask, sizeof(mask) * 8, 1))
		return errno;
	return 0;
}

static int cmd_map(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "iova", required_argument, NULL, 'i' },
		{ "hugetlb", no_argument, NULL, 'H' },
		{ "file", required_argument, NULL, 'f' },
		{ "offset", required_argument, NULL, 'o' },
		{ "prot", required_argument, NULL, 'p' },
		{ "fill", required_argument, NULL, 'F' },
		{ "attach", required_argument, NULL, 'a' },
		{ "hold", no_argument, NULL, 'w' },
		{ "local", no_argument, NULL, 'l' },
		{ "node", required_argument, NULL, 'n' },
		{ NULL }
	};
	unsigned long long size = 0, iova = 0, offset = 0, fill = 0, node = ~0ULL;
	const char *file = NULL, *kind = "anon", *attach = NULL;
	struct iopass_ioas_map cmd = { .size = sizeof(cmd) };
	bool fixed = false, hugetlb = false, hold = false, do_fill = false;
	int c, prot = PROT_READ | PROT_WRITE, fd = -1;
	__u32 flags = IOPASS_MAP_READABLE | IOPASS_MAP_WRITEABLE, ioas;
	struct timespec t0, t1;
	struct buf *b;
	size_t va_len;
	void *va;

	__u32 local = 0;

	while ((c = cmd_getopt(argc, argv, "s:i:Hf:o:p:F:a:wln:", opts)) != -1) {
		switch (c) {
		case 's':
			if (parse_size(optarg, &size) || !size)
				return usage_error("bad size '%s'", optarg);
			break;
		case 'i':
			if (parse_u64(optarg, &iova))
				return usage_error("bad IOVA '%s'", optarg);
			fixed = true;
			break;
		case 'H':
			hugetlb = true;
			kind = "hugetlb";
			break;
		case 'f':
			file = optarg;
			kind = "file";
			break;
		case 'o':
			if (parse_size(optarg, &offset))
				return usage_error("bad offset '%s'", optarg);
			break;
		case 'p':
			flags = (strchr(optarg, 'r') ? IOPASS_MAP_READABLE : 0) |
				(strchr(optarg, 'w') ? IOPASS_MAP_WRITEABLE : 0);
			if (!flags || strspn(optarg, "rw") != strlen(optarg))
				return usage_error("--prot is r, w or rw (what the device may do)");
			break;
		case 'F':
			if (parse_u64(optarg, &fill) || fill > 0xff)
				return usage_error("--fill takes a byte value");
			do_fill = true;
			break;
		case 'a':
			attach = optarg;
			break;
		case 'w':
			hold = true;
			break;
		case 'l':
			local = IOPASS_MAP_LOCAL_NODE;
			break;
		case 'n':
			if (parse_u64(optarg, &node) || node >= 1024)
				return usage_error("bad NUMA node '%s'", optarg);
			break;
		default:
			return bad_option(c, argv);
		}
	}
	if (optind != argc)
		return usage_error("unexpected '%s'", argv[optind]);
	if (offset && !file)
		return usage_error("--offset is an offset into a --file");
	if (hold && in_run)
		return usage_error("--hold is for a command run alone (a run holds its mappings)");
	if (file && hugetlb)
		return usage_error("--file or --hugetlb, not both (a hugetlbfs file is a --file)");
	if (file) {
		struct stat st;

		fd = open(file, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return fail(errno, NULL, "cannot open %s", file);
		if (!size) {
			if (fstat(fd, &st) || (unsigned long long)st.st_size <= offset) {
				close(fd);
				return usage_error("give --size: %s is empty past --offset",
						   file);
			}
			size = st.st_size - offset;
			if (size & (SZ_4K - 1)) {
				close(fd);
				return usage_error("give --size: %s has %llu bytes past "
						   "--offset, not whole pages", file, size);
			}
		}
	}
	if (!size)
		return usage_error("how much? --size SIZE");
	/* The buffer: page-sized; 2 MiB pages for hugetlb. */
	va_len = hugetlb ? (size + SZ_2M - 1) & ~(SZ_2M - 1) :
		 (size + SZ_4K - 1) & ~(SZ_4K - 1);
	if (file)
		va = mmap(NULL, va_len, prot, MAP_SHARED, fd, offset);
	else
		va = mmap(NULL, va_len, prot, MAP_PRIVATE | MAP_ANONYMOUS |
			  (hugetlb ? MAP_HUGETLB : 0), -1, 0);
	if (fd >= 0)
		close(fd);
	if (va == MAP_FAILED)
		return fail(errno, hugetlb ?
			    "no free 2 MiB pages: echo N > /proc/sys/vm/nr_hugepages" :
			    NULL, "cannot allocate the %s buffer", kind);
	if (node != ~0ULL) {
		c = file ? EINVAL : bind_to_node(va, va_len, node);
		if (c) {
			munmap(va, va_len);
			return fail(c, file ? "--node places the anonymous buffer; a file's "
				    "pages are where the file put them" :
				    "is there such a node? (/sys/devices/system/node)",
				    "cannot bind the buffer to NUMA node %llu", node);
		}
	}
	if (do_fill)
		memset(va, fill, size);
	if (attach) {
		struct dev *d = dev_get(attach);

		if (!d || session_ioas(&ioas) || dev_attach(d, ioas))
			goto err_unmap;
	}
	if (session_ioas(&ioas))
		goto err_unmap;
	b = buf_slot();
	if (!b) {
		fail(ENOSPC, "unmap some first", "a session keeps %d buffers at most", MAX_BUFS);
		goto err_unmap;
	}
	cmd.flags = flags | local | (fixed ? IOPASS_MAP_FIXED_IOVA : 0);
	cmd.ioas_id = ioas;
	cmd.user_va = (uintptr_t)va;
	cmd.length = va_len;
	cmd.iova = iova;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ioctl(S.ctx, IOPASS_IOAS_MAP, &cmd)) {
		fail(errno, map_hint(errno, kind), "cannot map %llu bytes of %s memory",
		     size, kind);
		goto err_unmap;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*b = (struct buf){ .used = true, .ioas = ioas, .iova = cmd.iova,
			   .length = va_len, .va = va, .va_len = va_len, .kind = kind };
	say("mapped %llu bytes of %s memory at IOVA 0x%llx in address space %u (%s)\n",
	    (unsigned long long)va_len, kind, (unsigned long long)cmd.iova, ioas,
	    flags == (IOPASS_MAP_READABLE | IOPASS_MAP_WRITEABLE) ? "device may read and write" :
	    flags & IOPASS_MAP_READABLE ? "device may read" : "device may write");
	out_u64("ioas", NULL, ioas);
	out_hex("iova", "  IOVA:", cmd.iova);
	out_u64("length", "  length:", va_len);
	out_str("backing", "  backing:", "%s", kind);
	out_hex("user_va", NULL, (uintptr_t)va);
	out_u64("map_ns", NULL, (t1.tv_sec - t0.tv_sec) * 1000000000ULL +
		t1.tv_nsec - t0.tv_nsec);
	say("  %-12s %.3f ms\n", "took:", ((t1.tv_sec - t0.tv_sec) * 1e9 +
					    t1.tv_nsec - t0.tv_nsec) / 1e6);
	if (hold) {
		say("holding the mapping: Enter (or end of input) releases it\n");
		while ((c = getchar()) != EOF && c != '\n')
			;
	}
	return EXIT_OK;

err_unmap:
	munmap(va, va_len);
	return EXIT_FAIL;
}

static int cmd_unmap(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iova", required_argument, NULL, 'i' },
		{ "size", required_argument, NULL, 's' },
		{ "all", no_argument, NULL, 'A' },
		{ NULL }
	};
	struct iopass_ioas_unmap cmd = { .size = sizeof(cmd) };
	unsigned long long iova = 0, size = 0;
	bool all = false, have_iova = false;
	int c, i;
	__u32 ioas;

	while ((c = cmd_getopt(argc, argv, "i:s:A", opts)) != -1) {
		switch (c) {
		case 'i':
			if (parse_u64(optarg, &iova))
				return usage_error("bad IOVA '%s'", optarg);
			have_iova = true;
			break;
		case 's':
			if (parse_size(optarg, &size) || !size)
				return usage_error("bad size '%s'", optarg);
			break;
		case 'A':
			all = true;
			break;
		default:
			return bad_option(c, argv);
		}
	}
	if (optind != argc)
		return usage_error("unexpected '%s'", argv[optind]);
	if (all == have_iova || (all && size))
		return usage_error("--iova IOVA [--size SIZE], or --all");
	if (session_ioas(&ioas))
		return EXIT_FAIL;
	if (!all && !size) {
		/* The whole buffer this session mapped there. */
		struct buf *b = buf_at(ioas, iova);

		if (!b || b->iova != iova)
			return usage_error("give --size: this session mapped nothing at 0x%llx",
					   iova);
		size = b->length;
	}
	cmd.ioas_id = ioas;
	cmd.flags = all ? IOPASS_UNMAP_ALL : 0;
	cmd.iova = iova;
	cmd.length = size;
	if (ioctl(S.ctx, IOPASS_IOAS_UNMAP, &cmd))
		return fail(errno, errno == EINVAL ?
			    "a range must cover whole mappings: iopass does not split one" :
			    errno == ENOENT ? "nothing is mapped there" :
			    errno == EIO ? "the IOMMU misbehaved; the pages stay pinned (dmesg)" :
			    NULL,
			    "cannot unmap");
	/* The buffers' pages were unpinned: give them back. */
	for (i = 0; i < MAX_BUFS; i++) {
		struct buf *b = &S.bufs[i];

		if (b->used && b->ioas == ioas &&
		    (all || (b->iova >= iova && b->iova + b->length <= iova + size)))
			buf_free(b);
	}
	say("unmapped %llu bytes; the IOTLB was flushed before the pages were unpinned\n",
	    (unsigned long long)cmd.length);
	out_u64("unmapped", NULL, cmd.length);
	return EXIT_OK;
}

/* Print @len bytes at @p as a hex dump labelled from @base. */
static void hexdump(const unsigned char *p, unsigned long long base,
		    unsigned long long len)
{
	unsigned long long i;
	char *hex;

	if (opt_json) {
		hex = malloc(len * 2 + 1);
		for (i = 0; hex && i < len; i++)
			sprintf(hex + 2 * i, "%02x", p[i]);
		if (hex)
			out_text("hex", NULL, hex);
		free(hex);
		return;
	}
	for (i = 0; i < len; i++) {
		if (i % 16 == 0)
			printf("%08llx: ", base + i);
		printf("%02x%s", p[i], i % 16 == 15 || i == len - 1 ? "\n" : " ");
	}
}

static int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iova", required_argument, NULL, 'i' },
		{ "len", required_argument, NULL, 'l' },
		{ NULL }
	};
	unsigned long long iova = ~0ULL, len = 64;
	struct buf *b;
	int c;

	while ((c = cmd_getopt(argc, argv, "i:l:", opts)) != -1) {
		if (c == ':' || c == '?')
			return bad_option(c, argv);
		if (c == 'i' && !parse_u64(optarg, &iova))
			continue;
		if (c == 'l' && !parse_size(optarg, &len) && len && len <= 1 << 20)
			continue;
		return usage_error("bad option '%s'", argv[optind - 1]);
	}
	if (optind != argc || iova == ~0ULL)
		return usage_error("--iova IOVA of a buffer this session mapped");
	b = buf_at(S.ioas, iova);
	if (!b)
		return fail(0, "map one first (in the same 'iopassctl run')",
			    "this session has no buffer mapped at IOVA 0x%llx", iova);
	if (len > b->length - (iova - b->iova))
		len = b->length - (iova - b->iova);
	hexdump((unsigned char *)b->va + (iova - b->iova), iova, len);
	return EXIT_OK;
}

/* ---- regions ---- */

static int region_rw(struct dev *d, int region, unsigned long long off, void *val,
		     size_t len, bool write)
{
	off_t pos = IOPASS_REGION_OFFSET(region) + off;
	ssize_t n = write ? pwrite(d->fd, val, len, pos) : pread(d->fd, val, len, pos);

	if (n == (ssize_t)len)
		return EXIT_OK;
	if (n >= 0)
		errno = EIO;
	return fail(errno, errno == EACCES ?
		    "that is the MSI-X table or PBA: interrupts are set up with 'iopassctl irq'" :
		    errno == EIO ? "is memory (or I/O) decode on? 'iopassctl write DEV config 4 "
		    "0x6 --width 2' turns memory decode and bus mastering on" :
		    errno == EINVAL ? "beyond the region: 'iopassctl info DEV' shows its size" :
		    NULL,
		    "cannot %s %zu bytes at %s+0x%llx", write ? "write" : "read", len,
		    region_name(region), off);
}

static int parse_width(const char *s, int *width)
{
	unsigned long long v;

	if (parse_u64(s, &v) || (v != 1 && v != 2 && v != 4 && v != 8))
		return usage_error("--width is 1, 2, 4 or 8 bytes");
	*width = v;
	return 0;
}

static int rw_args(int argc, char **argv, struct dev **d, int *region,
		   unsigned long long *off)
{
	if (argc - optind < 3)
		return usage_error("which device, region and offset?");
	*region = parse_region(argv[optind + 1]);
	if (*region < 0)
		return usage_error("REGION is config, bar0..bar5 or a region number");
	if (parse_u64(argv[optind + 2], off))
		return usage_error("bad OFFSET '%s'", argv[optind + 2]);
	if (*off >> IOPASS_REGION_SHIFT)
		return usage_error("OFFSET 0x%llx is beyond any region", *off);
	*d = dev_drive(argv[optind]);
	optind += 3;
	return *d ? 0 : cmd_status;
}

static int cmd_read(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "width", required_argument, NULL, 'w' },
		{ "len", required_argument, NULL, 'l' },
		{ NULL }
	};
	unsigned long long off, len = 0, v = 0;
	int c, width = 4, region, ret;
	unsigned char *buf;
	struct dev *d;

	while ((c = cmd_getopt(argc, argv, "w:l:", opts)) != -1) {
		if (c == 'w' && parse_width(optarg, &width))
			return EXIT_USAGE;
		if (c == 'l' && (parse_size(optarg, &len) || !len || len > 1 << 20))
			return usage_error("--len is 1 byte to 1M");
		if (c != 'w' && c != 'l')
			return bad_option(c, argv);
	}
	ret = rw_args(argc, argv, &d, &region, &off);
	if (ret)
		return ret;
	if (optind != argc)
		return usage_error("unexpected '%s'", argv[optind]);
	if (!len) {
		if (region_rw(d, region, off, &v, width, false))
			return EXIT_FAIL;
		say("%s %s+0x%llx: 0x%0*llx\n", d->name, region_name(region), off,
		    width * 2, v);
		out_u64("value", NULL, v);
		return EXIT_OK;
	}
	buf = malloc(len);
	if (!buf)
		return fail(ENOMEM, NULL, "out of memory");
	if (region_rw(d, region, off, buf, len, false)) {
		free(buf);
		return EXIT_FAIL;
	}
	hexdump(buf, off, len);
	free(buf);
	return EXIT_OK;
}

static int cmd_write(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "width", required_argument, NULL, 'w' },
		{ NULL }
	};
	unsigned long long off, v;
	int c, width = 4, region, ret;
	struct dev *d;

	while ((c = cmd_getopt(argc, argv, "w:", opts)) != -1) {
		if (c != 'w')
			return bad_option(c, argv);
		if (parse_width(optarg, &width))
			return EXIT_USAGE;
	}
	ret = rw_args(argc, argv, &d, &region, &off);
	if (ret)
		return ret;
	if (optind != argc - 1 || parse_u64(argv[optind], &v))
		return usage_error("bad or missing VALUE");
	if (width < 8 && v >> (width * 8))
		return usage_error("0x%llx does not fit in %d byte%s", v, width,
				   width > 1 ? "s" : "");
	if (region_rw(d, region, off, &v, width, true))
		return EXIT_FAIL;
	say("%s %s+0x%llx <- 0x%0*llx\n", d->name, region_name(region), off, width * 2, v);
	return EXIT_OK;
}

/* ---- reset ---- */

static int cmd_reset(int argc, char **argv)
{
	struct iopass_device_reset cmd = { .size = sizeof(cmd) };
	struct dev *d;

	if (no_options(argc, argv))
		return EXIT_USAGE;
	if (argc - optind != 1)
		return usage_error("one device");
	d = dev_arg(argc, argv, true);
	if (!d)
		return cmd_status;
	if (ioctl(d->fd, IOPASS_DEVICE_RESET, &cmd))
		return fail(errno, errno == EOPNOTSUPP ?
			    "the PCI core knows no way to reset it (no FLR, PM or bus reset)" :
			    errno == EAGAIN || errno == EBUSY ? "the device is busy; try again" :
			    NULL,
			    "cannot reset %s", d->name);
	say("%s reset; its BAR mappings were revoked first\n", d->name);
	return EXIT_OK;
}

/* ---- interrupts ---- */

static int set_irqs(struct dev *d, __u32 flags, int index, int start, int count,
		    __s32 *fds)
{
	struct iopass_set_irqs cmd = {
		.size = sizeof(cmd), .flags = flags, .index = index, .start = start,
		.count = count, .eventfds = (uintptr_t)fds,
	};

	return ioctl(d->fd, IOPASS_DEVICE_SET_IRQS, &cmd) ? errno : 0;
}

static void irq_off(struct dev *d)
{
	int v;

	if (d->irq_index < 0)
		return;
	set_irqs(d, IOPASS_IRQ_SET_EVENTFD, d->irq_index, 0, 0, NULL);
	for (v = 0; v < MAX_VECTORS; v++) {
		if (d->efd[v] > 0)
			close(d->efd[v]);
		d->efd[v] = 0;
		d->events[v] = 0;
	}
	d->irq_index = -1;
}

static unsigned long long total_events(struct dev *d)
{
	unsigned long long n = 0;
	int v;

	for (v = 0; v < d->nvec; v++)
		n += d->events[v];
	return n;
}

/* Wait until @d's armed vectors have seen @count events in all. */
static int irq_wait(struct dev *d, unsigned long long count, int timeout_ms)
{
	struct pollfd pfd[MAX_VECTORS];
	struct timespec t0, t;
	int v, n, left;
	__u64 c;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (total_events(d) < count) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = timeout_ms - ((t.tv_sec - t0.tv_sec) * 1000 +
				     (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return ETIMEDOUT;
		for (v = 0; v < d->nvec; v++)
			pfd[v] = (struct pollfd){ .fd = d->efd[v], .events = POLLIN };
		n = poll(pfd, d->nvec, left);
		if (n < 0 && errno != EINTR)
			return errno;
		for (v = 0; v < d->nvec; v++)
			if ((pfd[v].revents & POLLIN) &&
			    read(d->efd[v], &c, sizeof(c)) == sizeof(c))
				d->events[v] += c;
	}
	return 0;
}

static int show_events(struct dev *d, unsigned long long want, int err)
{
	int v;

	out_str("irq", NULL, "%s", irq_name(d->irq_index));
	out_u64("events", NULL, total_events(d));
	out_arr("vectors");
	for (v = 0; v < d->nvec; v++) {
		say("  %s vector %d: %llu event%s\n", irq_name(d->irq_index),
		    d->irq_start + v, d->events[v], d->events[v] == 1 ? "" : "s");
		if (opt_json)
			out_u64(NULL, NULL, d->events[v]);
	}
	out_close();
	if (err)
		return fail(err, err == ETIMEDOUT ? "did the device raise it? is bus mastering on "
			    "(MSIs are DMA writes)?" : NULL,
			    "waited for %llu interrupt%s, got %llu", want, want == 1 ? "" : "s",
			    total_events(d));
	return EXIT_OK;
}

static int cmd_irq(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "vectors", required_argument, NULL, 'n' },
		{ "start", required_argument, NULL, 's' },
		{ "wait", required_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "off", no_argument, NULL, 'o' },
		{ "unmask", no_argument, NULL, 'u' },
		{ "mask", no_argument, NULL, 'm' },
		{ NULL }
	};
	unsigned long long nvec = 1, start = 0, wait = 0, timeout = 5000;
	int c, v, index = -1, err;
	__s32 fds[MAX_VECTORS];
	bool off = false, unmask = false, mask = false;
	struct dev *d;

	while ((c = cmd_getopt(argc, argv, "t:n:s:w:T:oum", opts)) != -1) {
		switch (c) {
		case 't':
			index = parse_irq(optarg);
			if (index < 0 || index > IOPASS_IRQ_MSIX)
				return usage_error("--type is intx, msi or msix");
			break;
		case 'n':
			if (parse_u64(optarg, &nvec) || !nvec || nvec > MAX_VECTORS)
				return usage_error("--vectors is 1 to %d", MAX_VECTORS);
			break;
		case 's':
			if (parse_u64(optarg, &start) || start > 2048)
				return usage_error("bad --start");
			break;
		case 'w':
			if (parse_u64(optarg, &wait))
				return usage_error("bad --wait count");
			break;
		case 'T':
			if (parse_u64(optarg, &timeout) || timeout > 3600000)
				return usage_error("bad --timeout (milliseconds)");
			break;
		case 'o':
			off = true;
			break;
		case 'u':
			unmask = true;
			break;
		case 'm':
			mask = true;
			break;
		default:
			return bad_option(c, argv);
		}
	}
	d = dev_arg(argc, argv, true);
	if (!d)
		return cmd_status;
	if (optind != argc)
		return usage_error("unexpected '%s'", argv[optind]);
	if (unmask && mask)
		return usage_error("--mask or --unmask, not both");
	if (unmask || mask) {
		if (d->irq_index != IOPASS_IRQ_INTX)
			return fail(0, NULL, "this session routed no INTx of %s", d->name);
		err = set_irqs(d, mask ? IOPASS_IRQ_SET_MASK : IOPASS_IRQ_SET_UNMASK,
			       IOPASS_IRQ_INTX, 0, 1, NULL);
		if (err)
			return fail(err, NULL, "cannot %s INTx of %s",
				    mask ? "mask" : "unmask", d->name);
		say("%s: INTx %s\n", d->name, mask ? "masked" : "unmasked");
		return EXIT_OK;
	}
	if (off) {
		if (d->irq_index < 0)
			return fail(0, NULL, "this session armed no interrupts on %s", d->name);
		say("%s: %s off\n", d->name, irq_name(d->irq_index));
		irq_off(d);
		return EXIT_OK;
	}
	if (index < 0)
		return usage_error("which interrupts? --type intx|msi|msix");
	irq_off(d);
	for (v = 0; v < (int)nvec; v++) {
		fds[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fds[v] < 0) {
			err = errno;
			while (v--) {
				close(fds[v]);
				d->efd[v] = 0;
			}
			return fail(err, NULL, "eventfd");
		}
		d->efd[v] = fds[v];
	}
	d->nvec = nvec;
	d->irq_start = start;
	d->irq_index = index;
	err = set_irqs(d, IOPASS_IRQ_SET_EVENTFD, index, start, nvec, fds);
	if (err) {
		for (v = 0; v < (int)nvec; v++) {
			close(fds[v]);
			d->efd[v] = 0;
		}
		d->irq_index = -1;
		return fail(err, err == EINVAL ? "'iopassctl info DEV' shows its vectors" :
			    err == EBUSY ? "another interrupt type is on: iopassctl irq DEV --off" :
			    err == EOPNOTSUPP ? "the device cannot mask INTx; use MSI or MSI-X" :
			    NULL,
			    "cannot route %s vectors %llu..%llu of %s to eventfds",
			    irq_name(index), start, start + nvec - 1, d->name);
	}
	say("%s: %s vector%s %llu..%llu -> eventfd%s\n", d->name, irq_name(index),
	    nvec > 1 ? "s" : "", start, start + nvec - 1, nvec > 1 ? "s" : "");
	if (!wait)
		return EXIT_OK;
	return show_events(d, wait, irq_wait(d, wait, timeout));
}

static int cmd_irq_wait(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 'T' },
		{ NULL }
	};
	unsigned long long count = 1, timeout = 5000;
	struct dev *d;
	int c;

	while ((c = cmd_getopt(argc, argv, "c:T:", opts)) != -1) {
		if (c == ':' || c == '?')
			return bad_option(c, argv);
		if (c == 'c' && !parse_u64(optarg, &count))
			continue;
		if (c == 'T' && !parse_u64(optarg, &timeout) && timeout <= 3600000)
			continue;
		return usage_error("bad option '%s'", argv[optind - 1]);
	}
	if (argc - optind != 1)
		return usage_error("one device");
	d = dev_arg(argc, argv, true);
	if (!d)
		return cmd_status;
	if (d->irq_index < 0)
		return fail(0, "arm them first: iopassctl irq DEV --type msi",
			    "this session routed no interrupts of %s", d->name);
	/* Counts accumulate: wait for @count more. */
	return show_events(d, total_events(d) + count,
			   irq_wait(d, total_events(d) + count, timeout));
}

/* ---- stats ---- */

static int cmd_stats(int argc, char **argv)
{
	static const char *const attrs[] = {
		"mapped_bytes", "pinned_pages", "maps", "unmaps", "iotlb_syncs",
		"interrupts",
	};
	char name[32], bdf[32], path[PATH_MAX], val[64];
	size_t i;

	if (no_options(argc, argv))
		return EXIT_USAGE;
	if (optind != argc - 1)
		return usage_error("which device?");
	if (resolve_dev(argv[optind], name, sizeof(name), bdf, sizeof(bdf)))
		return EXIT_FAIL;
	say("%s (%s), counters of the address space it is attached to, and its interrupts:\n",
	    name, bdf);
	out_str("device", NULL, "%s", name);
	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		snprintf(path, sizeof(path), IOPASS_DEVICES "/%s/%s", name, attrs[i]);
		if (sysfs_read(path, val, sizeof(val)))
			return fail(errno, NULL, "cannot read %s", path);
		out_u64(attrs[i], attrs[i], strtoull(val, NULL, 0));
	}
	return show_locality(name);
}

/* ---- SR-IOV ---- */

static int cmd_vf_token(int argc, char **argv)
{
	struct iopass_vf_token cmd = { .size = sizeof(cmd) };
	struct dev *d;

	if (no_options(argc, argv))
		return EXIT_USAGE;
	if (argc - optind != 2)
		return usage_error("a physical function and a UUID");
	if (vf_token_arg(argv[optind + 1], cmd.vf_token))
		return cmd_status;
	d = dev_arg(argc - 1, argv, true);
	if (!d)
		return cmd_status;
	if (ioctl(d->fd, IOPASS_DEVICE_SET_VF_TOKEN, &cmd))
		return fail(errno, errno == ENOTTY ? "it is not an SR-IOV physical function" : NULL,
			    "cannot set the VF token of %s", d->name);
	say("%s: its VFs' owners now attach with this token\n", d->name);
	out_str("device", NULL, "%s", d->name);
	return EXIT_OK;
}

static int cmd_sriov(int argc, char **argv)
{
	char bdf[32], path[PATH_MAX], val[64], vf[32], name[32];
	unsigned long long n = 0;
	unsigned long total;
	int err, i;

	if (no_options(argc, argv))
		return EXIT_USAGE;
	if (argc - optind < 1 || argc - optind > 2)
		return usage_error("a physical function, and optionally how many VFs");
	err = pci_normalize(argv[optind], bdf, sizeof(bdf));
	if (err)
		return fail(-err, NULL, "no PCI function '%s'", argv[optind]);
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/sriov_totalvfs", bdf);
	if (sysfs_read(path, val, sizeof(val)))
		return fail(ENOTTY, "it has no SR-IOV capability (or the kernel lacks PCI_IOV)",
			    "%s cannot have virtual functions", bdf);
	total = strtoul(val, NULL, 0);
	if (argc - optind == 2) {
		if (parse_u64(argv[optind + 1], &n) || n > total)
			return usage_error("%s can have 0 to %lu VFs", bdf, total);
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/sriov_numvfs", bdf);
		snprintf(val, sizeof(val), "%llu", n);
		err = sysfs_write(path, val);
		if (err)
			return fail(-err, -err == EBUSY ?
				    "VFs are attached by their owners (disable refused), or some are "
				    "enabled already: set 0 first" :
				    -err == ENOENT || -err == ENODEV ?
				    "the PF has no driver that creates VFs: bind it first "
				    "('iopassctl bind')" : NULL,
				    "cannot set %s's VFs to %llu", bdf, n);
	}
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/sriov_numvfs", bdf);
	if (sysfs_read(path, val, sizeof(val)))
		return fail(errno, NULL, "cannot read %s", path);
	n = strtoull(val, NULL, 0);
	say("%s: %llu of %lu VFs enabled\n", bdf, n, total);
	out_str("pf", NULL, "%s", bdf);
	out_u64("numvfs", NULL, n);
	out_u64("totalvfs", NULL, total);
	out_arr("vfs");
	for (i = 0; i < (int)n; i++) {
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/virtfn%d", bdf, i);
		sysfs_link_name(path, vf, sizeof(vf));
		if (!vf[0])
			continue;
		if (iopass_node_of(vf, name, sizeof(name)))
			name[0] = 0;
		say("  VF %-3d %s  %s\n", i, vf, name[0] ? name : "(not bound to iopass)");
		out_obj(NULL);
		out_u64("index", NULL, i);
		out_str("pci", NULL, "%s", vf);
		out_str("device", NULL, "%s", name);
		out_close();
	}
	out_close();
	return EXIT_OK;
}

/* ---- the edu test device (QEMU docs/specs/edu.rst) ---- */

#define EDU_IRQ_ACK	0x64
#define EDU_IRQ_DMA	0x100
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_COUNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_DMA_START	0x1
#define EDU_DMA_TO_RAM	0x2
#define EDU_DMA_IRQ	0x4
#define EDU_BUFFER	0x40000
#define EDU_DMA_MAX	2048	/* QEMU 7.2's edu rejects a DMA ending at 4K */
#define EDU_BAR_SIZE	0x100000
#define EDU_IOVA_SRC	0x100000
#define EDU_IOVA_DST	0x200000

static void mmio_w64(volatile void *bar, unsigned int off, __u64 v)
{
	__atomic_store_n((__u64 *)((char *)bar + off), v, __ATOMIC_RELAXED);
}

static __u64 mmio_r64(volatile void *bar, unsigned int off)
{
	return __atomic_load_n((__u64 *)((char *)bar + off), __ATOMIC_RELAXED);
}

/* One edu DMA; with @irq, wait for its MSI on the device's vector 0. */
static int edu_dma(struct dev *d, void *bar, __u64 src, __u64 dst, __u64 len,
		   bool to_ram, bool irq)
{
	struct timespec ts = { 0, 1000 * 1000 };
	int i;

	mmio_w64(bar, EDU_DMA_SRC, src);
	mmio_w64(bar, EDU_DMA_DST, dst);
	mmio_w64(bar, EDU_DMA_COUNT, len);
	mmio_w64(bar, EDU_DMA_CMD, EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0) |
		 (irq ? EDU_DMA_IRQ : 0));
	if (irq) {
		i = irq_wait(d, total_events(d) + 1, 5000);
		/* Acknowledge the DMA-done status bit, or it stays raised. */
		*(volatile __u32 *)((char *)bar + EDU_IRQ_ACK) = EDU_IRQ_DMA;
		return i;
	}
	for (i = 0; i < 5000; i++) {
		if (!(mmio_r64(bar, EDU_DMA_CMD) & EDU_DMA_START))
			return 0;
		nanosleep(&ts, NULL);
	}
	return ETIMEDOUT;
}

/*
 * The kernel log lines holding both @needle and @needle2: how many, and
 * with @show, printed (as "kernel_log" in JSON).  -errno if the log
 * cannot be read (CAP_SYSLOG, dmesg_restrict).
 */
static int klog_lines(const char *needle, const char *needle2, bool show)
{
	static char buf[1 << 20];
	int n, found = 0;
	char *line, *save;

	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	if (show)
		out_arr("kernel_log");
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strstr(line, needle) || !strstr(line, needle2))
			continue;
		if (show) {
			if (line[0] == '<' && strchr(line, '>'))
				line = strchr(line, '>') + 1;	/* the level */
			say("  kernel: %s\n", line);
			if (opt_json)
				out_str(NULL, NULL, "%s", line);
		}
		found++;
	}
	if (show)
		out_close();
	return found;
}

static int cmd_dma_test(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "irq", no_argument, NULL, 'q' },
		{ "stale", no_argument, NULL, 'S' },
		{ NULL }
	};
	struct iopass_ioas_map map = { .size = sizeof(map) };
	struct iopass_ioas_unmap unmap = { .size = sizeof(unmap) };
	unsigned long long len = EDU_DMA_MAX, i;
	__u64 iova_src, iova_dst, id = 0;
	bool irq = false, stale = false, mapped_src = false, mapped_dst = false;
	unsigned char *src, *dst;
	char want[64];
	int c, err, found;
	__u16 cmdreg;
	struct dev *d;
	void *bar;
	__u32 ioas;

	while ((c = cmd_getopt(argc, argv, "s:qS", opts)) != -1) {
		switch (c) {
		case 's':
			if (parse_size(optarg, &len) || !len || len > EDU_DMA_MAX)
				return usage_error("--size is 1 to %d bytes (the edu's buffer)",
						   EDU_DMA_MAX);
			break;
		case 'q':
			irq = true;
			break;
		case 'S':
			stale = true;
			break;
		default:
			return bad_option(c, argv);
		}
	}
	d = dev_arg(argc, argv, true);
	if (!d)
		return cmd_status;
	if (optind != argc)
		return usage_error("unexpected '%s'", argv[optind]);
	ioas = d->ioas;			/* dev_drive() attached it */
	/* Is it an edu?  Vendor 0x1234, device 0x11e8. */
	if (region_rw(d, IOPASS_REGION_CONFIG, 0, &id, 4, false))
		return EXIT_FAIL;
	if ((__u32)id != 0x11e81234)
		return fail(0, "dma-test drives QEMU's edu device (-device edu)",
			    "%s is not an edu (PCI ID %04llx:%04llx)", d->name, id & 0xffff,
			    (id >> 16) & 0xffff);
	/* Memory decode and bus mastering on. */
	if (region_rw(d, IOPASS_REGION_CONFIG, 4, &cmdreg, 2, false))
		return EXIT_FAIL;
	cmdreg |= 0x6;
	if (region_rw(d, IOPASS_REGION_CONFIG, 4, &cmdreg, 2, true))
		return EXIT_FAIL;
	bar = mmap(NULL, EDU_BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd,
		   IOPASS_REGION_OFFSET(0));
	if (bar == MAP_FAILED)
		return fail(errno, NULL, "cannot map BAR0 of %s", d->name);
	if (irq) {
		__s32 fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

		irq_off(d);
		d->efd[0] = fd;
		d->nvec = 1;
		d->irq_start = 0;
		err = fd < 0 ? errno : set_irqs(d, IOPASS_IRQ_SET_EVENTFD, IOPASS_IRQ_MSI, 0, 1,
						&fd);
		if (err) {
			if (fd >= 0)
				close(fd);
			d->efd[0] = 0;
			munmap(bar, EDU_BAR_SIZE);
			return fail(err, NULL, "cannot route the edu's MSI to an eventfd");
		}
		d->irq_index = IOPASS_IRQ_MSI;
		say("MSI of %s -> eventfd\n", d->name);
	}
	src = mmap(NULL, 2 * SZ_4K, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED) {
		munmap(bar, EDU_BAR_SIZE);
		return fail(errno, NULL, "cannot allocate buffers");
	}
	dst = src + SZ_4K;
	srand(time(NULL) ^ getpid());
	for (i = 0; i < len; i++)
		src[i] = rand();
	memset(dst, 0, SZ_4K);

	/* The edu reaches 28 bits of IOVA: fixed IOVAs low enough. */
	map.flags = IOPASS_MAP_READABLE | IOPASS_MAP_FIXED_IOVA;
	map.ioas_id = ioas;
	map.user_va = (uintptr_t)src;
	map.length = SZ_4K;
	map.iova = EDU_IOVA_SRC;
	err = 0;
	if (ioctl(S.ctx, IOPASS_IOAS_MAP, &map))
		err = errno;
	mapped_src = !err;
	iova_src = map.iova;
	map.flags = IOPASS_MAP_WRITEABLE | IOPASS_MAP_FIXED_IOVA;
	map.user_va = (uintptr_t)dst;
	map.iova = EDU_IOVA_DST;
	if (!err && ioctl(S.ctx, IOPASS_IOAS_MAP, &map))
		err = errno;
	mapped_dst = mapped_src && !err;
	iova_dst = map.iova;
	if (err) {
		fail(err, map_hint(err, "anon"), "cannot map the test buffers at IOVA 1M and 2M");
		goto out;
	}
	say("mapped a source buffer (device may read) at IOVA 0x%llx and a destination\n"
	    "buffer (device may write) at IOVA 0x%llx\n", (unsigned long long)iova_src,
	    (unsigned long long)iova_dst);

	err = edu_dma(d, bar, iova_src, EDU_BUFFER, len, false, irq);
	if (!err)
		err = edu_dma(d, bar, EDU_BUFFER, iova_dst, len, true, irq);
	if (err) {
		fail(err, "is bus mastering on? (dma-test turns it on)",
		     "the edu's DMA did not complete");
		goto out;
	}
	if (memcmp(src, dst, len)) {
		for (i = 0; i < len && src[i] == dst[i]; i++)
			;
		fail(0, NULL, "DMA round trip: byte %llu differs (0x%02x, wrote 0x%02x)", i,
		     dst[i], src[i]);
		goto out;
	}
	say("DMA round trip: %llu random bytes RAM -> edu -> RAM through the IOMMU: identical\n",
	    len);
	out_u64("bytes", NULL, len);
	out_bool("round_trip", NULL, true);
	if (irq) {
		say("each DMA completion arrived as an MSI on the eventfd (%llu events)\n",
		    total_events(d));
		out_u64("msi_events", NULL, total_events(d));
	}
	if (!stale)
		goto out;

	/* Unmap the destination, then have the device write to it anyway. */
	unmap.ioas_id = ioas;
	unmap.iova = iova_dst;
	unmap.length = SZ_4K;
	if (ioctl(S.ctx, IOPASS_IOAS_UNMAP, &unmap)) {
		err = errno;
		fail(err, NULL, "cannot unmap the destination");
		goto out;
	}
	mapped_dst = false;
	memset(dst, 0x11, SZ_4K);
	say("unmapped IOVA 0x%llx (IOTLB flushed, page unpinned); the device now DMAs to it\n",
	    (unsigned long long)iova_dst);
	err = edu_dma(d, bar, EDU_BUFFER, iova_dst, len, true, false);
	if (err) {
		fail(err, NULL, "the edu's DMA did not complete");
		goto out;
	}
	for (i = 0; i < SZ_4K; i++)
		if (dst[i] != 0x11)
			break;
	if (i < SZ_4K) {
		err = EIO;
		fail(0, NULL, "STALE DMA LANDED: byte %llu of the unmapped page changed", i);
		goto out;
	}
	say("the DMA to the stale IOVA was blocked: the old page is untouched\n");
	out_bool("stale_blocked", NULL, true);
	/* The IOMMU's fault report: its driver logs it from a thread. */
	snprintf(want, sizeof(want), "fault addr 0x%llx", (unsigned long long)iova_dst);
	for (i = 0; i < 50; i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		found = klog_lines(want, d->bdf + 5, false);
		if (found)
			break;
		nanosleep(&ts, NULL);
	}
	if (found > 0)
		klog_lines(want, d->bdf + 5, true);
	else
		say("  (no IOMMU fault report in the kernel log%s)\n",
		    found < 0 ? ": reading it needs CAP_SYSLOG" : "");
out:
	/* What the test mapped and is still mapped; nothing else. */
	unmap.ioas_id = ioas;
	unmap.length = SZ_4K;
	unmap.iova = EDU_IOVA_SRC;
	if (mapped_src)
		ioctl(S.ctx, IOPASS_IOAS_UNMAP, &unmap);
	unmap.length = SZ_4K;
	unmap.iova = EDU_IOVA_DST;
	if (mapped_dst)
		ioctl(S.ctx, IOPASS_IOAS_UNMAP, &unmap);
	munmap(src, 2 * SZ_4K);
	munmap(bar, EDU_BAR_SIZE);
	if (irq)
		irq_off(d);
	return err ? EXIT_FAIL : EXIT_OK;
}

const struct cmd dev_cmds[] = {
	{ "info", cmd_info, "DEV", "describe a device: regions, interrupts, domain",
	  "Its PCI address, IOMMU group and domain type, its regions (config space\n"
	  "and BARs: size, r/w/m = read, write, mmap; the MSI-X table hole that is\n"
	  "never mappable), and its interrupt indexes.\n" },
	{ "ranges", cmd_ranges, "[DEV...]", "the IOVAs a mapping may use",
	  "Attach each DEV to the session's address space and show the usable\n"
	  "IOVA ranges: the IOMMU aperture less its reserved regions (the MSI\n"
	  "window, firmware RMRRs), and the alignment mappings need.  With no\n"
	  "device, every page-aligned IOVA.\n" },
	{ "ioas", cmd_ioas, "[--destroy ID | --use ID]",
	  "allocate, choose or destroy an address space",
	  "With no option, allocate an address space (IOAS) and make it the\n"
	  "session's current one, which attach, map and unmap use.  Commands\n"
	  "allocate one when the session has none, so this is for runs with\n"
	  "several.\n"
	  "  -d, --destroy ID   destroy it (no device may be attached)\n"
	  "  -u, --use ID       make it the current one\n" },
	{ "attach", cmd_attach, "[--ioas ID] [--vf-token UUID] DEV",
	  "put a device in an address space",
	  "Its DMA is then translated through the address space's mappings,\n"
	  "and nothing else.  Commands that drive a device attach it themselves.\n"
	  "  -i, --ioas ID        this address space, not the current one\n"
	  "  -t, --vf-token UUID  the PF owner's VF token (a VF of a PF owned\n"
	  "                       through iopass; a PF whose VFs are in use)\n" },
	{ "detach", cmd_detach, "DEV", "take a device out of its address space",
	  "Bus mastering is turned off, BAR mappings are revoked, and its DMA is\n"
	  "blocked again.\n" },
	{ "map", cmd_map, "--size SIZE [options]", "pin memory and map it for DMA",
	  "Allocate a buffer, pin it and map it in the current address space.\n"
	  "  -s, --size SIZE     how much (rounded up to pages; 2M for --hugetlb)\n"
	  "  -i, --iova IOVA     where; without it the kernel chooses\n"
	  "  -H, --hugetlb       2 MiB hugetlb pages (vm.nr_hugepages must allow)\n"
	  "  -f, --file PATH     a shared mapping of a file (tmpfs, hugetlbfs;\n"
	  "                      the size defaults to the file's)\n"
	  "  -o, --offset OFF    where in the file\n"
	  "  -p, --prot r|w|rw   what the device may do (default rw)\n"
	  "  -F, --fill BYTE     fill the buffer first\n"
	  "  -a, --attach DEV    attach DEV first (its aperture then applies)\n"
	  "  -w, --hold          keep it mapped until Enter, then exit\n"
	  "  -n, --node N        place the buffer on NUMA node N (mbind)\n"
	  "  -l, --local         refuse (EREMOTE) memory on a node no attached\n"
	  "                      device is on\n"
	  "The mapping lasts as long as the session: to the end of this command,\n"
	  "or of 'iopassctl run'.\n" },
	{ "unmap", cmd_unmap, "--iova IOVA [--size SIZE] | --all", "unmap and unpin",
	  "Remove whole mappings: the range must not cut one.  Without --size,\n"
	  "the buffer this session mapped at IOVA.  The IOTLB is flushed before\n"
	  "any page is unpinned.\n"
	  "  -i, --iova IOVA   start of the range\n"
	  "  -s, --size SIZE   length of the range\n"
	  "  -A, --all         everything in the address space\n" },
	{ "dump", cmd_dump, "--iova IOVA [--len N]", "show a mapped buffer's bytes",
	  "Hex dump of the buffer this session mapped at IOVA (what a device\n"
	  "wrote there), --len bytes (default 64).\n" },
	{ "read", cmd_read, "DEV REGION OFFSET [--width N | --len N]", "read a region",
	  "REGION is config, bar0..bar5 (or its number).  Prints one value of\n"
	  "--width bytes (1, 2, 4 or 8; default 4), or a hex dump of --len bytes.\n" },
	{ "write", cmd_write, "DEV REGION OFFSET VALUE [--width N]", "write a region",
	  "Write VALUE, --width bytes wide (default 4).  Config space is filtered:\n"
	  "BAR, ROM and MSI/MSI-X capability writes are dropped, FLR and power\n"
	  "state bits stripped; the MSI-X table and PBA refuse writes (EACCES).\n" },
	{ "reset", cmd_reset, "DEV", "reset the function",
	  "A function-level (or PM, or bus) reset through the PCI core; BAR\n"
	  "mappings are revoked first.  EOPNOTSUPP when none is possible.\n" },
	{ "irq", cmd_irq, "DEV --type intx|msi|msix [options]", "route interrupts to eventfds",
	  "  -t, --type TYPE      intx, msi or msix\n"
	  "  -n, --vectors N      how many vectors (default 1)\n"
	  "  -s, --start N        first vector (default 0)\n"
	  "  -w, --wait N         then wait for N interrupts and count them\n"
	  "  -T, --timeout MS     how long to wait (default 5000)\n"
	  "  -o, --off            turn this session's interrupts of DEV off\n"
	  "  -u, --unmask         unmask INTx: iopass masks it each time it fires,\n"
	  "                       until the owner has quieted the device\n"
	  "  -m, --mask           mask INTx; a raise meanwhile arrives at the unmask\n" },
	{ "irq-wait", cmd_irq_wait, "DEV [--count N] [--timeout MS]", "wait for interrupts",
	  "Wait for N more interrupts (default 1) on the vectors 'irq' routed in\n"
	  "this session, and show the counts per vector.\n" },
	{ "stats", cmd_stats, "DEV", "the device's DMA counters and NUMA locality",
	  "From sysfs: bytes mapped and pages pinned in the address space it is\n"
	  "attached to, maps, unmaps and IOTLB syncs; interrupts passed on; the\n"
	  "device's NUMA node and local CPUs, and on which nodes the pages it can\n"
	  "reach are.\n" },
	{ "sriov", cmd_sriov, "PF [N]", "create or remove a PF's virtual functions",
	  "Show the PF's VFs or, with N, set how many there are (sriov_numvfs;\n"
	  "0 removes them, refused with EBUSY while any is attached).  With the\n"
	  "PF bound to iopass-pci the VFs bind to iopass-pci too, and their\n"
	  "owners attach them with the PF owner's VF token.\n" },
	{ "vf-token", cmd_vf_token, "PF UUID", "set the token a PF's VF owners present",
	  "On an SR-IOV physical function bound to iopass: set the shared secret\n"
	  "(a UUID) that 'attach --vf-token' must give for its VFs.  The PF is\n"
	  "attached for it; while its VFs are attached, only with their token.\n" },
	{ "dma-test", cmd_dma_test, "DEV [--size N] [--irq] [--stale]", "edu DMA round trip",
	  "On QEMU's edu: map a random source buffer and a destination, DMA\n"
	  "RAM -> edu -> RAM through the IOMMU and compare.\n"
	  "  -s, --size N   bytes (default and most 2048)\n"
	  "  -q, --irq      wait for each DMA's completion MSI on an eventfd\n"
	  "  -S, --stale    then unmap the destination, DMA to its stale IOVA,\n"
	  "                 check the page is untouched and show the IOMMU's\n"
	  "                 fault report from the kernel log\n" },
	{ NULL }
};
