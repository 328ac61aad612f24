/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sysfs and PCI helpers shared by iopassctl, iopass-bench and the
 * selftests: reading and writing attributes, and which driver and IOMMU
 * group a PCI function has.  User space; errors are -errno.
 */
#ifndef __IOPASS_SYSFS_H
#define __IOPASS_SYSFS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCI_DEVICES	"/sys/bus/pci/devices"

/* Read a sysfs file into @buf, cut at its first newline. */
static inline int sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* Write @val to a sysfs file: 0 or the -errno of the open or the write. */
static inline int sysfs_write(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

/* The name of the entry a sysfs symlink points at, "" if there is none. */
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

/* The IOMMU group of @bdf, -1 if it has none. */
static inline int pci_iommu_group(const char *bdf)
{
	char path[PATH_MAX], name[64];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/iommu_group", bdf);
	sysfs_link_name(path, name, sizeof(name));
	return name[0] ? atoi(name) : -1;
}

/* How many devices IOMMU group @group holds, 0 if it cannot be read. */
static inline int iommu_group_size(int group)
{
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices",
		 group);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((de = readdir(dir)))
		n += de->d_name[0] != '.';
	closedir(dir);
	return n;
}

#endif /* __IOPASS_SYSFS_H */
