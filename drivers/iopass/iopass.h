/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iopass private header: the objects and the rules between them.
 *
 * Objects (one file each):
 *   bus.c     the "iopass" bus and its char device region
 *   device.c  struct iopass_device: one per function handed to user space;
 *             its char device, sysfs attributes and fd
 *   group.c   struct iopass_group: one per IOMMU group holding iopass
 *             devices; DMA ownership and the domain the group is in
 *   pci.c     the "iopass-pci" driver, the PCI backend
 *   ioctl.c   table-driven ioctl argument parsing
 *
 * Lock order: iopass_groups_lock, then the IOMMU core's group mutex.
 */
#ifndef __IOPASS_H
#define __IOPASS_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <uapi/linux/iopass.h>

#include "compat.h"

struct iopass_device;

/**
 * struct iopass_device_ops - what a backend provides for its devices
 * @quiesce: stop the device from issuing DMA and interrupts; called before
 *	its DMA ownership is given back, must not fail
 * @fill_info: fill the backend-specific fields of IOPASS_DEVICE_GET_INFO
 */
struct iopass_device_ops {
	void (*quiesce)(struct iopass_device *idev);
	void (*fill_info)(struct iopass_device *idev,
			  struct iopass_device_info *info);
};

/**
 * struct iopass_group - an IOMMU group that holds iopass devices
 * @node: entry on the global group list
 * @iommu_group: the IOMMU core's group (a reference is held)
 * @users: iopass devices bound in this group
 * @domain: the iopass-owned paging domain the whole group is attached to
 *
 * Every field is protected by iopass_groups_lock.  The group exists while
 * @users is non-zero; DMA ownership of the IOMMU group is held for as long.
 */
struct iopass_group {
	struct list_head node;
	struct iommu_group *iommu_group;
	unsigned int users;
	struct iommu_domain *domain;
};

/**
 * struct iopass_device - a device handed to user space through iopass
 * @dev: the device on the iopass bus; its parent is the real device
 * @cdev: the char device user space opens
 * @ops: the backend's callbacks
 * @group: the iopass group; set at registration, constant after
 * @id: index in the iopass IDA, names the device ("iopass<id>")
 * @lock: taken for reading by every fd operation, for writing to revoke
 * @live: under @lock: the device is registered and its backend bound; fd
 *	operations fail with ENODEV once it is false
 */
struct iopass_device {
	struct device dev;
	struct cdev cdev;
	const struct iopass_device_ops *ops;
	struct iopass_group *group;
	int id;
	struct rw_semaphore lock;
	bool live;
};

static inline struct iopass_device *to_iopass_device(struct device *dev)
{
	return container_of(dev, struct iopass_device, dev);
}

/* bus.c */
extern IOPASS_BUS_TYPE_CONST struct bus_type iopass_bus_type;
int iopass_bus_init(void);
void iopass_bus_exit(void);
int iopass_bus_alloc_devt(struct iopass_device *idev);
void iopass_bus_free_devt(struct iopass_device *idev);

/* device.c */
struct iopass_device *iopass_device_alloc(struct device *parent,
					  const struct iopass_device_ops *ops);
int iopass_device_register(struct iopass_device *idev);
void iopass_device_unregister(struct iopass_device *idev);
void iopass_device_put(struct iopass_device *idev);

/* group.c */
enum iopass_domain_type iopass_device_domain_type(struct iopass_device *idev);
enum iopass_domain_type iopass_domain_classify(struct iommu_domain *domain,
					       struct iommu_domain *ours);
struct iopass_group *iopass_group_join(struct device *dev);
void iopass_group_leave(struct iopass_group *group, struct device *dev);

/* pci.c */
int iopass_pci_init(void);
void iopass_pci_exit(void);

/* ioctl.c */

/**
 * struct iopass_ioctl_op - one entry of an ioctl table
 * @cmd: the ioctl number
 * @size: size of the argument struct the kernel knows
 * @min_size: the smallest size a caller may pass: the end of the last field
 *	of the struct's first version
 * @valid_flags: every flag this ioctl accepts
 * @execute: the handler; gets the fd's private data and the argument copied
 *	in, and may change the argument: it is copied back on success
 */
struct iopass_ioctl_op {
	unsigned int cmd;
	u32 size;
	u32 min_size;
	u32 valid_flags;
	int (*execute)(void *priv, void *arg);
};

#define IOPASS_IOCTL_OP(_cmd, _fn, _struct, _last, _flags)		\
	{								\
		.cmd = _cmd,						\
		.size = sizeof(_struct),				\
		.min_size = offsetofend(_struct, _last),		\
		.valid_flags = _flags,					\
		.execute = _fn,						\
	}

long iopass_ioctl_dispatch(const struct iopass_ioctl_op *ops, size_t n_ops,
			   void *priv, unsigned int cmd, void __user *uarg);

#endif /* __IOPASS_H */
