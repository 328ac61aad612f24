// SPDX-License-Identifier: GPL-2.0
/*
 * iopass-bench: iopass's map, unmap and interrupt paths timed against its
 * peers, side by side in one boot, on the same memory:
 *
 *   iopass   /dev/iopass and the device node (edu #1, iopass-pci)
 *   type1    a VFIO container with VFIO_TYPE1v2_IOMMU (edu #2, vfio-pci)
 *   iommufd  /dev/iommu and the vfio device cdev (edu #3, vfio-pci), where
 *            the kernel has them
 *   front    with --front, in place of type1 and iommufd: iopass_vfio.ko's
 *            VFIO container (edu #2, iopass-pci), the rows named
 *            <row>+front: what a VFIO program pays for the compatibility
 *   floor    io_uring IORING_REGISTER_BUFFERS / UNREGISTER_BUFFERS of the
 *            same memory: pinning without an IOMMU.  Not a lower bound
 *            everywhere: 6.1's unregister waits for an RCU grace period
 *            (milliseconds: unmap rows, rt-4k) and its register scans the
 *            pages before each huge page's (quadratic: thp, huge)
 *
 * Run as root in the rig's VM by tools/testing/vm/bench.sh (make bench).
 * Each row allocates and pre-faults one buffer, which every framework maps
 * in turn at the same fixed IOVA (so the physical layout is the same for
 * all: it is checked again before the buffer is freed), then times the
 * frameworks interleaved: a warm-up round, then --runs timed rounds with
 * each framework once per round (the first one moving along each round);
 * the median is reported.  One more pass per framework, untimed, counts
 * the IOTLB invalidation descriptors the IOMMU driver queued (trace event
 * intel_iommu/qi_submit, filter "qw0 & 2": IOTLB, device-IOTLB and
 * PASID-IOTLB descriptors, not wait, IEC or context ones).
 *
 * The rows (sizes scale with --size, 1 GiB by default):
 *   map-4k-seq, unmap-4k-seq    anonymous memory, MADV_NOHUGEPAGE,
 *                               pre-faulted in ascending order
 *   map-4k-frag, unmap-4k-frag  the same, the even pages faulted before the
 *                               odd ones: no two neighbours contiguous
 *   map-thp, unmap-thp          2 MiB-aligned, MADV_HUGEPAGE (checked)
 *   map-huge, unmap-huge        hugetlbfs 2 MiB pages (MAP_HUGETLB)
 *   rt-4k                       one 4 KiB map + unmap, the mean of a round
 *   many-4k-map, -unmap, -mem, -memfree
 *                               65536 separate 4 KiB mappings (at 1 GiB):
 *                               time per map, time to unmap them all with
 *                               one call, and kernel memory per mapping:
 *                               -mem the growth of Slab + VmallocUsed,
 *                               -memfree the drop in free memory (which
 *                               also counts IOMMU page tables); no floor
 *                               (io_uring registers at most 16384 buffers)
 *   msi-wake                    edu MSI to a blocking eventfd read (iopass
 *                               and vfio-pci), the median of a round
 * The "bench: layout" lines say how physically contiguous each buffer was.
 *
 * Output: a table for people, and for machines one line per row
 *
 *   bench: <row>/cm-<on|off> iopass=<v> type1=<v> [iommufd=<v>] [floor=<v>]
 *	ratio_type1=<r> [ratio_iommufd=<r>] [ratio_floor=<r>] unit=<u>
 *	inv_iopass=<n> inv_type1=<n> ... [syncs_iopass=<n>]
 *
 * where ratio_<peer> = peer / iopass (above 1: iopass is faster, or
 * smaller), inv_* counts invalidations per timed operation (one map or
 * unmap call, one round trip, one of the many mappings, one wake) and
 * syncs_iopass is iopass's own count (sysfs iotlb_syncs).  Any failure
 * prints "bench: error ..." and exits 1: no number is printed for what
 * failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/io_uring.h>
#include <linux/iopass.h>
#include <linux/vfio.h>

#include "iopass_sysfs.h"

/* iommufd needs 6.6+ UAPI headers: the Makefile copies 6.12's if it can. */
#ifdef HAVE_IOMMUFD
#include <linux/iommufd.h>
#if !defined(IOMMU_IOAS_MAP) || !defined(VFIO_DEVICE_BIND_IOMMUFD)
#error "<linux/iommufd.h> or <linux/vfio.h> is too old for iommufd"
#endif
#else
#define HAVE_IOMMUFD 0
#endif

#define SZ_4K		4096ULL
#define SZ_2M		0x200000ULL
#define SZ_1G		0x40000000ULL
#define MAX_LEN		(16 * SZ_1G)	/* the floor's iovec array */
#define IOVA_BASE	0x100000000ULL	/* above the MSI window, in any aperture */
#define MAX_RUNS	64
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define EDU_ID		0x11e81234
#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64
#define PCI_COMMAND	0x04
#define PCI_COMMAND_MEMORY_MASTER 0x6

/* ---- options ---- */

static unsigned long long opt_size = SZ_1G;
static int opt_runs = 5;
static const char *opt_rows = "all";
static const char *opt_cm;		/* the caching mode the host asked for */
static int opt_rt_iters, opt_msi_iters, opt_many;
static int opt_msi_cpu = -1;		/* CPU of the edu MSIs; -1: another */

/* ---- errors: one line, then exit 1 ---- */

static void __attribute__((format(printf, 1, 2), noreturn)) die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	printf("bench: error ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

static void __attribute__((format(printf, 1, 2))) warn(const char *fmt, ...)
{
	va_list ap;

	printf("bench: warning ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- sysfs, procfs ---- */

static void must_write(const char *path, const char *val)
{
	int err = sysfs_write(path, val);

	if (err)
		die("cannot write '%s' to %s: %s", val, path, strerror(-err));
}

static long long read_ll(const char *path)
{
	char buf[64];

	if (sysfs_read(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

struct meminfo {
	long long free_kb, slab_kb, vmalloc_kb;
};

/*
 * Slab and VmallocUsed from /proc/meminfo; free memory as MemFree counts
 * it plus the pages on the per-CPU free lists (MemFree leaves those out,
 * and an allocation that takes one would not show), from /proc/zoneinfo.
 * The per-CPU counter deltas are folded first (stat_refresh).
 */
static void meminfo(struct meminfo *m)
{
	char line[256], *p;
	long long pages = 0;
	FILE *f;

	sysfs_write("/proc/sys/vm/stat_refresh", "1");
	f = fopen("/proc/meminfo", "r");
	if (!f)
		die("cannot open /proc/meminfo: %s", strerror(errno));
	m->slab_kb = -1;
	m->vmalloc_kb = -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Slab:", 5))
			m->slab_kb = atoll(line + 5);
		else if (!strncmp(line, "VmallocUsed:", 12))
			m->vmalloc_kb = atoll(line + 12);
	}
	fclose(f);
	if (m->slab_kb < 0 || m->vmalloc_kb < 0)
		die("/proc/meminfo lacks Slab or VmallocUsed");
	f = fopen("/proc/zoneinfo", "r");
	if (!f)
		die("cannot open /proc/zoneinfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " \t");
		if (!strncmp(p, "pages free", 10))
			pages += atoll(p + 10);
		else if (!strncmp(p, "count:", 6))
			pages += atoll(p + 6);
	}
	fclose(f);
	m->free_kb = pages * (SZ_4K / 1024);
}

/*
 * Give the empty slabs of every cache back (SLUB's "shrink"), so that a
 * framework's objects do not land in slabs another one just emptied and
 * the Slab delta counts what it allocated.
 */
static bool slab_shrink(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir = opendir("/sys/kernel/slab");

	if (!dir)
		return false;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", de->d_name);
		sysfs_write(path, "1");
	}
	closedir(dir);
	return true;
}

/* ---- PCI: the edus and their drivers ---- */

/* The edus alone in their IOMMU group, in bus order, into @bdfs. */
static int find_edus(char bdfs[][32], int max)
{
	char path[PATH_MAX];
	struct dirent **list;
	int i, n, found = 0;

	n = scandir(PCI_DEVICES, &list, NULL, alphasort);
	if (n < 0)
		die("cannot list " PCI_DEVICES ": %s", strerror(errno));
	for (i = 0; i < n; i++) {
		const char *d = list[i]->d_name;

		snprintf(path, sizeof(path), PCI_DEVICES "/%s/vendor", d);
		if (d[0] == '.' || read_ll(path) != (EDU_ID & 0xffff))
			goto next;
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/device", d);
		if (read_ll(path) != EDU_ID >> 16)
			goto next;
		if (iommu_group_size(pci_iommu_group(d)) != 1) {
			warn("edu %s is not alone in its IOMMU group: not used", d);
			goto next;
		}
		if (found < max)
			snprintf(bdfs[found++], 32, "%s", d);
next:
		free(list[i]);
	}
	free(list);
	return found;
}

/* Bind @bdf to @drv as an administrator does: driver_override, probe. */
static void bind_to(const char *bdf, const char *drv)
{
	char path[PATH_MAX], cur[64];

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s", drv);
	if (access(path, F_OK))
		die("driver %s is not loaded (no %s)", drv, path);
	pci_driver_of(bdf, cur, sizeof(cur));
	if (!strcmp(cur, drv))
		return;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	must_write(path, drv);
	if (cur[0]) {
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver/unbind", bdf);
		must_write(path, bdf);
	}
	sysfs_write("/sys/bus/pci/drivers_probe", bdf);
	pci_driver_of(bdf, cur, sizeof(cur));
	if (strcmp(cur, drv))
		die("%s: bound to '%s' after driver_override=%s and drivers_probe",
		    bdf, cur[0] ? cur : "no driver", drv);
}

/* Raise a module parameter to at least @want (a default, not a cost). */
static void raise_param(const char *path, long long want)
{
	long long cur = read_ll(path);
	char val[32];

	if (cur < 0)
		die("cannot read %s", path);
	if (cur >= want)
		return;
	snprintf(val, sizeof(val), "%lld", want);
	must_write(path, val);
	printf("info: raised %s from %lld to %lld\n", path, cur, want);
}

/* ---- the frameworks ---- */

enum { FW_IOPASS, FW_TYPE1, FW_IOMMUFD, FW_FLOOR, NR_FW };
/* --front: the type1 slot is iopass_vfio.ko's container, named "front". */
static const char *fw_name[NR_FW] = { "iopass", "type1", "iommufd", "floor" };
static bool opt_front;

struct fw {
	bool on;		/* measured in this kernel */
	char bdf[32];		/* its edu (not the floor) */
	int fd;			/* context, container, iommufd, io_uring */
	int dev;		/* device fd */
	int group;		/* type1: the group fd */
	__u32 ioas;
	char sysfs[PATH_MAX];	/* iopass: the device's sysfs directory */
	void (*map)(struct fw *f, void *va, __u64 len, __u64 iova);
	void (*unmap)(struct fw *f, __u64 iova, __u64 len);
};

static struct fw fws[NR_FW];

static void __attribute__((noreturn)) map_failed(struct fw *f, __u64 len, __u64 iova)
{
	die("%s: map of %llu bytes at IOVA 0x%llx: %s", fw_name[f - fws],
	    (unsigned long long)len, (unsigned long long)iova, strerror(errno));
}

static void unmap_check(struct fw *f, int ret, __u64 iova, __u64 len, __u64 done)
{
	if (ret)
		die("%s: unmap of %llu bytes at IOVA 0x%llx: %s", fw_name[f - fws],
		    (unsigned long long)len, (unsigned long long)iova, strerror(errno));
	if (done != len)
		die("%s: unmap of %llu bytes at IOVA 0x%llx unmapped %llu", fw_name[f - fws],
		    (unsigned long long)len, (unsigned long long)iova,
		    (unsigned long long)done);
}

static void iopass_map(struct fw *f, void *va, __u64 len, __u64 iova)
{
	struct iopass_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOPASS_MAP_FIXED_IOVA | IOPASS_MAP_READABLE | IOPASS_MAP_WRITEABLE,
		.ioas_id = f->ioas, .user_va = (uintptr_t)va, .length = len, .iova = iova,
	};

	if (ioctl(f->fd, IOPASS_IOAS_MAP, &cmd))
		map_failed(f, len, iova);
}

static void iopass_unmap(struct fw *f, __u64 iova, __u64 len)
{
	struct iopass_ioas_unmap cmd = {
		.size = sizeof(cmd), .ioas_id = f->ioas, .iova = iova, .length = len,
	};
	int ret = ioctl(f->fd, IOPASS_IOAS_UNMAP, &cmd);

	unmap_check(f, ret, iova, len, cmd.length);
}

static void type1_map(struct fw *f, void *va, __u64 len, __u64 iova)
{
	struct vfio_iommu_type1_dma_map cmd = {
		.argsz = sizeof(cmd),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va, .iova = iova, .size = len,
	};

	if (ioctl(f->fd, VFIO_IOMMU_MAP_DMA, &cmd))
		map_failed(f, len, iova);
}

static void type1_unmap(struct fw *f, __u64 iova, __u64 len)
{
	struct vfio_iommu_type1_dma_unmap cmd = {
		.argsz = sizeof(cmd), .iova = iova, .size = len,
	};
	int ret = ioctl(f->fd, VFIO_IOMMU_UNMAP_DMA, &cmd);

	unmap_check(f, ret, iova, len, cmd.size);
}

#if HAVE_IOMMUFD
static void iommufd_map(struct fw *f, void *va, __u64 len, __u64 iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = f->ioas, .user_va = (uintptr_t)va, .length = len, .iova = iova,
	};

	if (ioctl(f->fd, IOMMU_IOAS_MAP, &cmd))
		map_failed(f, len, iova);
}

static void iommufd_unmap(struct fw *f, __u64 iova, __u64 len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd), .ioas_id = f->ioas, .iova = iova, .length = len,
	};
	int ret = ioctl(f->fd, IOMMU_IOAS_UNMAP, &cmd);

	unmap_check(f, ret, iova, len, cmd.length);
}
#endif

/* The floor pins through io_uring: at most 1 GiB per iovec. */
static void floor_map(struct fw *f, void *va, __u64 len, __u64 iova)
{
	struct iovec iov[MAX_LEN / SZ_1G];
	unsigned int n = 0;
	__u64 off;

	for (off = 0; off < len; off += SZ_1G, n++) {
		iov[n].iov_base = (char *)va + off;
		iov[n].iov_len = len - off < SZ_1G ? len - off : SZ_1G;
	}
	if (syscall(__NR_io_uring_register, f->fd, IORING_REGISTER_BUFFERS, iov, n))
		map_failed(f, len, iova);
}

static void floor_unmap(struct fw *f, __u64 iova, __u64 len)
{
	int ret = syscall(__NR_io_uring_register, f->fd, IORING_UNREGISTER_BUFFERS, NULL, 0);

	unmap_check(f, ret, iova, len, len);
}

static void setup_iopass(struct fw *f)
{
	struct iopass_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iopass_device_attach attach = { .size = sizeof(attach) };
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	bind_to(f->bdf, "iopass-pci");
	snprintf(path, sizeof(path), PCI_DEVICES "/%s", f->bdf);
	dir = opendir(path);
	if (!dir)
		die("cannot open %s: %s", path, strerror(errno));
	path[0] = 0;
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, "iopass", 6) && strcmp(de->d_name, "iopass-pci")) {
			snprintf(path, sizeof(path), "/dev/%s", de->d_name);
			snprintf(f->sysfs, sizeof(f->sysfs), PCI_DEVICES "/%s/%s", f->bdf,
				 de->d_name);
			break;
		}
	closedir(dir);
	if (!path[0])
		die("%s is bound to iopass-pci but has no iopass device", f->bdf);
	f->dev = open(path, O_RDWR | O_CLOEXEC);
	if (f->dev < 0)
		die("cannot open %s: %s", path, strerror(errno));
	f->fd = open("/dev/iopass", O_RDWR | O_CLOEXEC);
	if (f->fd < 0)
		die("cannot open /dev/iopass: %s", strerror(errno));
	if (ioctl(f->fd, IOPASS_IOAS_ALLOC, &alloc))
		die("iopass: IOPASS_IOAS_ALLOC: %s", strerror(errno));
	f->ioas = alloc.out_ioas_id;
	attach.ctx_fd = f->fd;
	attach.ioas_id = f->ioas;
	if (ioctl(f->dev, IOPASS_DEVICE_ATTACH, &attach))
		die("iopass: IOPASS_DEVICE_ATTACH of %s: %s", f->bdf, strerror(errno));
	raise_param("/sys/module/iopass/parameters/max_mappings", opt_many);
	f->map = iopass_map;
	f->unmap = iopass_unmap;
	f->on = true;
}

static void setup_type1(struct fw *f)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];
	int group;

	if (opt_front) {
		/* iopass_vfio serves the same UAPI for iopass-pci's devices. */
		bind_to(f->bdf, "iopass-pci");
	} else {
		bind_to(f->bdf, "vfio-pci");
		/* The container takes the limit when it is opened. */
		raise_param("/sys/module/vfio_iommu_type1/parameters/dma_entry_limit",
			    opt_many);
	}
	f->fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (f->fd < 0)
		die("cannot open /dev/vfio/vfio: %s", strerror(errno));
	if (ioctl(f->fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		die("type1: unexpected VFIO API version");
	if (ioctl(f->fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
		die("type1: the container has no VFIO_TYPE1v2_IOMMU");
	group = pci_iommu_group(f->bdf);
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	f->group = open(path, O_RDWR | O_CLOEXEC);
	if (f->group < 0)
		die("cannot open %s: %s", path, strerror(errno));
	if (ioctl(f->group, VFIO_GROUP_GET_STATUS, &status))
		die("type1: VFIO_GROUP_GET_STATUS: %s", strerror(errno));
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("type1: group %d is not viable", group);
	if (ioctl(f->group, VFIO_GROUP_SET_CONTAINER, &f->fd))
		die("type1: VFIO_GROUP_SET_CONTAINER: %s", strerror(errno));
	if (ioctl(f->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("type1: VFIO_SET_IOMMU: %s", strerror(errno));
	f->dev = ioctl(f->group, VFIO_GROUP_GET_DEVICE_FD, f->bdf);
	if (f->dev < 0)
		die("type1: VFIO_GROUP_GET_DEVICE_FD %s: %s", f->bdf, strerror(errno));
	f->map = type1_map;
	f->unmap = type1_unmap;
	f->on = true;
}

/* Whether this kernel has iommufd and the vfio device cdev. */
static bool have_iommufd(const char *bdf)
{
	char path[PATH_MAX];

	if (access("/dev/iommu", F_OK))
		return false;
	if (!HAVE_IOMMUFD)
		die("this kernel has /dev/iommu but iopass-bench was built without the "
		    "iommufd UAPI headers (tools/bench/Makefile copies them from linux-source-6.12)");
	bind_to(bdf, "vfio-pci");
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/vfio-dev", bdf);
	if (access(path, F_OK)) {
		warn("this kernel has /dev/iommu but no vfio device cdev: iommufd not measured");
		return false;
	}
	return true;
}

static void setup_iommufd(struct fw *f)
{
#if HAVE_IOMMUFD
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/vfio-dev", f->bdf);
	dir = opendir(path);
	if (!dir)
		die("cannot open %s: %s", path, strerror(errno));
	path[0] = 0;
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, "vfio", 4))
			snprintf(path, sizeof(path), "/dev/vfio/devices/%s", de->d_name);
	closedir(dir);
	if (!path[0])
		die("%s has no vfio device cdev", f->bdf);
	f->dev = open(path, O_RDWR | O_CLOEXEC);
	if (f->dev < 0)
		die("cannot open %s: %s", path, strerror(errno));
	f->fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (f->fd < 0)
		die("cannot open /dev/iommu: %s", strerror(errno));
	if (ioctl(f->fd, IOMMU_IOAS_ALLOC, &alloc))
		die("iommufd: IOMMU_IOAS_ALLOC: %s", strerror(errno));
	f->ioas = alloc.out_ioas_id;
	bind.iommufd = f->fd;
	if (ioctl(f->dev, VFIO_DEVICE_BIND_IOMMUFD, &bind))
		die("iommufd: VFIO_DEVICE_BIND_IOMMUFD %s: %s", f->bdf, strerror(errno));
	attach.pt_id = f->ioas;
	if (ioctl(f->dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach))
		die("iommufd: VFIO_DEVICE_ATTACH_IOMMUFD_PT %s: %s", f->bdf, strerror(errno));
	f->map = iommufd_map;
	f->unmap = iommufd_unmap;
	f->on = true;
#else
	(void)f;
#endif
}

static void setup_floor(struct fw *f)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	f->fd = syscall(__NR_io_uring_setup, 1, &p);
	if (f->fd < 0)
		die("floor: io_uring_setup: %s", strerror(errno));
	f->map = floor_map;
	f->unmap = floor_unmap;
	f->on = true;
}

/* ---- counting IOTLB invalidations: intel_iommu/qi_submit ---- */

static char trace_dir[64];
#define QI_EVENT "events/intel_iommu/qi_submit"

static void trace_write(const char *file, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", trace_dir, file);
	must_write(path, val);
}

static void trace_setup(void)
{
	static const char * const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[PATH_MAX];
	unsigned int i;

	if (access("/sys/kernel/tracing/events", F_OK))
		mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/" QI_EVENT "/enable", dirs[i]);
		if (!access(path, F_OK)) {
			snprintf(trace_dir, sizeof(trace_dir), "%s", dirs[i]);
			break;
		}
	}
	if (!trace_dir[0]) {
		warn("no trace event intel_iommu/qi_submit: IOTLB invalidations not counted "
		     "(inv=na)");
		return;
	}
	trace_write("tracing_on", "0");
	trace_write(QI_EVENT "/enable", "0");
	/* IOTLB, device-IOTLB and PASID-IOTLB descriptors; not wait, IEC, context. */
	trace_write(QI_EVENT "/filter", "qw0 & 2");
	trace_write("buffer_size_kb", "16384");
}

static void trace_begin(void)
{
	char path[PATH_MAX];
	int fd;

	if (!trace_dir[0])
		return;
	trace_write("tracing_on", "0");
	snprintf(path, sizeof(path), "%s/trace", trace_dir);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);	/* empties every CPU's buffer */
	if (fd < 0)
		die("cannot reset %s: %s", path, strerror(errno));
	close(fd);
	trace_write(QI_EVENT "/enable", "1");
	trace_write("tracing_on", "1");
}

/* Events since trace_begin(): entries + overrun, summed over the CPUs. */
static long long trace_end(void)
{
	char path[PATH_MAX], line[128];
	long long total = 0;
	struct dirent *de;
	DIR *dir;
	FILE *f;

	if (!trace_dir[0])
		return -1;
	trace_write("tracing_on", "0");
	trace_write(QI_EVENT "/enable", "0");
	snprintf(path, sizeof(path), "%s/per_cpu", trace_dir);
	dir = opendir(path);
	if (!dir)
		die("cannot open %s: %s", path, strerror(errno));
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "cpu", 3))
			continue;
		snprintf(path, sizeof(path), "%s/per_cpu/%s/stats", trace_dir, de->d_name);
		f = fopen(path, "r");
		if (!f)
			die("cannot open %s: %s", path, strerror(errno));
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "entries:", 8) || !strncmp(line, "overrun:", 8))
				total += atoll(line + 8);
		fclose(f);
	}
	closedir(dir);
	return total;
}

/* iopass's own count of IOTLB flushes on the device's domain. */
static long long iopass_syncs(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/iotlb_syncs", fws[FW_IOPASS].sysfs);
	return read_ll(path);
}

/* ---- results ---- */

struct row {
	char name[32];
	const char *unit;		/* ms, us, bytes */
	int n;				/* timed samples per framework */
	bool have[NR_FW];
	double s[NR_FW][MAX_RUNS];
	double inv[NR_FW];		/* per operation; < 0: not counted */
	bool has_inv;
	double syncs;			/* iopass iotlb_syncs per operation, < 0: n/a */
};

static char cm[4];			/* "on" or "off" */

static void row_init(struct row *r, const char *name, const char *unit)
{
	int f;

	memset(r, 0, sizeof(*r));
	/* The front's rows are rows of their own in the report. */
	snprintf(r->name, sizeof(r->name), "%s%s", name, opt_front ? "+front" : "");
	r->unit = unit;
	r->syncs = -1;
	for (f = 0; f < NR_FW; f++)
		r->inv[f] = -1;
}

static void row_add(struct row *r, int f, int round, double v)
{
	if (round < 1)
		return;			/* the warm-up */
	r->s[f][round - 1] = v;
	r->have[f] = true;
	if (round > r->n)
		r->n = round;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double t[MAX_RUNS > 1000 ? MAX_RUNS : 1000];

	memcpy(t, v, n * sizeof(*v));
	qsort(t, n, sizeof(*t), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static void fmt_val(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.6g", v);
}

static void print_header(void)
{
	printf("\n%-17s %10s %10s %10s %10s %-5s %7s %7s %7s  %s\n", "row", "iopass",
	       fw_name[FW_TYPE1], "iommufd", "floor", "unit", "t1/iop", "fd/iop", "fl/iop",
	       "IOTLB inv per op (iopass type1 iommufd floor)");
	fflush(stdout);
}

static void print_row(const struct row *r)
{
	char human[512], machine[1024], v[32], *h = human, *m = machine;
	double med[NR_FW], ratio;
	int f, i;

	for (f = 0; f < NR_FW; f++)
		if (r->have[f])
			med[f] = median(r->s[f], r->n);
	if (!r->have[FW_IOPASS])
		die("%s: no iopass result", r->name);

	h += sprintf(h, "%-17s", r->name);
	m += sprintf(m, "bench: %s/cm-%s", r->name, cm);
	for (f = 0; f < NR_FW; f++) {
		if (!r->have[f]) {
			h += sprintf(h, " %10s", "-");
			continue;
		}
		fmt_val(v, sizeof(v), med[f]);
		h += sprintf(h, " %10s", v);
		m += sprintf(m, " %s=%s", fw_name[f], v);
	}
	h += sprintf(h, " %-5s", r->unit);
	for (f = FW_TYPE1; f < NR_FW; f++) {
		if (!r->have[f] || med[FW_IOPASS] <= 0) {
			h += sprintf(h, " %7s", r->have[f] ? "na" : "-");
			if (r->have[f])
				m += sprintf(m, " ratio_%s=na", fw_name[f]);
			continue;
		}
		ratio = med[f] / med[FW_IOPASS];
		h += sprintf(h, " %7.3f", ratio);
		m += sprintf(m, " ratio_%s=%.3f", fw_name[f], ratio);
	}
	m += sprintf(m, " unit=%s", r->unit);
	if (r->has_inv) {
		h += sprintf(h, " ");
		for (f = 0; f < NR_FW; f++) {
			if (!r->have[f])
				continue;
			if (r->inv[f] < 0)
				snprintf(v, sizeof(v), "na");
			else
				fmt_val(v, sizeof(v), r->inv[f]);
			h += sprintf(h, " %s", v);
			m += sprintf(m, " inv_%s=%s", fw_name[f], v);
		}
		if (r->syncs >= 0) {
			fmt_val(v, sizeof(v), r->syncs);
			m += sprintf(m, " syncs_iopass=%s", v);
		}
	}
	printf("%s\n", human);
	/* The samples, for judging the spread. */
	for (f = 0; f < NR_FW; f++) {
		if (!r->have[f])
			continue;
		printf("detail: %s/cm-%s %s", r->name, cm, fw_name[f]);
		for (i = 0; i < r->n; i++) {
			fmt_val(v, sizeof(v), r->s[f][i]);
			printf(" %s", v);
		}
		printf("\n");
	}
	printf("%s\n", machine);
	fflush(stdout);
}

/* ---- counting passes: one untimed pass per framework ---- */

static long long count_syncs0;

static void count_begin(int f)
{
	if (f == FW_IOPASS)
		count_syncs0 = iopass_syncs();
	trace_begin();
}

/* Record the invalidations of @ops operations of framework @f in @r. */
static void count_end(struct row *r, int f, double ops)
{
	long long n = trace_end();

	r->has_inv = true;
	r->inv[f] = n < 0 ? -1 : n / ops;
	if (f == FW_IOPASS && count_syncs0 >= 0)
		r->syncs = (iopass_syncs() - count_syncs0) / ops;	/* a double */
}

/* ---- buffers ---- */

enum buf_kind { BUF_4K_SEQ, BUF_4K_FRAG, BUF_THP, BUF_HUGE };

struct buf {
	void *va;
	__u64 len;
	void *map_va;		/* what munmap takes */
	__u64 map_len;
	__u64 pfn_hash;		/* of the physical layout when faulted in */
};

/* FNV-1a of the PFNs of [va, va + len); fills the contiguity stats. */
static bool layout(void *va, __u64 len, __u64 *hash, double *contig, long long *runs)
{
	static __u64 e[4096];
	__u64 pages = len / SZ_4K, i = 0, prev = 0, same = 0;
	long long nruns = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	*hash = 1469598103934665603ULL;
	while (i < pages) {
		size_t n = pages - i < ARRAY_SIZE(e) ? pages - i : ARRAY_SIZE(e), j;
		off_t off = ((uintptr_t)va / SZ_4K + i) * sizeof(__u64);

		if (pread(fd, e, n * sizeof(__u64), off) != (ssize_t)(n * sizeof(__u64))) {
			close(fd);
			return false;
		}
		for (j = 0; j < n; j++, i++) {
			__u64 pfn = e[j] & ((1ULL << 55) - 1);

			if (!(e[j] >> 63) || !pfn) {	/* not present, or PFNs hidden */
				close(fd);
				return false;
			}
			if (i && pfn == prev + 1)
				same++;
			else
				nruns++;
			prev = pfn;
			*hash = (*hash ^ pfn) * 1099511628211ULL;
		}
	}
	close(fd);
	*contig = pages > 1 ? (double)same / (pages - 1) : 1;
	*runs = nruns;
	return true;
}

static const char * const buf_name[] = { "4k-seq", "4k-frag", "thp", "huge" };

/* A buffer for row @row, its layout reported (but for a single page). */
static void buf_alloc(struct buf *b, enum buf_kind kind, __u64 len, const char *row)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	long long runs;
	double contig;
	__u64 off;
	char *p;

	memset(b, 0, sizeof(*b));
	b->len = len;
	b->map_len = len;
	if (kind == BUF_HUGE)
		flags |= MAP_HUGETLB;
	if (kind == BUF_THP)
		b->map_len += SZ_2M;
	b->map_va = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (b->map_va == MAP_FAILED) {
		if (kind == BUF_HUGE)
			die("cannot allocate %llu MiB of hugetlbfs 2 MiB pages (pool: %lld pages; "
			    "the kernel command line's hugepages=): %s", len >> 20,
			    read_ll("/proc/sys/vm/nr_hugepages"), strerror(errno));
		die("cannot allocate %llu MiB: %s", len >> 20, strerror(errno));
	}
	b->va = b->map_va;
	if (kind == BUF_THP)
		b->va = (void *)(((uintptr_t)b->map_va + SZ_2M - 1) & ~(uintptr_t)(SZ_2M - 1));
	if (kind == BUF_4K_SEQ || kind == BUF_4K_FRAG) {
		if (madvise(b->va, len, MADV_NOHUGEPAGE))
			die("madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
	} else if (kind == BUF_THP) {
		if (madvise(b->va, len, MADV_HUGEPAGE))
			die("madvise(MADV_HUGEPAGE): %s", strerror(errno));
	}
	/*
	 * Pre-fault in ascending order: mostly physically contiguous on a
	 * fresh machine.  The fragmented layout: the even pages, then the odd
	 * ones, so that neighbours come from different stretches of the
	 * allocator's output whichever way it hands pages out (descending
	 * order, which fragments on 6.1, comes out contiguous on 6.12 after
	 * a buffer was freed: its per-CPU lists give pages back LIFO).
	 */
	p = b->va;
	if (kind == BUF_4K_FRAG) {
		for (off = 0; off < len; off += 2 * SZ_4K)
			p[off] = 1;
		for (off = SZ_4K; off < len; off += 2 * SZ_4K)
			p[off] = 1;
	} else {
		for (off = 0; off < len; off += SZ_4K)
			p[off] = 1;
	}
	if (!layout(b->va, len, &b->pfn_hash, &contig, &runs)) {
		warn("cannot read /proc/self/pagemap: the physical layout is not checked");
		return;
	}
	if (len > SZ_4K)
		printf("bench: layout %s/cm-%s contiguous=%.4f runs=%lld pages=%llu\n", row, cm,
		       contig, runs, len / SZ_4K);
	if (kind == BUF_4K_FRAG && contig > 0.05)
		warn("%s: %.1f%% of neighbouring pages are physically contiguous: not fragmented",
		     row, contig * 100);
}

static void thp_check(struct buf *b)
{
	char line[256];
	unsigned long start, end;
	bool in = false;
	long long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		die("cannot open /proc/self/smaps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, ' ') &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = start <= (uintptr_t)b->va && (uintptr_t)b->va < end;
			continue;
		}
		if (in && !strncmp(line, "AnonHugePages:", 14))
			kb = atoll(line + 14);
	}
	fclose(f);
	if (kb * 1024 < (long long)b->len)
		warn("thp: transparent huge pages back only %lld of %llu KiB of the buffer", kb,
		     b->len >> 10);
	else
		printf("info: thp: %lld KiB of AnonHugePages back the buffer\n", kb);
}

/* Whether the buffer's pages stayed where they were (compaction). */
static void buf_free(struct buf *b, const char *row)
{
	long long runs;
	double contig;
	__u64 hash;

	if (b->pfn_hash && layout(b->va, b->len, &hash, &contig, &runs) && hash != b->pfn_hash)
		warn("%s: the buffer's physical pages moved during the row", row);
	munmap(b->map_va, b->map_len);
}

/* ---- the rows ---- */

static bool want_row(const char *name)
{
	const char *p = opt_rows;
	size_t n = strlen(name);

	if (!strcmp(opt_rows, "all"))
		return true;
	while ((p = strstr(p, name))) {
		if ((p == opt_rows || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

/*
 * The frameworks below @limit (FW_*) that this kernel has, in the order
 * round @round runs them: interleaved, and the first one moves along each
 * round, so that none is always first.  Returns how many, in @order.
 */
static int round_order(int round, int limit, int *order)
{
	int avail[NR_FW], n = 0, f, i;

	for (f = 0; f < limit; f++)
		if (fws[f].on)
			avail[n++] = f;
	for (i = 0; i < n; i++)
		order[i] = avail[(i + round) % n];
	return n;
}

/* Rows 1-4: map and unmap the whole buffer at one fixed IOVA. */
static void row_map_unmap(enum buf_kind kind)
{
	int round, f, n, k, order[NR_FW];
	struct row map, unmap;
	char name[32];
	struct buf b;
	__u64 t0, t1, t2;

	if (!want_row(buf_name[kind]))
		return;
	buf_alloc(&b, kind, opt_size, buf_name[kind]);
	if (kind == BUF_THP)
		thp_check(&b);
	snprintf(name, sizeof(name), "map-%s", buf_name[kind]);
	row_init(&map, name, "ms");
	snprintf(name, sizeof(name), "unmap-%s", buf_name[kind]);
	row_init(&unmap, name, "ms");
	for (round = 0; round <= opt_runs; round++) {
		n = round_order(round, NR_FW, order);
		for (k = 0; k < n; k++) {
			f = order[k];
			t0 = now_ns();
			fws[f].map(&fws[f], b.va, b.len, IOVA_BASE);
			t1 = now_ns();
			fws[f].unmap(&fws[f], IOVA_BASE, b.len);
			t2 = now_ns();
			row_add(&map, f, round, (t1 - t0) / 1e6);
			row_add(&unmap, f, round, (t2 - t1) / 1e6);
		}
	}
	for (f = 0; f < NR_FW; f++) {
		if (!fws[f].on)
			continue;
		count_begin(f);
		fws[f].map(&fws[f], b.va, b.len, IOVA_BASE);
		count_end(&map, f, 1);
		count_begin(f);
		fws[f].unmap(&fws[f], IOVA_BASE, b.len);
		count_end(&unmap, f, 1);
	}
	buf_free(&b, map.name);
	print_row(&map);
	print_row(&unmap);
}

/*
 * --rt-iters round trips of @f, or as many as fit in RT_BUDGET_NS (a
 * framework as slow as 6.1's io_uring unregister, which waits for an RCU
 * grace period, would take minutes); returns how many, their time in @ns.
 */
#define RT_BUDGET_NS	2000000000ULL

static int rt_loop(struct fw *f, void *va, __u64 *ns)
{
	__u64 t0 = now_ns();
	int i = 0;

	while (i < opt_rt_iters) {
		f->map(f, va, SZ_4K, IOVA_BASE);
		f->unmap(f, IOVA_BASE, SZ_4K);
		if (!(++i % 16) && now_ns() - t0 > RT_BUDGET_NS)
			break;
	}
	*ns = now_ns() - t0;
	return i;
}

/* Row 5: one 4 KiB map + unmap round trip, the mean of each round. */
static void row_rt(void)
{
	bool cut[NR_FW] = { false };
	struct row r;
	int round, f, n, k, nf, order[NR_FW];
	struct buf b;
	__u64 ns;

	if (!want_row("rt-4k"))
		return;
	buf_alloc(&b, BUF_4K_SEQ, SZ_4K, "rt-4k");
	row_init(&r, "rt-4k", "us");
	for (round = 0; round <= opt_runs; round++) {
		nf = round_order(round, NR_FW, order);
		for (k = 0; k < nf; k++) {
			f = order[k];
			n = rt_loop(&fws[f], b.va, &ns);
			row_add(&r, f, round, ns / 1e3 / n);
			if (n < opt_rt_iters && !cut[f]) {
				printf("info: rt-4k: %s did %d of %d round trips in %llu s\n",
				       fw_name[f], n, opt_rt_iters, RT_BUDGET_NS / 1000000000ULL);
				cut[f] = true;
			}
		}
	}
	for (f = 0; f < NR_FW; f++) {
		if (!fws[f].on)
			continue;
		count_begin(f);
		n = rt_loop(&fws[f], b.va, &ns);
		count_end(&r, f, n);
	}
	buf_free(&b, r.name);
	print_row(&r);
}

/*
 * Where round @round of many-4k maps: a range no round used before, so
 * that every framework allocates the IOMMU page tables of its mappings
 * (an unmap that leaves them in place, as 4 KiB unmaps do, would let the
 * next round reuse them for free).
 */
static __u64 many_iova(int round, __u64 len)
{
	__u64 stride = (len + SZ_1G - 1) & ~(SZ_1G - 1);

	return 64 * SZ_1G + round * stride;
}

/* Row 6: many separate 4 KiB mappings; their time and kernel memory. */
static void row_many(void)
{
	struct row map, unmap, mem, memfree;
	struct meminfo a, z;
	int round, f, i, n, k, order[NR_FW];
	__u64 t0, t1, iova, len = (__u64)opt_many * SZ_4K;
	struct buf b;
	bool shrink;

	if (!want_row("many-4k"))
		return;
	buf_alloc(&b, BUF_4K_SEQ, len, "many-4k");
	row_init(&map, "many-4k-map", "us");
	row_init(&unmap, "many-4k-unmap", "ms");
	row_init(&mem, "many-4k-mem", "bytes");
	row_init(&memfree, "many-4k-memfree", "bytes");
	shrink = slab_shrink();
	if (!shrink)
		warn("no /sys/kernel/slab: many-4k-mem counts slabs other frameworks emptied");
	for (round = 0; round <= opt_runs; round++) {
		n = round_order(round, FW_FLOOR, order);	/* not the floor */
		for (k = 0; k < n; k++) {
			f = order[k];
			iova = many_iova(round, len);
			slab_shrink();
			meminfo(&a);
			t0 = now_ns();
			for (i = 0; i < opt_many; i++)
				fws[f].map(&fws[f], (char *)b.va + i * SZ_4K, SZ_4K,
					   iova + i * SZ_4K);
			t1 = now_ns();
			slab_shrink();
			meminfo(&z);
			row_add(&map, f, round, (t1 - t0) / 1e3 / opt_many);
			row_add(&mem, f, round, (z.slab_kb - a.slab_kb + z.vmalloc_kb -
						 a.vmalloc_kb) * 1024.0 / opt_many);
			row_add(&memfree, f, round, (a.free_kb - z.free_kb) * 1024.0 / opt_many);
			t0 = now_ns();
			fws[f].unmap(&fws[f], iova, len);
			row_add(&unmap, f, round, (now_ns() - t0) / 1e6);
		}
	}
	for (f = 0; f < FW_FLOOR; f++) {
		if (!fws[f].on)
			continue;
		iova = many_iova(opt_runs + 1, len);
		count_begin(f);
		for (i = 0; i < opt_many; i++)
			fws[f].map(&fws[f], (char *)b.va + i * SZ_4K, SZ_4K, iova + i * SZ_4K);
		count_end(&map, f, opt_many);
		count_begin(f);
		fws[f].unmap(&fws[f], iova, len);
		count_end(&unmap, f, 1);
	}
	buf_free(&b, map.name);
	print_row(&map);
	print_row(&unmap);
	print_row(&mem);
	print_row(&memfree);
}

/* ---- row 7: edu MSI -> eventfd ---- */

struct msi {
	void *bar;
	size_t bar_len;
	int efd;
	int irq;
};

static volatile __u32 *reg(void *bar, unsigned int off)
{
	return (volatile __u32 *)((char *)bar + off);
}

static void msi_alarm(int sig)
{
	static const char msg[] = "bench: error msi-wake: no MSI arrived within 30 s\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

/* Steer the MSI of @bdf to @cpu; returns its IRQ. */
static int msi_affinity(const char *bdf, int cpu)
{
	char path[PATH_MAX], val[16];
	struct dirent *de;
	int irq = -1;
	DIR *dir;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/msi_irqs", bdf);
	dir = opendir(path);
	if (!dir)
		die("msi-wake: %s has no msi_irqs: %s", bdf, strerror(errno));
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.')
			irq = atoi(de->d_name);
	closedir(dir);
	if (irq < 0)
		die("msi-wake: %s has MSI enabled but no IRQ in %s", bdf, path);
	snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", irq);
	snprintf(val, sizeof(val), "%d", cpu);
	must_write(path, val);
	return irq;
}

static void msi_setup_iopass(struct fw *f, struct msi *m)
{
	struct iopass_region_info ri = { .size = sizeof(ri), .index = IOPASS_REGION_BAR0 };
	struct iopass_set_irqs set = {
		.size = sizeof(set), .flags = IOPASS_IRQ_SET_EVENTFD,
		.index = IOPASS_IRQ_MSI, .count = 1,
	};
	off_t cfg = IOPASS_REGION_OFFSET(IOPASS_REGION_CONFIG) + PCI_COMMAND;
	__u16 cmd;

	if (pread(f->dev, &cmd, 2, cfg) != 2)
		die("iopass: read of the command register: %s", strerror(errno));
	cmd |= PCI_COMMAND_MEMORY_MASTER;	/* an MSI is a DMA write */
	if (pwrite(f->dev, &cmd, 2, cfg) != 2)
		die("iopass: write of the command register: %s", strerror(errno));
	if (ioctl(f->dev, IOPASS_DEVICE_REGION_INFO, &ri))
		die("iopass: IOPASS_DEVICE_REGION_INFO BAR0: %s", strerror(errno));
	m->bar_len = ri.region_size;
	m->bar = mmap(NULL, m->bar_len, PROT_READ | PROT_WRITE, MAP_SHARED, f->dev, ri.offset);
	if (m->bar == MAP_FAILED)
		die("iopass: mmap of BAR0: %s", strerror(errno));
	m->efd = eventfd(0, EFD_CLOEXEC);
	if (m->efd < 0)
		die("eventfd: %s", strerror(errno));
	set.eventfds = (uintptr_t)&m->efd;
	if (ioctl(f->dev, IOPASS_DEVICE_SET_IRQS, &set))
		die("iopass: IOPASS_DEVICE_SET_IRQS MSI: %s", strerror(errno));
}

static void msi_setup_vfio(struct fw *f, struct msi *m)
{
	struct vfio_region_info cfg = {
		.argsz = sizeof(cfg), .index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	struct vfio_region_info bar = {
		.argsz = sizeof(bar), .index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	union {
		struct vfio_irq_set set;
		char buf[sizeof(struct vfio_irq_set) + sizeof(int)];
	} u;
	__u16 cmd;

	if (ioctl(f->dev, VFIO_DEVICE_GET_REGION_INFO, &cfg) ||
	    ioctl(f->dev, VFIO_DEVICE_GET_REGION_INFO, &bar))
		die("type1: VFIO_DEVICE_GET_REGION_INFO: %s", strerror(errno));
	if (!(bar.flags & VFIO_REGION_INFO_FLAG_MMAP))
		die("type1: vfio-pci does not let BAR0 be mapped");
	if (pread(f->dev, &cmd, 2, cfg.offset + PCI_COMMAND) != 2)
		die("type1: read of the command register: %s", strerror(errno));
	cmd |= PCI_COMMAND_MEMORY_MASTER;
	if (pwrite(f->dev, &cmd, 2, cfg.offset + PCI_COMMAND) != 2)
		die("type1: write of the command register: %s", strerror(errno));
	m->bar_len = bar.size;
	m->bar = mmap(NULL, m->bar_len, PROT_READ | PROT_WRITE, MAP_SHARED, f->dev, bar.offset);
	if (m->bar == MAP_FAILED)
		die("type1: mmap of BAR0: %s", strerror(errno));
	m->efd = eventfd(0, EFD_CLOEXEC);
	if (m->efd < 0)
		die("eventfd: %s", strerror(errno));
	memset(&u, 0, sizeof(u));
	u.set.argsz = sizeof(u);
	u.set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	u.set.index = VFIO_PCI_MSI_IRQ_INDEX;
	u.set.count = 1;
	memcpy(u.set.data, &m->efd, sizeof(int));
	if (ioctl(f->dev, VFIO_DEVICE_SET_IRQS, &u.set))
		die("type1: VFIO_DEVICE_SET_IRQS MSI: %s", strerror(errno));
}

static void msi_teardown(struct fw *f, struct msi *m)
{
	if (f == &fws[FW_IOPASS]) {
		struct iopass_set_irqs set = {
			.size = sizeof(set), .flags = IOPASS_IRQ_SET_EVENTFD,
			.index = IOPASS_IRQ_MSI, .count = 0,
		};

		if (ioctl(f->dev, IOPASS_DEVICE_SET_IRQS, &set))
			die("iopass: disabling MSI: %s", strerror(errno));
	} else {
		struct vfio_irq_set set = {
			.argsz = sizeof(set), .index = VFIO_PCI_MSI_IRQ_INDEX,
			.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		};

		if (ioctl(f->dev, VFIO_DEVICE_SET_IRQS, &set))
			die("type1: disabling MSI: %s", strerror(errno));
	}
	munmap(m->bar, m->bar_len);
	close(m->efd);
}

/* Median latency in us of @iters raises, each until the eventfd read returns. */
static double msi_round(struct msi *m, int iters, double *lat)
{
	__u64 t0, val;
	__u32 status;
	int i;

	alarm(30);
	for (i = 0; i < iters; i++) {
		t0 = now_ns();
		*reg(m->bar, EDU_IRQ_RAISE) = 1;
		if (read(m->efd, &val, sizeof(val)) != sizeof(val))
			die("msi-wake: eventfd read: %s", strerror(errno));
		lat[i] = (now_ns() - t0) / 1e3;
		status = *reg(m->bar, EDU_IRQ_STATUS);
		*reg(m->bar, EDU_IRQ_ACK) = status;
	}
	alarm(0);
	return median(lat, iters);
}

static void row_msi(int bench_cpu)
{
	static const int peers[] = { FW_IOPASS, FW_TYPE1 };
	int round, f, cpu, n, k, order[NR_FW];
	struct msi m[NR_FW];
	double lat[1000];
	struct row r;
	unsigned int p;

	if (!want_row("msi-wake"))
		return;
	/* The MSIs on another CPU than ours: the read sleeps and is woken. */
	cpu = opt_msi_cpu >= 0 ? opt_msi_cpu : sysconf(_SC_NPROCESSORS_ONLN) > 1 ? !bench_cpu :
		bench_cpu;
	signal(SIGALRM, msi_alarm);
	row_init(&r, "msi-wake", "us");
	msi_setup_iopass(&fws[FW_IOPASS], &m[FW_IOPASS]);
	msi_setup_vfio(&fws[FW_TYPE1], &m[FW_TYPE1]);
	for (p = 0; p < ARRAY_SIZE(peers); p++) {
		f = peers[p];
		m[f].irq = msi_affinity(fws[f].bdf, cpu);
		printf("info: msi-wake: %s MSI is IRQ %d on CPU %d; the reader runs on CPU %d\n",
		       fw_name[f], m[f].irq, cpu, bench_cpu);
	}
	for (round = 0; round <= opt_runs; round++) {
		n = round_order(round, FW_TYPE1 + 1, order);
		for (k = 0; k < n; k++) {
			f = order[k];
			row_add(&r, f, round, msi_round(&m[f], opt_msi_iters, lat));
		}
	}
	for (p = 0; p < ARRAY_SIZE(peers); p++) {
		f = peers[p];
		count_begin(f);
		msi_round(&m[f], opt_msi_iters, lat);
		count_end(&r, f, opt_msi_iters);
		msi_teardown(&fws[f], &m[f]);
	}
	print_row(&r);
}

/* ---- main ---- */

static unsigned long long parse_size(const char *s)
{
	static const char units[] = "KMG";
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	const char *u = *end ? strchr(units, *end & ~0x20) : NULL;

	if (u) {
		v <<= 10 * (u - units + 1);
		end++;
	}
	if (*end || !v)
		die("bad size '%s'", s);
	return v;
}

static const char * const row_names[] = {
	"4k-seq", "4k-frag", "thp", "huge", "rt-4k", "many-4k", "msi-wake",
};

static void usage(void)
{
	fprintf(stderr,
		"usage: iopass-bench [--size BYTES[K|M|G]] [--runs N] [--cm on|off]\n"
		"                    [--rows ROW,...] [--rt-iters N] [--msi-iters N]\n"
		"                    [--many N] [--msi-cpu CPU] [--front]\n"
		"--front: iopass against its own VFIO front (iopass_vfio.ko) instead of\n"
		"         the kernel's VFIO; rows are named <row>+front\n"
		"rows: 4k-seq 4k-frag thp huge rt-4k many-4k msi-wake (default: all)\n");
	die("bad command line");
}

/* Every name in --rows is a row's. */
static void check_rows(void)
{
	char list[256], *name, *save;
	unsigned int i;

	if (!strcmp(opt_rows, "all"))
		return;
	snprintf(list, sizeof(list), "%s", opt_rows);
	for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < ARRAY_SIZE(row_names); i++)
			if (!strcmp(name, row_names[i]))
				break;
		if (i == ARRAY_SIZE(row_names))
			die("--rows: no row '%s' (rows: 4k-seq 4k-frag thp huge rt-4k many-4k "
			    "msi-wake)", name);
	}
}

/* How long a row took (for choosing --size and --runs). */
static void row_took(const char *row, __u64 *t0)
{
	__u64 now = now_ns();

	if (want_row(row))
		printf("info: %s took %.1f s\n", row, (now - *t0) / 1e9);
	*t0 = now;
}

/* VT-d caching mode: bit 7 of the capability register. */
static void caching_mode(void)
{
	char buf[64];
	unsigned long long cap;

	if (sysfs_read("/sys/class/iommu/dmar0/intel-iommu/cap", buf, sizeof(buf)))
		die("no VT-d IOMMU (/sys/class/iommu/dmar0): is intel_iommu=on?");
	cap = strtoull(buf, NULL, 16);
	snprintf(cm, sizeof(cm), "%s", cap & (1ULL << 7) ? "on" : "off");
	if (opt_cm && strcmp(opt_cm, cm))
		die("VT-d caching mode is %s, not %s as asked", cm, opt_cm);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'r' },
		{ "cm", required_argument, NULL, 'c' },
		{ "rows", required_argument, NULL, 'R' },
		{ "rt-iters", required_argument, NULL, 't' },
		{ "msi-iters", required_argument, NULL, 'i' },
		{ "many", required_argument, NULL, 'm' },
		{ "msi-cpu", required_argument, NULL, 'C' },
		{ "front", no_argument, NULL, 'F' },
		{ NULL }
	};
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	char edus[3][32], list[64];
	struct utsname uts;
	cpu_set_t set;
	int c, f, n, bench_cpu = 0;
	double scale;
	__u64 t0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			opt_size = parse_size(optarg);
			break;
		case 'r':
			opt_runs = atoi(optarg);
			break;
		case 'c':
			opt_cm = optarg;
			break;
		case 'R':
			opt_rows = optarg;
			break;
		case 't':
			opt_rt_iters = atoi(optarg);
			break;
		case 'i':
			opt_msi_iters = atoi(optarg);
			break;
		case 'm':
			opt_many = atoi(optarg);
			break;
		case 'C':
			opt_msi_cpu = atoi(optarg);
			break;
		case 'F':
			opt_front = true;
			fw_name[FW_TYPE1] = "front";
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	check_rows();
	if (opt_runs < 1 || opt_runs > MAX_RUNS)
		die("--runs must be 1 to %d", MAX_RUNS);
	if (opt_size % SZ_2M || opt_size > MAX_LEN)
		die("--size must be a multiple of 2 MiB, at most %llu GiB", MAX_LEN >> 30);
	/* The defaults are for 1 GiB and scale with the size. */
	scale = (double)opt_size / SZ_1G;
	if (!opt_rt_iters)
		opt_rt_iters = 2000 * scale < 100 ? 100 : 2000 * scale;
	if (!opt_msi_iters)
		opt_msi_iters = 500 * scale < 50 ? 50 : 500 * scale > 1000 ? 1000 : 500 * scale;
	if (!opt_many)
		opt_many = 65536 * scale < 64 ? 64 : 65536 * scale;
	if (opt_rt_iters < 1 || opt_msi_iters < 1 || opt_msi_iters > 1000 || opt_many < 1)
		die("--rt-iters, --many must be positive, --msi-iters 1 to 1000");

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		die("cannot raise RLIMIT_MEMLOCK: %s", strerror(errno));
	/* One CPU for the whole run: no migration between frameworks. */
	CPU_ZERO(&set);
	CPU_SET(bench_cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("cannot pin to CPU %d: %s", bench_cpu, strerror(errno));
	/* Nothing moves the buffers' pages between frameworks. */
	if (!access("/proc/sys/vm/compaction_proactiveness", F_OK))
		must_write("/proc/sys/vm/compaction_proactiveness", "0");
	caching_mode();
	uname(&uts);

	n = find_edus(edus, 3);
	if (n < 2)
		die("found %d edu(s) alone in an IOMMU group; need 2, or 3 for iommufd", n);
	snprintf(fws[FW_IOPASS].bdf, sizeof(fws[0].bdf), "%s", edus[0]);
	snprintf(fws[FW_TYPE1].bdf, sizeof(fws[0].bdf), "%s", edus[1]);
	setup_iopass(&fws[FW_IOPASS]);
	setup_type1(&fws[FW_TYPE1]);
	if (opt_front) {
		/* Only iopass's two fronts (and the floor) in this run. */
	} else if (n > 2 && have_iommufd(edus[2])) {
		snprintf(fws[FW_IOMMUFD].bdf, sizeof(fws[0].bdf), "%s", edus[2]);
		setup_iommufd(&fws[FW_IOMMUFD]);
	} else if (!access("/dev/iommu", F_OK) && n < 3) {
		die("this kernel has iommufd but there is no third edu for it");
	}
	setup_floor(&fws[FW_FLOOR]);
	trace_setup();

	list[0] = 0;
	for (f = 0; f < NR_FW; f++)
		if (fws[f].on)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 list[0] ? "," : "", fw_name[f]);
	printf("bench: kernel %s cm=%s size=%llu runs=%d frameworks=%s rt_iters=%d "
	       "msi_iters=%d many=%d\n", uts.release, cm, opt_size, opt_runs, list, opt_rt_iters,
	       opt_msi_iters, opt_many);
	for (f = 0; f < NR_FW; f++)
		if (fws[f].on && f != FW_FLOOR)
			printf("info: %s drives edu %s\n", fw_name[f], fws[f].bdf);
	print_header();

	t0 = now_ns();
	row_map_unmap(BUF_4K_SEQ);
	row_took("4k-seq", &t0);
	row_map_unmap(BUF_4K_FRAG);
	row_took("4k-frag", &t0);
	row_map_unmap(BUF_THP);
	row_took("thp", &t0);
	row_map_unmap(BUF_HUGE);
	row_took("huge", &t0);
	row_rt();
	row_took("rt-4k", &t0);
	row_many();
	row_took("many-4k", &t0);
	row_msi(bench_cpu);
	row_took("msi-wake", &t0);
	printf("bench: done\n");
	return 0;
}
