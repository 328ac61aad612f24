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
 * Unregistering first asks the owner to give the device back (the request
 * eventfd) and waits a bounded time for the fd to be released; then it
 * takes @lock for writing, so it waits for running operations, revokes
 * what the fd had (interrupts, BAR mappings) and marks the device dead:
 * every later operation fails with ENODEV instead of touching a released
 * device.
 */
#include <kunit/visibility.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/rwsem.h>
#include <linux/slab.h>

#include "iopass.h"

static unsigned int release_timeout_ms = 2000;
module_param(release_timeout_ms, uint, 0644);
MODULE_PARM_DESC(release_timeout_ms,
		 "How long unbinding waits for the owner to close the device before revoking it (default 2000)");

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

static ssize_t interrupts_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&to_iopass_device(dev)->interrupts));
}
static DEVICE_ATTR_RO(interrupts);

/* The NUMA node of the real device: -1 when the firmware does not say. */
static int iopass_device_node(struct iopass_device *idev)
{
	return dev_to_node(idev->dev.parent);
}

static ssize_t numa_node_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", iopass_device_node(to_iopass_device(dev)));
}
static DEVICE_ATTR_RO(numa_node);

/* The CPUs of its node; every online CPU when the node is not known. */
static ssize_t local_cpus_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	int node = iopass_device_node(to_iopass_device(dev));

	return sysfs_emit(buf, "%*pbl\n",
			  cpumask_pr_args(node == NUMA_NO_NODE ?
					  cpu_online_mask :
					  cpumask_of_node(node)));
}
static DEVICE_ATTR_RO(local_cpus);

static ssize_t pinned_pages_by_node_show(struct device *dev,
					 struct device_attribute *attr,
					 char *buf)
{
	return iopass_group_nodes_show(to_iopass_device(dev), buf);
}
static DEVICE_ATTR_RO(pinned_pages_by_node);

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
	&dev_attr_interrupts.attr,
	&dev_attr_numa_node.attr,
	&dev_attr_local_cpus.attr,
	&dev_attr_pinned_pages_by_node.attr,
	NULL
};
ATTRIBUTE_GROUPS(iopass_device);

static int iopass_device_get_info(void *priv, void *arg)
{
	struct iopass_device *idev = priv;
	struct iopass_device_info *info = arg;

	if (info->__reserved || info->__reserved2 || info->__reserved3)
		return -EINVAL;
	/* Every output field is written: a backend fills what it knows. */
	info->pci_segment = 0;
	info->pci_bus = 0;
	info->pci_devfn = 0;
	info->device_flags = 0;
	info->num_regions = 0;
	info->num_irqs = 0;
	info->iommu_group = iopass_group_id(idev->group);
	info->domain_type = iopass_device_domain_type(idev);
	info->numa_node = iopass_device_node(idev);
	if (idev->ops->fill_info)
		idev->ops->fill_info(idev, info);
	return 0;
}

static void iopass_device_set_attached(struct iopass_device *idev,
				       bool attached)
{
	if (idev->ops->attached)
		idev->ops->attached(idev, attached);
}

static int iopass_device_detach(void *priv, void *arg);

/*
 * Attach @idev, held for writing, to @ioas once the backend agrees
 * (@vf_token: the owner's VF token, or NULL).
 */
static int iopass_device_attach_claimed(struct iopass_device *idev,
					struct iopass_ioas *ioas,
					const uuid_t *vf_token)
{
	int ret;

	/* Before claiming: a claim must not be undone under an attached device. */
	if (READ_ONCE(idev->ioas))
		return -EALREADY;
	if (idev->ops->claim) {
		ret = idev->ops->claim(idev, vf_token);
		if (ret)
			return ret;
	} else if (vf_token) {
		return -EINVAL;
	}
	ret = iopass_group_attach(idev, ioas);
	if (!ret)
		iopass_device_set_attached(idev, true);
	else if (idev->ops->unclaim)
		idev->ops->unclaim(idev);
	return ret;
}

/**
 * iopass_device_attach_ioas() - attach a device to an address space
 * @idev: the device, opened through a front
 * @ioas: the address space; the caller holds a reference
 * @vf_token: the owner's SR-IOV VF token, or NULL
 *
 * What IOPASS_DEVICE_ATTACH does, for a front that names the IOAS its own
 * way (iopass_vfio.ko: a container).
 *
 * Return: 0 or the errno documented for IOPASS_DEVICE_ATTACH.
 */
int iopass_device_attach_ioas(struct iopass_device *idev,
			      struct iopass_ioas *ioas, const uuid_t *vf_token)
{
	int ret;

	ret = iopass_device_enter(idev, true);
	if (ret)
		return ret;
	ret = iopass_device_attach_claimed(idev, ioas, vf_token);
	iopass_device_exit(idev, true);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iopass_device_attach_ioas, IOPASS);

/**
 * iopass_device_detach_ioas() - detach a device, as IOPASS_DEVICE_DETACH
 * @idev: the device, opened through a front
 *
 * Return: 0, -ENOENT if it is not attached, -ENODEV once unbound.
 */
int iopass_device_detach_ioas(struct iopass_device *idev)
{
	int ret;

	ret = iopass_device_enter(idev, true);
	if (ret)
		return ret;
	ret = iopass_device_detach(idev, NULL);
	iopass_device_exit(idev, true);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iopass_device_detach_ioas, IOPASS);

static int iopass_device_attach(void *priv, void *arg)
{
	struct iopass_device_attach *cmd = arg;
	const uuid_t *vf_token = NULL;
	struct iopass_ioas *ioas;
	struct file *ctx;
	uuid_t token;
	int ret;

	if (cmd->flags & IOPASS_ATTACH_VF_TOKEN) {
		import_uuid(&token, cmd->vf_token);
		vf_token = &token;
	} else if (memchr_inv(cmd->vf_token, 0, sizeof(cmd->vf_token))) {
		return -EINVAL;
	}
	ctx = fget(cmd->ctx_fd);
	if (!ctx)
		return -EBADF;
	ioas = iopass_ctx_ioas_get(ctx, cmd->ioas_id);
	fput(ctx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	ret = iopass_device_attach_claimed(priv, ioas, vf_token);
	iopass_ioas_put(ioas);
	return ret;
}

static int iopass_device_detach(void *priv, void *arg)
{
	struct iopass_device *idev = priv;

	if (!READ_ONCE(idev->ioas))
		return -ENOENT;
	/* Stop it first: its group may next be in another address space. */
	iopass_device_set_attached(idev, false);
	return iopass_group_detach(idev);
}

static const struct iopass_ioctl_op iopass_device_ioctls[] = {
	IOPASS_IOCTL_OP(IOPASS_DEVICE_GET_INFO, iopass_device_get_info,
			struct iopass_device_info, __reserved, 0),
	IOPASS_IOCTL_OP_LOCK(IOPASS_DEVICE_ATTACH, iopass_device_attach,
			     struct iopass_device_attach, ioas_id,
			     IOPASS_ATTACH_VF_TOKEN, IOPASS_IOCTL_LOCK_WRITE),
	IOPASS_IOCTL_OP_LOCK(IOPASS_DEVICE_DETACH, iopass_device_detach,
			     struct iopass_device_detach, flags, 0,
			     IOPASS_IOCTL_LOCK_WRITE),
};

/**
 * iopass_device_check_attached() - may the owner drive @idev?
 * @idev: a live device
 *
 * Driving a device (its registers, interrupts, reset) needs it attached:
 * otherwise its group could be in another owner's address space.
 *
 * Return: 0 or -EPERM.
 */
int iopass_device_check_attached(struct iopass_device *idev)
{
	return READ_ONCE(idev->ioas) ? 0 : -EPERM;
}
EXPORT_SYMBOL_NS_GPL(iopass_device_check_attached, IOPASS);

/**
 * iopass_device_enter() - hold @idev for an fd operation
 * @idev: the device
 * @write: exclusively (ATTACH, DETACH), or shared with other operations
 *
 * Never called with user memory still to be touched: a copy stalled at a
 * page fault (userfaultfd, FUSE) would hold off unbind for as long.
 *
 * Return: 0, with @idev->lock held; -ENODEV if the device was revoked.
 */
int iopass_device_enter(struct iopass_device *idev, bool write)
{
	if (write)
		down_write(&idev->lock);
	else
		down_read(&idev->lock);
	if (idev->live)
		return 0;
	iopass_device_exit(idev, write);
	return -ENODEV;
}
EXPORT_SYMBOL_NS_GPL(iopass_device_enter, IOPASS);

/**
 * iopass_device_exit() - undo iopass_device_enter()
 * @idev: the device
 * @write: as entered
 */
void iopass_device_exit(struct iopass_device *idev, bool write)
{
	if (write)
		up_write(&idev->lock);
	else
		up_read(&idev->lock);
}
EXPORT_SYMBOL_NS_GPL(iopass_device_exit, IOPASS);

/* Run @op's handler on @arg, holding @idev as the op says. */
static int iopass_device_execute(struct iopass_device *idev,
				 const struct iopass_ioctl_op *op, void *arg)
{
	bool write = op->lock == IOPASS_IOCTL_LOCK_WRITE;
	int ret;

	if (op->lock == IOPASS_IOCTL_LOCK_SELF)
		return op->execute(idev, arg);
	ret = iopass_device_enter(idev, write);
	if (ret)
		return ret;
	ret = op->execute(idev, arg);
	iopass_device_exit(idev, write);
	return ret;
}

static long iopass_device_ioctl(struct file *filp, unsigned int cmd,
				unsigned long arg)
{
	struct iopass_device *idev = filp->private_data;
	void __user *uarg = (void __user *)arg;
	struct iopass_ioctl_call call;
	int ret;

	ret = iopass_ioctl_prepare(iopass_device_ioctls,
				   ARRAY_SIZE(iopass_device_ioctls), cmd, uarg,
				   &call);
	if (ret == -ENOTTY && idev->ops->n_ioctls)
		ret = iopass_ioctl_prepare(idev->ops->ioctls,
					   idev->ops->n_ioctls, cmd, uarg,
					   &call);
	if (ret)
		return ret == -ENOTTY && !READ_ONCE(idev->live) ? -ENODEV : ret;
	return iopass_ioctl_finish(&call,
				   iopass_device_execute(idev, call.op, call.buf));
}

/**
 * iopass_device_call() - run one of the device's ioctls on a kernel argument
 * @idev: the device, opened through a front
 * @cmd: an iopass device ioctl (IOPASS_DEVICE_SET_IRQS, ...)
 * @arg: its argument struct, in kernel memory, with @size and @flags set;
 *	user pointers inside it (SET_IRQS's eventfds, REGION_INFO's areas)
 *	are the caller's user memory
 *
 * For a front that speaks another UAPI (iopass_vfio.ko): the argument
 * rules of iopass_ioctl_prepare() are the front's to apply; this applies
 * the op's flags and its locking, as the device fd does.
 *
 * Return: the handler's result; -ENOTTY for no such ioctl, -EOPNOTSUPP
 * for flags it does not take, -ENODEV once unbound.
 */
long iopass_device_call(struct iopass_device *idev, unsigned int cmd,
			void *arg)
{
	const struct iopass_ioctl_op *op;

	/* The same tables, in the same order, as the device fd's ioctl. */
	op = iopass_ioctl_find(iopass_device_ioctls,
			       ARRAY_SIZE(iopass_device_ioctls), cmd) ?:
	     iopass_ioctl_find(idev->ops->ioctls, idev->ops->n_ioctls, cmd);
	if (!op)
		return -ENOTTY;
	if (((u32 *)arg)[1] & ~op->valid_flags)
		return -EOPNOTSUPP;
	return iopass_device_execute(idev, op, arg);
}
EXPORT_SYMBOL_NS_GPL(iopass_device_call, IOPASS);

/* pread/pwrite go through a kernel buffer of at most this many bytes. */
#define IOPASS_RW_CHUNK		PAGE_SIZE

/* One chunk: 0 < bytes done <= @len, 0 at the region's end, or an errno. */
static ssize_t iopass_device_rw_chunk(struct iopass_device *idev, void *kbuf,
				      size_t len, loff_t pos, bool write)
{
	ssize_t ret;

	ret = iopass_device_enter(idev, false);
	if (ret)
		return ret;
	ret = iopass_device_check_attached(idev);
	if (!ret)
		ret = idev->ops->rw(idev, kbuf, len, pos, write);
	iopass_device_exit(idev, false);
	return ret;
}

/**
 * iopass_device_rw_user() - pread/pwrite of a device, for any front
 * @idev: the device, opened through a front
 * @buf: the user's buffer
 * @count: bytes
 * @pos: the region offset (IOPASS_REGION_OFFSET())
 * @write: direction
 *
 * User memory is copied outside @lock (see iopass_device_enter()), a chunk
 * at a time.
 *
 * Return: bytes done, or the first chunk's error.
 */
ssize_t iopass_device_rw_user(struct iopass_device *idev, char __user *buf,
			      size_t count, loff_t pos, bool write)
{
	size_t done = 0, len;
	ssize_t ret = 0;
	void *kbuf;

	if (!idev->ops->rw)
		return -EINVAL;
	if (!count)
		return 0;
	kbuf = kmalloc(min_t(size_t, count, IOPASS_RW_CHUNK), GFP_KERNEL);
	if (!kbuf)
		return -ENOMEM;
	while (done < count) {
		len = min_t(size_t, count - done, IOPASS_RW_CHUNK);
		if (write && copy_from_user(kbuf, buf + done, len)) {
			ret = -EFAULT;
			break;
		}
		ret = iopass_device_rw_chunk(idev, kbuf, len, pos + done, write);
		if (ret <= 0)
			break;
		if (!write && copy_to_user(buf + done, kbuf, ret)) {
			ret = -EFAULT;
			break;
		}
		done += ret;
		if (ret < len)
			break;	/* the region ended, or an access failed */
	}
	kfree(kbuf);
	return done ? done : ret;
}
EXPORT_SYMBOL_NS_GPL(iopass_device_rw_user, IOPASS);

static ssize_t iopass_device_read(struct file *filp, char __user *buf,
				  size_t count, loff_t *ppos)
{
	ssize_t ret = iopass_device_rw_user(filp->private_data, buf, count,
					    *ppos, false);

	if (ret > 0)
		*ppos += ret;
	return ret;
}

static ssize_t iopass_device_write(struct file *filp, const char __user *buf,
				   size_t count, loff_t *ppos)
{
	ssize_t ret = iopass_device_rw_user(filp->private_data,
					    (char __user *)buf, count, *ppos,
					    true);

	if (ret > 0)
		*ppos += ret;
	return ret;
}

/**
 * iopass_device_mmap_front() - mmap of a device's region, for any front
 * @idev: the device, opened through a front
 * @vma: the mapping; its file's f_mapping must be the front's own (its
 *	BAR mappings are zapped through it)
 *
 * mmap runs with mmap_lock held, and @lock's holders touch user memory:
 * no @lock here.  A mapping made while the device is being revoked is
 * harmless: the backend refuses to fault it in once revoked.
 *
 * Return: 0 or the backend's errno; -ENODEV once revoked, -EPERM while
 * detached.
 */
int iopass_device_mmap_front(struct iopass_device *idev,
			     struct vm_area_struct *vma)
{
	int ret;

	if (!idev->ops->mmap)
		return -EINVAL;
	if (!READ_ONCE(idev->live))
		return -ENODEV;
	ret = iopass_device_check_attached(idev);
	return ret ? ret : idev->ops->mmap(idev, vma);
}
EXPORT_SYMBOL_NS_GPL(iopass_device_mmap_front, IOPASS);

static int iopass_device_mmap(struct file *filp, struct vm_area_struct *vma)
{
	return iopass_device_mmap_front(filp->private_data, vma);
}

/**
 * iopass_device_open_front() - make a front the device's one owner
 * @idev: the device
 *
 * The char device is one front; iopass_vfio.ko's device fd is another.
 * Either way the device has one owner at a time.
 *
 * Return: 0; -EBUSY if it is open already (through either front),
 * -ENODEV once unbound, or the backend's open error.
 */
int iopass_device_open_front(struct iopass_device *idev)
{
	int ret = 0;

	if (atomic_cmpxchg(&idev->opened, 0, 1))
		return -EBUSY;
	down_read(&idev->lock);
	if (!idev->live)
		ret = -ENODEV;
	else if (idev->ops->open)
		ret = idev->ops->open(idev);
	/* Only this opener writes it while it holds @opened. */
	WRITE_ONCE(idev->backend_open, !ret);
	up_read(&idev->lock);
	if (ret)
		atomic_set(&idev->opened, 0);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iopass_device_open_front, IOPASS);

static int iopass_device_open(struct inode *inode, struct file *filp)
{
	struct iopass_device *idev = container_of(inode->i_cdev,
						  struct iopass_device, cdev);
	int ret = iopass_device_open_front(idev);

	if (!ret)
		filp->private_data = idev;
	return ret;
}

/**
 * iopass_device_release_front() - the owner's fd is gone
 * @idev: the device, opened with iopass_device_open_front()
 *
 * Closes the backend (interrupts off, mappings zapped, reset), detaches
 * the device and makes it free to open again.
 */
void iopass_device_release_front(struct iopass_device *idev)
{
	down_read(&idev->lock);
	if (idev->live) {
		if (idev->backend_open && idev->ops->close)
			idev->ops->close(idev, false);
		WRITE_ONCE(idev->backend_open, false);
		iopass_group_detach(idev);
	}
	/* Under the lock: an unbind must not also close what was closed. */
	atomic_set(&idev->opened, 0);
	up_read(&idev->lock);
	wake_up(&idev->released);
}
EXPORT_SYMBOL_NS_GPL(iopass_device_release_front, IOPASS);

static int iopass_device_fd_release(struct inode *inode, struct file *filp)
{
	iopass_device_release_front(filp->private_data);
	return 0;
}

static const struct file_operations iopass_device_fops = {
	.owner = THIS_MODULE,
	.open = iopass_device_open,
	.release = iopass_device_fd_release,
	.read = iopass_device_read,
	.write = iopass_device_write,
	.mmap = iopass_device_mmap,
	.llseek = default_llseek,
	.unlocked_ioctl = iopass_device_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static void iopass_device_release(struct device *dev)
{
	struct iopass_device *idev = to_iopass_device(dev);

	if (idev->id >= 0)
		iopass_bus_free_devt(idev);
	put_device(idev->dev.parent);
	kfree(idev);
}

/**
 * iopass_device_alloc() - allocate an iopass device for @parent
 * @parent: the real device, bound to the backend's driver
 * @ops: the backend's callbacks
 * @priv_size: bytes of backend state to allocate with it (&iopass_device.priv)
 *
 * Return: the device, to be registered or dropped with iopass_device_put(),
 * or an ERR_PTR.
 */
struct iopass_device *iopass_device_alloc(struct device *parent,
					  const struct iopass_device_ops *ops,
					  size_t priv_size)
{
	struct iopass_device *idev;
	int ret;

	idev = kzalloc(sizeof(*idev) + priv_size, GFP_KERNEL);
	if (!idev)
		return ERR_PTR(-ENOMEM);
	if (priv_size)
		idev->priv = idev + 1;
	idev->id = -1;
	idev->ops = ops;
	init_rwsem(&idev->lock);
	init_waitqueue_head(&idev->released);
	device_initialize(&idev->dev);
	idev->dev.bus = &iopass_bus_type;
	/* The backend's state may point at it as long as an fd is open. */
	idev->dev.parent = get_device(parent);
	idev->dev.groups = iopass_device_groups;
	idev->dev.release = iopass_device_release;
	cdev_init(&idev->cdev, &iopass_device_fops);
	idev->cdev.owner = idev->ops->owner ?: THIS_MODULE;

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

	if (atomic_read(&idev->opened) && idev->ops->request) {
		unsigned long start = jiffies;

		idev->ops->request(idev);
		if (wait_event_timeout(idev->released,
				       !atomic_read(&idev->opened),
				       msecs_to_jiffies(release_timeout_ms)))
			dev_info(&idev->dev, "iopass: the owner released the device %u ms after the request\n",
				 jiffies_to_msecs(jiffies - start));
		else
			dev_info(&idev->dev, "iopass: the owner kept the device past release_timeout_ms (%u): revoked\n",
				 release_timeout_ms);
	}

	down_write(&idev->lock);
	if (idev->backend_open && idev->ops->close)
		idev->ops->close(idev, true);	/* revoke what the fd has */
	idev->backend_open = false;
	idev->live = false;
	idev->ops->quiesce(idev);
	iopass_group_detach(idev);
	up_write(&idev->lock);

	iopass_group_leave(idev);
}
EXPORT_SYMBOL_NS_GPL(iopass_device_unregister, IOPASS);
