// SPDX-License-Identifier: GPL-2.0
/*
 * iopass devices: what user space opens.
 *
 * A backend allocates an iopass device for the real device it binds,
 * registers it (which takes DMA ownership of the IOMMU group and puts the
 * group in an iopass domain) and unregisters it when unbound.
 *
 * The char device can be open once at a time: its fd is the device's one
 * owner.  The owner attaches the device to an address space of a context
 * (/dev/iopass); closing the fd detaches it.
 *
 * An open fd can outlive the binding: the char device keeps the struct
 * alive, and @live, under @lock, says whether the binding still stands.
 * Unregistering takes @lock for writing, so it waits for running ioctls,
 * and every later one fails with ENODEV instead of touching a released
 * device.
 */
#include <kunit/visibility.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/rwsem.h>
#include <linux/slab.h>

#include "iopass.h"

static const char *const iopass_domain_type_names[] = {
	[IOPASS_DOMAIN_NONE] = "none",
	[IOPASS_DOMAIN_PAGING] = "paging",
	[IOPASS_DOMAIN_BLOCKED] = "blocked",
	[IOPASS_DOMAIN_IDENTITY] = "identity",
	[IOPASS_DOMAIN_KERNEL] = "kernel-dma",
	[IOPASS_DOMAIN_OTHER] = "other",
};

static ssize_t iommu_group_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct iopass_device *idev = to_iopass_device(dev);

	return sysfs_emit(buf, "%d\n", iopass_group_id(idev->group));
}
static DEVICE_ATTR_RO(iommu_group);

static ssize_t domain_type_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	enum iopass_domain_type type;

	type = iopass_device_domain_type(to_iopass_device(dev));
	return sysfs_emit(buf, "%s\n", iopass_domain_type_names[type]);
}
static DEVICE_ATTR_RO(domain_type);

/* Counters of the domain the device is in; see iopass_group_stats(). */
#define IOPASS_STAT_ATTR(_name, _index)					\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	u64 stats[5];							\
									\
	iopass_group_stats(to_iopass_device(dev), stats);		\
	return sysfs_emit(buf, "%llu\n", stats[_index]);		\
}									\
static DEVICE_ATTR_RO(_name)

IOPASS_STAT_ATTR(mapped_bytes, 0);
IOPASS_STAT_ATTR(pinned_pages, 1);
IOPASS_STAT_ATTR(maps, 2);
IOPASS_STAT_ATTR(unmaps, 3);
IOPASS_STAT_ATTR(iotlb_syncs, 4);

static struct attribute *iopass_device_attrs[] = {
	&dev_attr_iommu_group.attr,
	&dev_attr_domain_type.attr,
	&dev_attr_mapped_bytes.attr,
	&dev_attr_pinned_pages.attr,
	&dev_attr_maps.attr,
	&dev_attr_unmaps.attr,
	&dev_attr_iotlb_syncs.attr,
	NULL
};
ATTRIBUTE_GROUPS(iopass_device);

static int iopass_device_get_info(void *priv, void *arg)
{
	struct iopass_device *idev = priv;
	struct iopass_device_info *info = arg;

	if (info->__reserved)
		return -EINVAL;
	info->iommu_group = iopass_group_id(idev->group);
	info->domain_type = iopass_device_domain_type(idev);
	if (idev->ops->fill_info)
		idev->ops->fill_info(idev, info);
	return 0;
}

static int iopass_device_attach(void *priv, void *arg)
{
	struct iopass_device_attach *cmd = arg;
	struct iopass_ioas *ioas;
	struct file *ctx;
	int ret;

	ctx = fget(cmd->ctx_fd);
	if (!ctx)
		return -EBADF;
	ioas = iopass_ctx_ioas_get(ctx, cmd->ioas_id);
	fput(ctx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	ret = iopass_group_attach(priv, ioas);
	iopass_ioas_put(ioas);
	return ret;
}

static int iopass_device_detach(void *priv, void *arg)
{
	return iopass_group_detach(priv);
}

static const struct iopass_ioctl_op iopass_device_ioctls[] = {
	IOPASS_IOCTL_OP(IOPASS_DEVICE_GET_INFO, iopass_device_get_info,
			struct iopass_device_info, __reserved, 0),
	IOPASS_IOCTL_OP(IOPASS_DEVICE_ATTACH, iopass_device_attach,
			struct iopass_device_attach, ioas_id, 0),
	IOPASS_IOCTL_OP(IOPASS_DEVICE_DETACH, iopass_device_detach,
			struct iopass_device_detach, flags, 0),
};

static long iopass_device_ioctl(struct file *filp, unsigned int cmd,
				unsigned long arg)
{
	struct iopass_device *idev = filp->private_data;
	long ret = -ENODEV;

	down_read(&idev->lock);
	if (idev->live)
		ret = iopass_ioctl_dispatch(iopass_device_ioctls,
					    ARRAY_SIZE(iopass_device_ioctls),
					    idev, cmd, (void __user *)arg);
	up_read(&idev->lock);
	return ret;
}

static int iopass_device_open(struct inode *inode, struct file *filp)
{
	struct iopass_device *idev = container_of(inode->i_cdev,
						  struct iopass_device, cdev);

	if (atomic_cmpxchg(&idev->opened, 0, 1))
		return -EBUSY;
	filp->private_data = idev;
	return nonseekable_open(inode, filp);
}

static int iopass_device_fd_release(struct inode *inode, struct file *filp)
{
	struct iopass_device *idev = filp->private_data;

	down_read(&idev->lock);
	if (idev->live)
		iopass_group_detach(idev);
	up_read(&idev->lock);
	atomic_set(&idev->opened, 0);
	return 0;
}

static const struct file_operations iopass_device_fops = {
	.owner = THIS_MODULE,
	.open = iopass_device_open,
	.release = iopass_device_fd_release,
	.unlocked_ioctl = iopass_device_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static void iopass_device_release(struct device *dev)
{
	struct iopass_device *idev = to_iopass_device(dev);

	if (idev->id >= 0)
		iopass_bus_free_devt(idev);
	kfree(idev);
}

/**
 * iopass_device_alloc() - allocate an iopass device for @parent
 * @parent: the real device, bound to the backend's driver
 * @ops: the backend's callbacks
 *
 * Return: the device, to be registered or dropped with iopass_device_put(),
 * or an ERR_PTR.
 */
struct iopass_device *iopass_device_alloc(struct device *parent,
					  const struct iopass_device_ops *ops)
{
	struct iopass_device *idev;
	int ret;

	idev = kzalloc(sizeof(*idev), GFP_KERNEL);
	if (!idev)
		return ERR_PTR(-ENOMEM);
	idev->id = -1;
	idev->ops = ops;
	init_rwsem(&idev->lock);
	device_initialize(&idev->dev);
	idev->dev.bus = &iopass_bus_type;
	idev->dev.parent = parent;
	idev->dev.groups = iopass_device_groups;
	idev->dev.release = iopass_device_release;
	cdev_init(&idev->cdev, &iopass_device_fops);
	idev->cdev.owner = THIS_MODULE;

	ret = iopass_bus_alloc_devt(idev);
	if (ret) {
		iopass_device_put(idev);
		return ERR_PTR(ret);
	}
	return idev;
}
EXPORT_SYMBOL_NS_GPL(iopass_device_alloc, IOPASS);

/**
 * iopass_device_put() - drop a reference to @idev
 * @idev: the device
 */
void iopass_device_put(struct iopass_device *idev)
{
	put_device(&idev->dev);
}
EXPORT_SYMBOL_NS_GPL(iopass_device_put, IOPASS);

/**
 * iopass_device_register() - take ownership of the parent's DMA and publish
 * @idev: a device from iopass_device_alloc()
 *
 * Return: 0, or the error of iopass_group_join() or of adding the device.
 */
int iopass_device_register(struct iopass_device *idev)
{
	struct iopass_group *group;
	int ret;

	group = iopass_group_join(idev);
	if (IS_ERR(group))
		return PTR_ERR(group);
	idev->group = group;
	idev->live = true;

	ret = cdev_device_add(&idev->cdev, &idev->dev);
	if (ret) {
		idev->live = false;
		idev->ops->quiesce(idev);
		iopass_group_leave(idev);
		return ret;
	}
	return 0;
}
EXPORT_SYMBOL_NS_GPL(iopass_device_register, IOPASS);

/**
 * iopass_device_unregister() - revoke user access and give ownership back
 * @idev: a registered device
 *
 * Open fds stay valid but every ioctl on them fails with ENODEV.  The
 * device is quiesced before it leaves its address space and before its
 * group can go back to the kernel's domain.
 */
void iopass_device_unregister(struct iopass_device *idev)
{
	cdev_device_del(&idev->cdev, &idev->dev);

	down_write(&idev->lock);
	idev->live = false;
	idev->ops->quiesce(idev);
	iopass_group_detach(idev);
	up_write(&idev->lock);

	iopass_group_leave(idev);
}
EXPORT_SYMBOL_NS_GPL(iopass_device_unregister, IOPASS);
