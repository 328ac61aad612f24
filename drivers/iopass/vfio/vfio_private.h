/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iopass_vfio: VFIO's legacy container/group/device UAPI, served by
 * iopass's own objects, so that programs written for VFIO (QEMU, DPDK)
 * drive devices bound to iopass-pci.
 *
 * Objects (one file each):
 *   container.c  /dev/vfio/vfio: a container is an iopass address space
 *   group.c      /dev/vfio/<N>: one per IOMMU group holding iopass devices
 *   device.c     the device fd: VFIO's device ioctls on an iopass device
 *   main.c       the module, and the refusal to load beside the kernel's vfio
 *
 * A group joined to a container whose IOMMU is set owns its iopass
 * devices: each is opened as the char device would be (one owner at a
 * time, so the native front gets EBUSY) and attached to the container's
 * address space.  That "session" ends when the group leaves the container
 * or its last fd (group or device) is closed.
 *
 * Locking: one mutex, iopass_vfio_lock, orders everything between
 * containers, groups and device fds (SET_CONTAINER, SET_IOMMU, claims,
 * GET_DEVICE_FD, the ends of sessions): the control plane, where one lock
 * cannot be taken in two orders.  MAP_DMA and UNMAP_DMA take none of it:
 * they use the container's address space, published once.  It nests
 * outside the group registry's lock (group.c) and iopass's own locks.
 */
#ifndef __IOPASS_VFIO_PRIVATE_H
#define __IOPASS_VFIO_PRIVATE_H

#include <linux/cdev.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/vfio.h>

#include "../iopass.h"

struct iopass_vfio_group;

/**
 * struct iopass_vfio_claim - an iopass device a group's session owns
 * @idev: the device, opened through iopass's front API and attached
 * @inode: the inode every device fd of @idev maps its BARs through, from
 *	the claim until the device is given back: iopass zaps that mapping
 *	at revoke, detach and release, which may come after the last device
 *	fd is gone (the group fd ends the session), and must reach the
 *	mappings of every device fd the session opened
 * @token_ioas: while the device waits for its SR-IOV VF token (a VF of a
 *	PF owned through iopass, or such a PF whose VFs are in use): opened
 *	but not attached, until VFIO_GROUP_GET_DEVICE_FD names it with
 *	"vf_token=<uuid>"; the address space it then attaches to.  NULL once
 *	attached
 */
struct iopass_vfio_claim {
	struct iopass_device *idev;
	struct inode *inode;
	struct iopass_ioas *token_ioas;
};

/**
 * struct iopass_vfio_container - an open /dev/vfio/vfio
 * @groups: &struct iopass_vfio_group joined to it, by @container_node
 * @ioas: the address space, from VFIO_SET_IOMMU on; NULL before
 * @type: the IOMMU type set (VFIO_TYPE1_IOMMU or VFIO_TYPE1v2_IOMMU), 0
 *	before
 *
 * Each joined group holds a reference to the container's file, so the
 * container outlives its fd while groups use it.
 */
struct iopass_vfio_container {
	struct list_head groups;
	struct iopass_ioas *ioas;
	int type;
};

/**
 * struct iopass_vfio_group - an IOMMU group, as /dev/vfio/<id>
 * @kref: held by the registry while the group has iopass devices, by its
 *	open fd and by each device fd
 * @id: the IOMMU group's ID
 * @dev: the device whose node is /dev/vfio/<id>
 * @cdev: its char device
 * @node: on the registry's list
 * @nr_devices: iopass devices of the group now bound (registry's lock);
 *	the fields below are under iopass_vfio_lock
 * @opened: the group fd is open (one opener at a time)
 * @container: the container joined, or NULL
 * @container_file: its file, a reference held while joined
 * @container_node: on @container's list
 * @devs: the iopass devices this group's session owns
 * @nr_devs: how many
 * @device_fds: device fds open
 */
struct iopass_vfio_group {
	struct kref kref;
	int id;
	struct device dev;
	struct cdev cdev;
	struct list_head node;
	unsigned int nr_devices;
	bool opened;
	struct iopass_vfio_container *container;
	struct file *container_file;
	struct list_head container_node;
	struct iopass_vfio_claim *devs;
	unsigned int nr_devs;
	unsigned int device_fds;
};

/* main.c */
extern struct miscdevice iopass_vfio_misc;
extern atomic64_t iopass_vfio_map_calls;
extern atomic64_t iopass_vfio_unmap_calls;
extern struct mutex iopass_vfio_lock;

/* container.c */
extern const struct file_operations iopass_vfio_container_fops;
int iopass_vfio_container_join(struct iopass_vfio_group *group,
			       struct file *file);
void iopass_vfio_container_leave(struct iopass_vfio_group *group);

/* group.c */
int iopass_vfio_groups_init(void);
void iopass_vfio_groups_exit(void);
int iopass_vfio_group_claim(struct iopass_vfio_group *group,
			    struct iopass_ioas *ioas);
void iopass_vfio_group_unclaim(struct iopass_vfio_group *group);
void iopass_vfio_group_put(struct iopass_vfio_group *group);
void iopass_vfio_group_device_closed(struct iopass_vfio_group *group);

/* device.c */
int iopass_vfio_fs_init(void);
void iopass_vfio_fs_exit(void);
struct inode *iopass_vfio_inode_alloc(void);
int iopass_vfio_device_open(struct iopass_vfio_group *group,
			    struct iopass_vfio_claim *claim);

#endif /* __IOPASS_VFIO_PRIVATE_H */
