/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the iopass selftests: sysfs, PCI binding, the module.
 * User-space code: includes only the UAPI header, never a driver header.
 */
#ifndef __IOPASS_UTIL_H
#define __IOPASS_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/iopass.h>

#include "iopass_sysfs.h"

#define IOPASS_DEVICES	"/sys/bus/iopass/devices"
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define NVME_VENDOR	0x1b36	/* QEMU's nvme */
#define NVME_DEVICE	0x0010

static inline unsigned long sysfs_read_ul(const char *path)
{
	char buf[64];

	if (sysfs_read(path, buf, sizeof(buf)))
		return ULONG_MAX;
	return strtoul(buf, NULL, 0);
}

enum group_kind { ANY_GROUP, ALONE_IN_GROUP, SHARED_GROUP };

/*
 * Find the @nth (from 0) PCI function with @vendor:@device in an IOMMU group
 * of @kind.  Returns 0 and fills @bdf, or -ENOENT.
 */
static inline int pci_find(unsigned int vendor, unsigned int device,
			   enum group_kind kind, int nth, char *bdf, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	int n, ret = -ENOENT;
	DIR *dir;

	dir = opendir(PCI_DEVICES);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/vendor", de->d_name);
		if (sysfs_read_ul(path) != vendor)
			continue;
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/device", de->d_name);
		if (sysfs_read_ul(path) != device)
			continue;
		n = iommu_group_size(pci_iommu_group(de->d_name));
		if ((kind == ALONE_IN_GROUP && n != 1) ||
		    (kind == SHARED_GROUP && n < 2))
			continue;
		if (nth-- == 0) {
			snprintf(bdf, len, "%s", de->d_name);
			ret = 0;
			break;
		}
	}
	closedir(dir);
	return ret;
}

/* Unbind @bdf from whatever driver it has; 0 or -errno. */
static inline int pci_unbind(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver/unbind", bdf);
	if (access(path, F_OK))
		return 0;
	return sysfs_write(path, bdf);
}

/*
 * Bind @bdf to @driver the way an administrator does: driver_override,
 * unbind, bind.  Returns 0 or the -errno the driver's probe returned.
 */
static inline int pci_bind(const char *bdf, const char *driver)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	ret = sysfs_write(path, driver);
	if (ret)
		return ret;
	ret = pci_unbind(bdf);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", driver);
	return sysfs_write(path, bdf);
}

/* Undo pci_bind(): unbind and clear driver_override. */
static inline int pci_release(const char *bdf)
{
	char path[PATH_MAX];
	int ret;

	ret = pci_unbind(bdf);
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	sysfs_write(path, "\n");
	return ret;
}

/* The iopass device ("iopassN") that is a child of sysfs @dir; -ENOENT. */
static inline int iopass_child_of(const char *dir_path, char *name, size_t len)
{
	struct dirent *de;
	DIR *dir;
	int ret = -ENOENT;

	dir = opendir(dir_path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, "iopass", 6) &&
		    strcmp(de->d_name, "iopass-pci")) {
			snprintf(name, len, "%s", de->d_name);
			ret = 0;
			break;
		}
	closedir(dir);
	return ret;
}

/* Open /dev/<name> of the iopass device under sysfs @dir; fd or -errno. */
static inline int iopass_open_child(const char *dir_path)
{
	char name[64], path[PATH_MAX];
	int fd;

	if (iopass_child_of(dir_path, name, sizeof(name)))
		return -ENOENT;
	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The iopass device ("iopassN") whose parent is @bdf; -ENOENT if none. */
static inline int iopass_dev_of(const char *bdf, char *name, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
	return iopass_child_of(path, name, len);
}

/* Open the iopass device bound to @bdf; fd or -errno. */
static inline int iopass_open(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
	return iopass_open_child(path);
}

/* Module load and unload through the syscalls, to see their errno. */
static inline int iopass_module_load(void)
{
	const char *ko = getenv("IOPASS_KO");
	int fd, ret;

	fd = open(ko ? ko : "/iopass/iopass.ko", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

/* Load iopass_mock.ko (test builds) with @params. */
/* Load the module at @path with @params: 0 or -errno. */
static inline int module_load(const char *path, const char *params)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

static inline int mock_module_load(const char *params)
{
	return module_load("/iopass/iopass_mock.ko", params);
}

/* iopass_vfio.ko, the VFIO-compatible front, with @params. */
static inline int vfio_front_load(const char *params)
{
	return module_load("/iopass/iopass_vfio.ko", params);
}

static inline int vfio_front_unload(void)
{
	return syscall(SYS_delete_module, "iopass_vfio", O_NONBLOCK) ? -errno : 0;
}

static inline int iopass_module_unload(void)
{
	return syscall(SYS_delete_module, "iopass", O_NONBLOCK) ? -errno : 0;
}

/* ---- the mock backend (iopass_mock.ko, test builds) ---- */

#define MOCK_SYSFS	"/sys/devices/iopass_mock"

/* A counter of the mock IOMMU (violations, bad_unmaps, mapped_pages...). */
static inline long mock_counter(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), MOCK_SYSFS "/%s", name);
	return (long)sysfs_read_ul(path);
}

/* Open the iopass device of mock device @n ("hw<n>"); fd or -errno. */
static inline int mock_open(int n)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), MOCK_SYSFS "/hw%d", n);
	return iopass_open_child(path);
}

/* ---- address spaces ---- */

static inline int ioctl_errno(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int ctx_open(void)
{
	int fd = open("/dev/iopass", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static inline int ioas_alloc(int ctx, __u32 *id)
{
	struct iopass_ioas_alloc cmd = { .size = sizeof(cmd) };
	int ret = ioctl_errno(ctx, IOPASS_IOAS_ALLOC, &cmd);

	*id = cmd.out_ioas_id;
	return ret;
}

static inline int ioas_destroy(int ctx, __u32 id)
{
	struct iopass_ioas_destroy cmd = { .size = sizeof(cmd), .ioas_id = id };

	return ioctl_errno(ctx, IOPASS_IOAS_DESTROY, &cmd);
}

#define MAP_RW (IOPASS_MAP_READABLE | IOPASS_MAP_WRITEABLE)

/* Map @len bytes at @va; with IOPASS_MAP_FIXED_IOVA at *@iova. */
static inline int ioas_map(int ctx, __u32 id, void *va, __u64 len,
			   __u64 *iova, __u32 flags)
{
	struct iopass_ioas_map cmd = {
		.size = sizeof(cmd), .flags = flags, .ioas_id = id,
		.user_va = (uintptr_t)va, .length = len, .iova = *iova,
	};
	int ret = ioctl_errno(ctx, IOPASS_IOAS_MAP, &cmd);

	if (!ret)
		*iova = cmd.iova;
	return ret;
}

static inline int ioas_map_fixed(int ctx, __u32 id, void *va, __u64 len,
				 __u64 iova, __u32 prot)
{
	return ioas_map(ctx, id, va, len, &iova, prot | IOPASS_MAP_FIXED_IOVA);
}

static inline int ioas_unmap(int ctx, __u32 id, __u64 iova, __u64 len,
			     __u64 *unmapped)
{
	struct iopass_ioas_unmap cmd = {
		.size = sizeof(cmd), .ioas_id = id, .iova = iova, .length = len,
	};
	int ret = ioctl_errno(ctx, IOPASS_IOAS_UNMAP, &cmd);

	if (unmapped)
		*unmapped = cmd.length;
	return ret;
}

/* IOPASS_DEVICE_ATTACH presenting @vf_token (16 bytes) unless it is NULL. */
static inline int device_attach_token(int dev, int ctx, __u32 id,
				      const __u8 *vf_token)
{
	struct iopass_device_attach cmd = {
		.size = sizeof(cmd), .ctx_fd = ctx, .ioas_id = id,
	};

	if (vf_token) {
		cmd.flags = IOPASS_ATTACH_VF_TOKEN;
		memcpy(cmd.vf_token, vf_token, sizeof(cmd.vf_token));
	}
	return ioctl_errno(dev, IOPASS_DEVICE_ATTACH, &cmd);
}

static inline int device_attach(int dev, int ctx, __u32 id)
{
	return device_attach_token(dev, ctx, id, NULL);
}

/* IOPASS_DEVICE_SET_IRQS; 0 or -errno. */
static inline int set_irqs(int dev, __u32 flags, __u32 index, __u32 start,
			   __u32 count, __s32 *fds)
{
	struct iopass_set_irqs cmd = {
		.size = sizeof(cmd), .flags = flags, .index = index,
		.start = start, .count = count, .eventfds = (uintptr_t)fds,
	};

	return ioctl_errno(dev, IOPASS_DEVICE_SET_IRQS, &cmd);
}

static inline int device_detach(int dev)
{
	struct iopass_device_detach cmd = { .size = sizeof(cmd) };

	return ioctl_errno(dev, IOPASS_DEVICE_DETACH, &cmd);
}

/*
 * Take @bdf as an owner does: bind it to iopass, open it, open a context
 * with one address space and attach the device to it.  0, or the -errno
 * of the step that failed (the fds opened so far are left in *@dev and
 * *@ctx, -1 otherwise, for the caller to close).
 */
static inline int iopass_own(const char *bdf, int *dev, int *ctx, __u32 *ioas)
{
	int ret;

	*dev = -1;
	*ctx = -1;
	ret = pci_bind(bdf, "iopass-pci");
	if (ret)
		return ret;
	*dev = iopass_open(bdf);
	if (*dev < 0)
		return *dev;
	*ctx = ctx_open();
	if (*ctx < 0)
		return *ctx;
	ret = ioas_alloc(*ctx, ioas);
	return ret ? ret : device_attach(*dev, *ctx, *ioas);
}

/* ---- what the kernel holds for us: pins and pinned_vm ---- */

static inline long vmstat_read(const char *name)
{
	char line[128];
	size_t n = strlen(name);
	long val = -1;
	FILE *f;

	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ' ')
			val = atol(line + n + 1);
	fclose(f);
	return val;
}

/*
 * Pages pinned with FOLL_PIN and not yet unpinned, system-wide.  The
 * counters live per CPU and are folded lazily; stat_refresh folds them now.
 */
static inline long pins_outstanding(void)
{
	sysfs_write("/proc/sys/vm/stat_refresh", "1");
	return vmstat_read("nr_foll_pin_acquired") -
	       vmstat_read("nr_foll_pin_released");
}

/* This process's pinned_vm, in kB. */
static inline long pinned_vm_kb(void)
{
	char line[128];
	long val = -1;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmPin:", 6))
			val = atol(line + 6);
	fclose(f);
	return val;
}

/* ---- the edu device (QEMU docs/specs/edu.txt), BAR0 through sysfs ---- */

#define EDU_ID			0x00
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_COUNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_DMA_START		0x1
#define EDU_DMA_TO_RAM		0x2
#define EDU_BUFFER		0x40000
/*
 * The edu's buffer is 4 KiB, but QEMU 7.2's edu rejects (hw_error, killing
 * the VM) a transfer that ends exactly at its end: stay below it.
 */
#define EDU_DMA_MAX		2048
#define EDU_BAR_SIZE		0x100000

static inline __u32 mmio_read32(void *bar, unsigned int off)
{
	return __atomic_load_n((__u32 *)(bar + off), __ATOMIC_RELAXED);
}

static inline __u64 mmio_read64(void *bar, unsigned int off)
{
	return __atomic_load_n((__u64 *)(bar + off), __ATOMIC_RELAXED);
}

static inline void mmio_write32(void *bar, unsigned int off, __u32 val)
{
	__atomic_store_n((__u32 *)(bar + off), val, __ATOMIC_RELAXED);
}

static inline void mmio_write64(void *bar, unsigned int off, __u64 val)
{
	__atomic_store_n((__u64 *)(bar + off), val, __ATOMIC_RELAXED);
}

/* Config space as the host sees it: the function's sysfs config file. */
static inline int pci_config_rw(const char *bdf, off_t off, void *val,
				size_t len, bool write)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/config", bdf);
	fd = open(path, write ? O_WRONLY : O_RDONLY);
	if (fd < 0)
		return -errno;
	n = write ? pwrite(fd, val, len, off) : pread(fd, val, len, off);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

static inline int pci_config_rw16(const char *bdf, off_t off,
				  unsigned short *val, bool write)
{
	return pci_config_rw(bdf, off, val, 2, write);
}

/* Config space through the device fd. */
static inline int dev_cfg_rw(int dev, off_t off, void *val, size_t len,
			     bool write)
{
	off_t pos = IOPASS_REGION_OFFSET(IOPASS_REGION_CONFIG) + off;
	ssize_t n = write ? pwrite(dev, val, len, pos) : pread(dev, val, len, pos);

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
}

/* Turn @bits of the command register on (or off). */
static inline int dev_command(int dev, unsigned short bits, bool on)
{
	unsigned short cmd;
	int ret = dev_cfg_rw(dev, 0x04, &cmd, 2, false);

	if (ret)
		return ret;
	cmd = on ? cmd | bits : cmd & ~bits;
	return dev_cfg_rw(dev, 0x04, &cmd, 2, true);
}

/* Map @len bytes of BAR @bar through the device fd; NULL on failure. */
static inline void *dev_map_bar(int dev, int bar, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, dev,
		       IOPASS_REGION_OFFSET(bar));

	return p == MAP_FAILED ? NULL : p;
}

/* An attached edu's BAR0, with memory decode and bus mastering on. */
static inline void *dev_edu_bar(int dev)
{
	if (dev_command(dev, 0x6, true))
		return NULL;
	return dev_map_bar(dev, 0, EDU_BAR_SIZE);
}

/* Run one edu DMA and wait for it; 0, or -ETIMEDOUT. */
static inline int edu_dma(void *bar, __u64 src, __u64 dst, __u64 count,
			  bool to_ram)
{
	struct timespec ts = { 0, 1000 * 1000 };
	int i;

	mmio_write64(bar, EDU_DMA_SRC, src);
	mmio_write64(bar, EDU_DMA_DST, dst);
	mmio_write64(bar, EDU_DMA_COUNT, count);
	mmio_write64(bar, EDU_DMA_CMD,
		     EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0));
	for (i = 0; i < 5000; i++) {
		if (!(mmio_read64(bar, EDU_DMA_CMD) & EDU_DMA_START))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

/* Events on @efd within @ms (0 if none), the counter reset. */
static inline __u64 events(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	__u64 n = 0;

	if (poll(&p, 1, ms) == 1 && read(efd, &n, 8) != 8)
		n = 0;
	return n;
}

/* Milliseconds on the monotonic clock. */
static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * A line now and then from a long test (at most one every 5 s): how far
 * it is, for a person watching, and proof of life for the rig's watchdog,
 * which takes a long silence for a hang (tools/testing/vm/watch.py).
 */
static inline void progress(const char *what, unsigned long done,
			    unsigned long total)
{
	static long long last = -5000;
	long long now = now_ms();

	if (now - last < 5000)
		return;
	last = now;
	if (total)
		printf("# %s: %lu of %lu\n", what, done, total);
	else
		printf("# %s: %lu\n", what, done);
	fflush(stdout);
}

/* ---- the kernel log ---- */

/* Whether the kernel log holds a line with @needle. */
static inline bool klog_has(const char *needle)
{
	static char buf[1 << 20];
	int n;

	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);
	if (n < 0)
		return false;
	buf[n] = 0;
	return strstr(buf, needle);
}

/* Wait up to @ms for the kernel log to hold @needle. */
static inline bool klog_wait(const char *needle, int ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	for (; ms > 0; ms -= 10) {
		if (klog_has(needle))
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

/* Write a line to the kernel log (the rig's expect markers). */
static inline void klog_mark(const char *line)
{
	int fd = open("/dev/kmsg", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, line, strlen(line)) < 0)
			perror("/dev/kmsg");
		close(fd);
	}
}

static sigjmp_buf sigbus_jmp;

static inline void on_sigbus(int sig)
{
	siglongjmp(sigbus_jmp, 1);
}

/* Whether reading *@p raises SIGBUS (a revoked BAR mapping does). */
static inline bool read_faults(__u32 *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	bool faulted = false;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(sigbus_jmp, 1))
		faulted = true;
	else
		(void)__atomic_load_n(p, __ATOMIC_RELAXED);
	sigaction(SIGBUS, &old, NULL);
	return faulted;
}

/*
 * Unbind @bdf while its owner holds it, with release_timeout_ms set to
 * @timeout_ms: the owner's REQ eventfd @efd must fire (the request), and
 * the unbind must return (after the revoke).  0, or -1 if either did not.
 */
static inline int unbind_held(const char *bdf, int efd, const char *timeout_ms)
{
	const char *param = "/sys/module/iopass/parameters/release_timeout_ms";
	int status, ret = -1;
	char old[32];
	pid_t pid;

	if (sysfs_read(param, old, sizeof(old)) || sysfs_write(param, timeout_ms))
		return -1;
	pid = fork();
	if (!pid)
		_exit(pci_unbind(bdf) ? 1 : 0);
	if (pid > 0) {
		ret = events(efd, 5000) == 1 ? 0 : -1;	/* the request */
		if (waitpid(pid, &status, 0) != pid || WEXITSTATUS(status))
			ret = -1;
	}
	sysfs_write(param, old);
	return ret;
}

#endif /* __IOPASS_UTIL_H */
