// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO groups, /dev/vfio/<N>: one per IOMMU group that holds devices bound
 * to iopass-pci, found on the iopass bus (at load, then by a bus notifier
 * as devices come and go).
 *
 * iopass claimed DMA ownership of the whole group when the first of its
 * devices bound, and refuses a group another driver holds: a group that
 * exists here is viable.
 *
 * A group joined to a container with an IOMMU set "claims" its devices:
 * each is opened through iopass's front API (so the char device, the other
 * front, gets EBUSY) and attached to the container's address space.  The
 * claim ends when the group leaves the container, which happens at
 * UNSET_CONTAINER or when the last of its fds (the group fd and any device
 * fd) is closed.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vfio_private.h"

/* As many groups as the kernel's vfio allows minors for. */
#define IOPASS_VFIO_MINORS	(1U << MINORBITS)

static DEFINE_MUTEX(iopass_vfio_groups_lock);	/* the list, nr_devices */
static LIST_HEAD(iopass_vfio_groups);
static DEFINE_IDA(iopass_vfio_minors);
static dev_t iopass_vfio_devt;

static struct iopass_vfio_group *iopass_vfio_group_find(int id)
{
	struct iopass_vfio_group *group;

	lockdep_assert_held(&iopass_vfio_groups_lock);
	list_for_each_entry(group, &iopass_vfio_groups, node)
		if (group->id == id)
			return group;
	return NULL;
}

static void iopass_vfio_group_release(struct kref *kref)
{
	struct iopass_vfio_group *group =
		container_of(kref, struct iopass_vfio_group, kref);

	put_device(&group->dev);
}

/**
 * iopass_vfio_group_put() - drop a reference to @group
 * @group: the group
 */
void iopass_vfio_group_put(struct iopass_vfio_group *group)
{
	kref_put(&group->kref, iopass_vfio_group_release);
}

static void iopass_vfio_group_dev_release(struct device *dev)
{
	struct iopass_vfio_group *group =
		container_of(dev, struct iopass_vfio_group, dev);

	ida_free(&iopass_vfio_minors, MINOR(dev->devt));
	kfree(group->devs);
	kfree(group);
}

/* Match an iopass device of IOMMU group @data (an int *). */
static int iopass_vfio_in_group(struct device *dev, const void *data)
{
	return iopass_group_id(to_iopass_device(dev)->group) == *(const int *)data;
}

/* Release every device the group's session claimed. */
static void iopass_vfio_group_release_devs(struct iopass_vfio_group *group)
{
	while (group->nr_devs) {
		struct iopass_vfio_claim *claim = &group->devs[--group->nr_devs];

		/* Detaches too; zaps through the inode, so it goes after. */
		iopass_device_release_front(claim->idev);
		iput(claim->inode);
		iopass_device_put(claim->idev);
	}
}

/* Does @idev's ATTACH need an SR-IOV VF token (GET_INFO says so)? */
static bool iopass_vfio_wants_token(struct iopass_device *idev)
{
	struct iopass_device_info info = { .size = sizeof(info) };

	return !iopass_device_call(idev, IOPASS_DEVICE_GET_INFO, &info) &&
	       info.device_flags & (IOPASS_DEVICE_FLAGS_VF_TOKEN |
				    IOPASS_DEVICE_FLAGS_SRIOV_PF);
}

/**
 * iopass_vfio_group_claim() - open the group's iopass devices and attach
 *	them to @ioas
 * @group: a group joining a container (iopass_vfio_lock held)
 * @ioas: the container's address space
 *
 * A device whose attach needs an SR-IOV VF token stays opened but not
 * attached until VFIO_GROUP_GET_DEVICE_FD gives the token.
 *
 * Return: 0; -EBUSY if one is open through the char device; -ENODEV if
 * the group has no device left; or the attach errno.  All or nothing.
 */
int iopass_vfio_group_claim(struct iopass_vfio_group *group,
			    struct iopass_ioas *ioas)
{
	struct iopass_device *idev;
	struct device *dev = NULL;
	struct inode *inode;
	unsigned int max;
	int ret = 0;

	lockdep_assert_held(&iopass_vfio_lock);
	mutex_lock(&iopass_vfio_groups_lock);
	max = group->nr_devices;
	mutex_unlock(&iopass_vfio_groups_lock);
	group->devs = kcalloc(max ?: 1, sizeof(*group->devs), GFP_KERNEL);
	if (!group->devs)
		return -ENOMEM;
	/* Each device found comes with a reference: the claim keeps it. */
	while ((dev = bus_find_device(&iopass_bus_type, dev, &group->id,
				      iopass_vfio_in_group))) {
		idev = to_iopass_device(dev);
		inode = iopass_vfio_inode_alloc();
		ret = IS_ERR(inode) ? PTR_ERR(inode) :
		      group->nr_devs == max ? -EAGAIN :	/* bound meanwhile */
		      iopass_device_open_front(idev);
		if (!ret) {
			ret = iopass_device_attach_ioas(idev, ioas, NULL);
			/* Attached at GET_DEVICE_FD, which names the token. */
			if (ret == -EACCES && iopass_vfio_wants_token(idev)) {
				group->devs[group->nr_devs].token_ioas = ioas;
				ret = 0;
			}
			if (ret)
				iopass_device_release_front(idev);
		}
		if (ret) {
			if (!IS_ERR(inode))
				iput(inode);
			put_device(dev);
			break;
		}
		group->devs[group->nr_devs].idev = idev;
		group->devs[group->nr_devs++].inode = inode;
	}
	if (!ret && !group->nr_devs)
		ret = -ENODEV;
	if (ret) {
		iopass_vfio_group_release_devs(group);
		kfree(group->devs);
		group->devs = NULL;
	}
	return ret;
}

/**
 * iopass_vfio_group_unclaim() - give back what iopass_vfio_group_claim()
 *	took
 * @group: the group (iopass_vfio_lock held), with no device fd open
 */
void iopass_vfio_group_unclaim(struct iopass_vfio_group *group)
{
	lockdep_assert_held(&iopass_vfio_lock);
	iopass_vfio_group_release_devs(group);
	kfree(group->devs);
	group->devs = NULL;
}

/* The group's last fd is gone: its session ends. */
static void iopass_vfio_group_session_end(struct iopass_vfio_group *group)
{
	lockdep_assert_held(&iopass_vfio_lock);
	if (!group->opened && !group->device_fds && group->container)
		iopass_vfio_container_leave(group);
}

/**
 * iopass_vfio_group_device_closed() - a device fd of @group was released
 * @group: the group
 */
void iopass_vfio_group_device_closed(struct iopass_vfio_group *group)
{
	mutex_lock(&iopass_vfio_lock);
	group->device_fds--;
	iopass_vfio_group_session_end(group);
	mutex_unlock(&iopass_vfio_lock);
	iopass_vfio_group_put(group);
}

static int iopass_vfio_group_open(struct inode *inode, struct file *filp)
{
	struct iopass_vfio_group *group =
		container_of(inode->i_cdev, struct iopass_vfio_group, cdev);
	int ret = 0;

	mutex_lock(&iopass_vfio_groups_lock);
	if (!group->nr_devices)
		ret = -ENODEV;	/* its last device went away */
	else
		kref_get(&group->kref);
	mutex_unlock(&iopass_vfio_groups_lock);
	if (ret)
		return ret;
	mutex_lock(&iopass_vfio_lock);
	if (group->opened)
		ret = -EBUSY;
	group->opened = true;
	mutex_unlock(&iopass_vfio_lock);
	if (ret) {
		iopass_vfio_group_put(group);
		return ret;
	}
	filp->private_data = group;
	return 0;
}

static int iopass_vfio_group_fd_release(struct inode *inode, struct file *filp)
{
	struct iopass_vfio_group *group = filp->private_data;

	mutex_lock(&iopass_vfio_lock);
	group->opened = false;
	iopass_vfio_group_session_end(group);
	mutex_unlock(&iopass_vfio_lock);
	iopass_vfio_group_put(group);
	return 0;
}

static int iopass_vfio_group_status(struct iopass_vfio_group *group,
				    void __user *uarg)
{
	size_t minsz = offsetofend(struct vfio_group_status, flags);
	struct vfio_group_status status;

	if (copy_from_user(&status, uarg, minsz))
		return -EFAULT;
	if (status.argsz < minsz)
		return -EINVAL;
	/* Viable: iopass owns DMA for the whole group, or it would not be here. */
	status.flags = VFIO_GROUP_FLAGS_VIABLE;
	mutex_lock(&iopass_vfio_lock);
	if (group->container)
		status.flags |= VFIO_GROUP_FLAGS_CONTAINER_SET;
	mutex_unlock(&iopass_vfio_lock);
	return copy_to_user(uarg, &status, minsz) ? -EFAULT : 0;
}

static int iopass_vfio_group_set_container(struct iopass_vfio_group *group,
					   int __user *uarg)
{
	struct file *file;
	int fd, ret;

	if (get_user(fd, uarg))
		return -EFAULT;
	file = fget(fd);
	if (!file)
		return -EBADF;
	mutex_lock(&iopass_vfio_lock);
	ret = group->container ? -EINVAL :
	      iopass_vfio_container_join(group, file);
	mutex_unlock(&iopass_vfio_lock);
	fput(file);
	return ret;
}

static int iopass_vfio_group_unset_container(struct iopass_vfio_group *group)
{
	int ret = 0;

	mutex_lock(&iopass_vfio_lock);
	if (!group->container)
		ret = -EINVAL;
	else if (group->device_fds)
		ret = -EBUSY;
	else
		iopass_vfio_container_leave(group);
	mutex_unlock(&iopass_vfio_lock);
	return ret;
}

/*
 * "vf_token=<uuid>" after the device's name, as VFIO takes it: for a VF of
 * a PF owned through iopass, attach it with the token; for an SR-IOV PF,
 * attach it with the token if its VFs are in use, else make it the token.
 * 0, or -EINVAL for an option that is not that, or a token where none
 * applies; -EACCES for a missing or wrong one (iopass_pci_claim()).
 */
static int iopass_vfio_claim_token(struct iopass_vfio_claim *claim,
				   char *opts)
{
	struct iopass_vf_token set = { .size = sizeof(set) };
	const uuid_t *token = NULL;
	uuid_t uuid;
	char *opt;
	int ret;

	while ((opt = strsep(&opts, " "))) {
		if (!*opt)
			continue;
		if (token || strncmp(opt, "vf_token=", 9) ||
		    uuid_parse(opt + 9, &uuid))
			return -EINVAL;
		token = &uuid;
	}
	if (claim->token_ioas) {
		if (!token)
			return -EACCES;
		ret = iopass_device_attach_ioas(claim->idev, claim->token_ioas,
						token);
		if (!ret)
			claim->token_ioas = NULL;
		return ret;
	}
	if (!token)
		return 0;
	/* Attached already: a PF whose VFs are not in use takes it as its token. */
	export_uuid(set.vf_token, token);
	ret = iopass_device_call(claim->idev, IOPASS_DEVICE_SET_VF_TOKEN, &set);
	return ret == -ENOTTY ? -EINVAL : ret;
}

static int iopass_vfio_group_get_device_fd(struct iopass_vfio_group *group,
					   char __user *uname)
{
	struct iopass_vfio_claim *claim = NULL;
	char *name, *opts;
	unsigned int i;
	int ret;

	name = strndup_user(uname, PAGE_SIZE);
	if (IS_ERR(name))
		return PTR_ERR(name);
	opts = strchr(name, ' ');
	if (opts)
		*opts++ = 0;
	mutex_lock(&iopass_vfio_lock);
	ret = -EINVAL;		/* no container, or its IOMMU not set */
	if (group->devs) {
		ret = -ENODEV;
		for (i = 0; i < group->nr_devs; i++)
			if (!strcmp(dev_name(group->devs[i].idev->dev.parent),
				    name))
				claim = &group->devs[i];
	}
	if (claim)
		ret = iopass_vfio_claim_token(claim, opts);
	if (claim && !ret) {
		ret = iopass_vfio_device_open(group, claim);
		if (ret >= 0) {
			group->device_fds++;
			kref_get(&group->kref);
		}
	}
	mutex_unlock(&iopass_vfio_lock);
	kfree(name);
	return ret;
}

static long iopass_vfio_group_ioctl(struct file *filp, unsigned int cmd,
				    unsigned long arg)
{
	struct iopass_vfio_group *group = filp->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_GROUP_GET_STATUS:
		return iopass_vfio_group_status(group, uarg);
	case VFIO_GROUP_SET_CONTAINER:
		return iopass_vfio_group_set_container(group, uarg);
	case VFIO_GROUP_UNSET_CONTAINER:
		return iopass_vfio_group_unset_container(group);
	case VFIO_GROUP_GET_DEVICE_FD:
		return iopass_vfio_group_get_device_fd(group, uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations iopass_vfio_group_fops = {
	.owner = THIS_MODULE,
	.open = iopass_vfio_group_open,
	.release = iopass_vfio_group_fd_release,
	.unlocked_ioctl = iopass_vfio_group_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/* An iopass device of IOMMU group @id appeared: its group gets a node. */
static int iopass_vfio_group_add(int id)
{
	struct iopass_vfio_group *group;
	int minor, ret;

	lockdep_assert_held(&iopass_vfio_groups_lock);
	group = iopass_vfio_group_find(id);
	if (group) {
		group->nr_devices++;
		return 0;
	}
	minor = ida_alloc_max(&iopass_vfio_minors, IOPASS_VFIO_MINORS - 1,
			      GFP_KERNEL);
	if (minor < 0)
		return minor;
	group = kzalloc(sizeof(*group), GFP_KERNEL);
	if (!group) {
		ida_free(&iopass_vfio_minors, minor);
		return -ENOMEM;
	}
	kref_init(&group->kref);
	group->id = id;
	group->nr_devices = 1;
	device_initialize(&group->dev);
	group->dev.devt = MKDEV(MAJOR(iopass_vfio_devt), minor);
	group->dev.parent = iopass_vfio_misc.this_device;
	group->dev.release = iopass_vfio_group_dev_release;
	cdev_init(&group->cdev, &iopass_vfio_group_fops);
	group->cdev.owner = THIS_MODULE;
	/* '!' is '/' in devtmpfs: the node is /dev/vfio/<id>, as VFIO's. */
	ret = dev_set_name(&group->dev, "vfio!%d", id);
	if (!ret)
		ret = cdev_device_add(&group->cdev, &group->dev);
	if (ret) {
		put_device(&group->dev);
		return ret;
	}
	list_add(&group->node, &iopass_vfio_groups);
	return 0;
}

/* The last iopass device of group @id went: the node goes too. */
static void iopass_vfio_group_remove(int id)
{
	struct iopass_vfio_group *group;

	lockdep_assert_held(&iopass_vfio_groups_lock);
	group = iopass_vfio_group_find(id);
	if (!group || --group->nr_devices)
		return;
	list_del(&group->node);
	cdev_device_del(&group->cdev, &group->dev);
	iopass_vfio_group_put(group);	/* open fds keep it */
}

/*
 * The iopass devices counted in a group, by their IDs: the scan at load
 * and the notifier may both see a device bound meanwhile; it counts once.
 */
static DEFINE_XARRAY(iopass_vfio_members);

static int iopass_vfio_bus_event(struct notifier_block *nb,
				 unsigned long action, void *data)
{
	struct iopass_device *idev = to_iopass_device(data);
	int id = iopass_group_id(idev->group);

	if (id < 0)
		return NOTIFY_DONE;	/* a mock device: no IOMMU group */
	mutex_lock(&iopass_vfio_groups_lock);
	if (action == BUS_NOTIFY_ADD_DEVICE &&
	    !xa_insert(&iopass_vfio_members, idev->id, idev, GFP_KERNEL) &&
	    iopass_vfio_group_add(id)) {
		xa_erase(&iopass_vfio_members, idev->id);
		pr_warn("iopass_vfio: no /dev/vfio/%d for %s\n", id,
			dev_name(&idev->dev));
	} else if (action == BUS_NOTIFY_DEL_DEVICE &&
		   xa_erase(&iopass_vfio_members, idev->id)) {
		iopass_vfio_group_remove(id);
	}
	mutex_unlock(&iopass_vfio_groups_lock);
	return NOTIFY_DONE;
}

static struct notifier_block iopass_vfio_bus_nb = {
	.notifier_call = iopass_vfio_bus_event,
};

static int iopass_vfio_add_existing(struct device *dev, void *unused)
{
	iopass_vfio_bus_event(NULL, BUS_NOTIFY_ADD_DEVICE, dev);
	return 0;
}

/**
 * iopass_vfio_groups_init() - a node for every group with iopass devices
 *
 * Return: 0 or a negative errno.
 */
int iopass_vfio_groups_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&iopass_vfio_devt, 0, IOPASS_VFIO_MINORS,
				  "iopass-vfio");
	if (ret)
		return ret;
	/* The notifier first: a device bound meanwhile is not missed. */
	ret = bus_register_notifier(&iopass_bus_type, &iopass_vfio_bus_nb);
	if (ret) {
		unregister_chrdev_region(iopass_vfio_devt, IOPASS_VFIO_MINORS);
		return ret;
	}
	bus_for_each_dev(&iopass_bus_type, NULL, NULL, iopass_vfio_add_existing);
	return 0;
}

/**
 * iopass_vfio_groups_exit() - remove every group node
 *
 * The module cannot go while an fd is open (each holds it).
 */
void iopass_vfio_groups_exit(void)
{
	struct iopass_vfio_group *group, *tmp;

	bus_unregister_notifier(&iopass_bus_type, &iopass_vfio_bus_nb);
	mutex_lock(&iopass_vfio_groups_lock);
	list_for_each_entry_safe(group, tmp, &iopass_vfio_groups, node) {
		group->nr_devices = 1;
		iopass_vfio_group_remove(group->id);
	}
	xa_destroy(&iopass_vfio_members);
	mutex_unlock(&iopass_vfio_groups_lock);
	unregister_chrdev_region(iopass_vfio_devt, IOPASS_VFIO_MINORS);
}
