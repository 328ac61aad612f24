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
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/iopass.h>

#define PCI_DEVICES	"/sys/bus/pci/devices"
#define IOPASS_DEVICES	"/sys/bus/iopass/devices"
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8

/* Read a sysfs file into @buf, trailing newline removed; -errno on error. */
static inline int sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return 0;
}

/* Write @val to a sysfs file; returns 0 or the -errno of the write. */
static inline int sysfs_write(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static inline unsigned long sysfs_read_ul(const char *path)
{
	char buf[64];

	if (sysfs_read(path, buf, sizeof(buf)))
		return ULONG_MAX;
	return strtoul(buf, NULL, 0);
}

/* The name of the entry a sysfs symlink points at ("" if none). */
static inline void sysfs_link_name(const char *path, char *out, size_t len)
{
	char target[PATH_MAX];
	ssize_t n;

	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		out[0] = 0;
		return;
	}
	target[n] = 0;
	snprintf(out, len, "%s", basename(target));
}

/* The driver @bdf is bound to, "" if none. */
static inline void pci_driver_of(const char *bdf, char *out, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	sysfs_link_name(path, out, len);
}

static inline int pci_iommu_group(const char *bdf)
{
	char path[PATH_MAX], name[64];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group", bdf);
	sysfs_link_name(path, name, sizeof(name));
	return name[0] ? atoi(name) : -1;
}

/* Number of devices in IOMMU group @group. */
static inline int iommu_group_size(int group)
{
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices", group);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((de = readdir(dir)))
		n += de->d_name[0] != '.';
	closedir(dir);
	return n;
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

/* The iopass device ("iopassN") whose parent is @bdf; -ENOENT if none. */
static inline int iopass_dev_of(const char *bdf, char *name, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
	dir = opendir(path);
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

/* Open /dev/<name> of the iopass device bound to @bdf; fd or -errno. */
static inline int iopass_open(const char *bdf)
{
	char name[64], path[PATH_MAX];
	int fd;

	if (iopass_dev_of(bdf, name, sizeof(name)))
		return -ENOENT;
	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
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

static inline int iopass_module_unload(void)
{
	return syscall(SYS_delete_module, "iopass", O_NONBLOCK) ? -errno : 0;
}

#endif /* __IOPASS_UTIL_H */
