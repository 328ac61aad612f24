// SPDX-License-Identifier: GPL-2.0
/*
 * The VFIO device fd: VFIO's device ioctls, pread/pwrite and mmap, turned
 * into iopass's on the iopass device the group's session claimed.
 *
 * VFIO numbers regions 0-5 (BARs), 6 (ROM), 7 (config), 8 (VGA) at offset
 * index << 40, as iopass does for its BARs (iopass's config is index 6):
 * only the config index is moved.  The ROM is not served (size 0) nor VGA.
 * IRQ indexes are the same in both (INTx, MSI, MSI-X, ERR, REQ).
 *
 * The fds of one device share an inode of their own (the group's claim
 * holds it: vfio_private.h), so that iopass's unmap_mapping_range() of a
 * revoked or detached device's BARs reaches exactly their mappings (a
 * shared anon inode would zap every anon-inode mapping), all of them, and
 * never an inode already freed.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vfio_private.h"

#define IOPASS_VFIO_MAGIC	0x10fa55f1
#define IOPASS_VFIO_SHIFT	40	/* VFIO_PCI_OFFSET_SHIFT */
#define IOPASS_VFIO_OFF_MASK	((1ULL << IOPASS_VFIO_SHIFT) - 1)

/**
 * struct iopass_vfio_device - an open VFIO device fd
 * @group: the group whose session owns @idev (a reference held)
 * @idev: the iopass device
 * @inode: the claim's inode, whose mapping iopass zaps (a reference held)
 */
struct iopass_vfio_device {
	struct iopass_vfio_group *group;
	struct iopass_device *idev;
	struct inode *inode;
};

static struct vfsmount *iopass_vfio_mnt;

static int iopass_vfio_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, IOPASS_VFIO_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No .owner: the mount would pin the module for good.  It is unmounted at
 * module exit, after every device fd (each holds the module) is gone.
 */
static struct file_system_type iopass_vfio_fs_type = {
	.name = "iopass_vfio",
	.init_fs_context = iopass_vfio_fs_init_fs_context,
	.kill_sb = kill_anon_super,
};

/* The iopass region of VFIO region @index, or -EINVAL if not served. */
static int iopass_vfio_region(unsigned int index)
{
	if (index <= VFIO_PCI_BAR5_REGION_INDEX)
		return IOPASS_REGION_BAR0 + index;
	if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		return IOPASS_REGION_CONFIG;
	return -EINVAL;
}

static int iopass_vfio_device_info(struct iopass_device *idev,
				   void __user *uarg)
{
	size_t minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct iopass_device_info di = { .size = sizeof(di) };
	struct vfio_device_info info;
	int ret;

	if (copy_from_user(&info, uarg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	ret = iopass_device_call(idev, IOPASS_DEVICE_GET_INFO, &di);
	if (ret)
		return ret;
	info.flags = VFIO_DEVICE_FLAGS_PCI;
	if (di.device_flags & IOPASS_DEVICE_FLAGS_RESET)
		info.flags |= VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	return copy_to_user(uarg, &info, minsz) ? -EFAULT : 0;
}

/*
 * The sparse-mmap capability, after the info struct at @uarg: the header,
 * then iopass writes the areas straight into the caller's memory.
 */
static int iopass_vfio_sparse_cap(struct iopass_device *idev,
				  struct iopass_region_info *ri,
				  void __user *ucap, u32 n)
{
	struct vfio_region_info_cap_sparse_mmap cap = {
		.header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP,
		.header.version = 1,
		.nr_areas = n,
	};

	if (copy_to_user(ucap, &cap, sizeof(cap)))
		return -EFAULT;
	ri->num_areas = n;
	ri->areas = (uintptr_t)(ucap + sizeof(cap));
	return iopass_device_call(idev, IOPASS_DEVICE_REGION_INFO, ri);
}

static int iopass_vfio_region_info(struct iopass_device *idev,
				   void __user *uarg)
{
	size_t minsz = offsetofend(struct vfio_region_info, offset);
	struct iopass_region_info ri = { .size = sizeof(ri) };
	struct vfio_region_info info;
	u32 capsz, n;
	int region, ret;

	if (copy_from_user(&info, uarg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_REGIONS ||
	    info.index == VFIO_PCI_VGA_REGION_INDEX)
		return -EINVAL;
	info.offset = (u64)info.index << IOPASS_VFIO_SHIFT;
	info.size = 0;
	info.flags = 0;
	info.cap_offset = 0;
	region = iopass_vfio_region(info.index);
	if (region < 0)		/* the ROM: not served */
		return copy_to_user(uarg, &info, minsz) ? -EFAULT : 0;
	ri.index = region;
	ret = iopass_device_call(idev, IOPASS_DEVICE_REGION_INFO, &ri);
	if (ret)
		return ret;
	n = ri.num_areas;
	info.size = ri.region_size;
	if (ri.region_flags & IOPASS_REGION_READ)
		info.flags |= VFIO_REGION_INFO_FLAG_READ;
	if (ri.region_flags & IOPASS_REGION_WRITE)
		info.flags |= VFIO_REGION_INFO_FLAG_WRITE;
	if (ri.region_flags & IOPASS_REGION_MMAP)
		info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
	/* A BAR with the MSI-X table: mmap only around it. */
	if ((ri.region_flags & IOPASS_REGION_MMAP) && ri.hole_size) {
		capsz = sizeof(struct vfio_region_info_cap_sparse_mmap) +
			n * sizeof(struct vfio_region_sparse_mmap_area);
		info.flags |= VFIO_REGION_INFO_FLAG_CAPS;
		if (info.argsz < sizeof(info) + capsz) {
			info.argsz = sizeof(info) + capsz;	/* ask again */
		} else {
			ret = iopass_vfio_sparse_cap(idev, &ri,
						     uarg + sizeof(info), n);
			if (ret)
				return ret;
			info.cap_offset = sizeof(info);
		}
	}
	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

static int iopass_vfio_irq_info(struct iopass_device *idev, void __user *uarg)
{
	size_t minsz = offsetofend(struct vfio_irq_info, count);
	struct iopass_irq_info ii = { .size = sizeof(ii) };
	struct vfio_irq_info info;
	int ret;

	if (copy_from_user(&info, uarg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	ii.index = info.index;		/* the same numbering */
	ret = iopass_device_call(idev, IOPASS_DEVICE_IRQ_INFO, &ii);
	if (ret)
		return ret;
	info.count = ii.count;
	info.flags = VFIO_IRQ_INFO_EVENTFD;
	if (info.index == VFIO_PCI_INTX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	else
		info.flags |= VFIO_IRQ_INFO_NORESIZE;
	return copy_to_user(uarg, &info, minsz) ? -EFAULT : 0;
}

/* The checks VFIO makes of every SET_IRQS; 0 or -EINVAL. */
static int iopass_vfio_irq_set_check(struct iopass_device *idev,
				     struct vfio_irq_set *hdr, size_t minsz)
{
	u32 data = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	u32 action = hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	struct iopass_irq_info ii = { .size = sizeof(ii) };
	u32 end, elem = 0;

	if (hdr->argsz < minsz || hdr->index >= VFIO_PCI_NUM_IRQS ||
	    hdr->flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK |
			   VFIO_IRQ_SET_ACTION_TYPE_MASK) ||
	    hweight32(data) != 1 || hweight32(action) != 1 ||
	    check_add_overflow(hdr->start, hdr->count, &end))
		return -EINVAL;
	ii.index = hdr->index;
	if (iopass_device_call(idev, IOPASS_DEVICE_IRQ_INFO, &ii) ||
	    (hdr->count && (hdr->start >= ii.count || end > ii.count)))
		return -EINVAL;
	if (data == VFIO_IRQ_SET_DATA_EVENTFD)
		elem = sizeof(s32);
	else if (data == VFIO_IRQ_SET_DATA_BOOL)
		elem = sizeof(u8);
	if (hdr->argsz - minsz < (size_t)hdr->count * elem)
		return -EINVAL;
	return 0;
}

/*
 * VFIO's DATA_BOOL: one byte per vector, after the header; true does the
 * action.  Only INTx's mask and unmask take it here (count 1).
 */
static int iopass_vfio_irq_bool(void __user *udata, bool *val)
{
	u8 b;

	if (get_user(b, (u8 __user *)udata))
		return -EFAULT;
	*val = b;
	return 0;
}

/*
 * SET_IRQS, as iopass's: triggers (eventfds, or off with DATA_NONE and
 * count 0), and INTx's mask, unmask and unmask eventfd.  What VFIO serves
 * and iopass does not (loopback triggers with DATA_NONE or DATA_BOOL and
 * a count, an eventfd that masks) fails as VFIO fails what it does not
 * serve: ENOTTY.
 */
static int iopass_vfio_set_irqs(struct iopass_device *idev, void __user *uarg)
{
	size_t minsz = offsetofend(struct vfio_irq_set, count);
	struct iopass_set_irqs set = { .size = sizeof(set) };
	void __user *udata = uarg + minsz;
	struct vfio_irq_set hdr;
	u32 data, action;
	bool yes = true;
	int ret;

	if (copy_from_user(&hdr, uarg, minsz))
		return -EFAULT;
	ret = iopass_vfio_irq_set_check(idev, &hdr, minsz);
	if (ret)
		return ret;
	data = hdr.flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	action = hdr.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	set.index = hdr.index;
	set.start = hdr.start;
	set.count = hdr.count;
	if (action == VFIO_IRQ_SET_ACTION_TRIGGER) {
		if (data == VFIO_IRQ_SET_DATA_BOOL ||
		    (data == VFIO_IRQ_SET_DATA_NONE && hdr.count))
			return -ENOTTY;		/* loopback */
		/* The fds follow the header: iopass copies them itself. */
		set.flags = IOPASS_IRQ_SET_EVENTFD;
		set.eventfds = (uintptr_t)udata;
		return iopass_device_call(idev, IOPASS_DEVICE_SET_IRQS, &set);
	}
	/* Mask and unmask: INTx's only, as VFIO's. */
	if (hdr.index != VFIO_PCI_INTX_IRQ_INDEX)
		return -ENOTTY;
	if (hdr.start || hdr.count != 1)
		return -EINVAL;
	if (data == VFIO_IRQ_SET_DATA_BOOL) {
		ret = iopass_vfio_irq_bool(udata, &yes);
		if (ret)
			return ret;
	}
	if (action == VFIO_IRQ_SET_ACTION_MASK) {
		if (data == VFIO_IRQ_SET_DATA_EVENTFD)
			return -ENOTTY;		/* VFIO has none either */
		set.flags = IOPASS_IRQ_SET_MASK;
	} else if (data == VFIO_IRQ_SET_DATA_EVENTFD) {
		set.flags = IOPASS_IRQ_SET_UNMASK_EVENTFD;
		set.eventfds = (uintptr_t)udata;
	} else {
		set.flags = IOPASS_IRQ_SET_UNMASK;
	}
	return yes ? iopass_device_call(idev, IOPASS_DEVICE_SET_IRQS, &set) : 0;
}

static int iopass_vfio_reset(struct iopass_device *idev)
{
	struct iopass_device_reset reset = { .size = sizeof(reset) };
	int ret = iopass_device_call(idev, IOPASS_DEVICE_RESET, &reset);

	return ret == -EOPNOTSUPP ? -EINVAL : ret;	/* VFIO: no reset_works */
}

/*
 * VFIO_DEVICE_FEATURE: of the features, the SR-IOV VF token (SET, or
 * PROBE) on a physical function; the others (migration, power) are not
 * served: ENOTTY, as for a device without them.
 */
static int iopass_vfio_feature(struct iopass_device *idev, void __user *uarg)
{
	size_t minsz = offsetofend(struct vfio_device_feature, flags);
	struct iopass_device_info di = { .size = sizeof(di) };
	struct iopass_vf_token set = { .size = sizeof(set) };
	struct vfio_device_feature feat;
	int ret;

	if (copy_from_user(&feat, uarg, minsz))
		return -EFAULT;
	if (feat.argsz < minsz ||
	    feat.flags & ~(VFIO_DEVICE_FEATURE_MASK | VFIO_DEVICE_FEATURE_GET |
			   VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PROBE))
		return -EINVAL;
	if ((feat.flags & VFIO_DEVICE_FEATURE_MASK) != VFIO_DEVICE_FEATURE_PCI_VF_TOKEN)
		return -ENOTTY;
	ret = iopass_device_call(idev, IOPASS_DEVICE_GET_INFO, &di);
	if (ret)
		return ret;
	if (!(di.device_flags & IOPASS_DEVICE_FLAGS_SRIOV_PF))
		return -ENOTTY;
	/* SET only, with the UUID after the header; PROBE asks just that. */
	if (!(feat.flags & VFIO_DEVICE_FEATURE_SET) ||
	    feat.flags & VFIO_DEVICE_FEATURE_GET)
		return -EINVAL;
	if (feat.flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	if (feat.argsz < minsz + sizeof(set.vf_token))
		return -EINVAL;
	if (copy_from_user(set.vf_token, uarg + minsz, sizeof(set.vf_token)))
		return -EFAULT;
	return iopass_device_call(idev, IOPASS_DEVICE_SET_VF_TOKEN, &set);
}

static long iopass_vfio_device_ioctl(struct file *filp, unsigned int cmd,
				     unsigned long arg)
{
	struct iopass_vfio_device *vdev = filp->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return iopass_vfio_device_info(vdev->idev, uarg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return iopass_vfio_region_info(vdev->idev, uarg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return iopass_vfio_irq_info(vdev->idev, uarg);
	case VFIO_DEVICE_SET_IRQS:
		return iopass_vfio_set_irqs(vdev->idev, uarg);
	case VFIO_DEVICE_RESET:
		return iopass_vfio_reset(vdev->idev);
	case VFIO_DEVICE_FEATURE:
		return iopass_vfio_feature(vdev->idev, uarg);
	default:
		/* Hot reset: not served. */
		return -ENOTTY;
	}
}

static ssize_t iopass_vfio_device_rw(struct file *filp, char __user *buf,
				     size_t count, loff_t *ppos, bool write)
{
	struct iopass_vfio_device *vdev = filp->private_data;
	int region = iopass_vfio_region((u64)*ppos >> IOPASS_VFIO_SHIFT);
	ssize_t ret;

	if (*ppos < 0 || region < 0)
		return -EINVAL;
	ret = iopass_device_rw_user(vdev->idev, buf, count,
				    IOPASS_REGION_OFFSET(region) +
				    (*ppos & IOPASS_VFIO_OFF_MASK), write);
	if (ret > 0)
		*ppos += ret;
	return ret;
}

static ssize_t iopass_vfio_device_read(struct file *filp, char __user *buf,
				       size_t count, loff_t *ppos)
{
	return iopass_vfio_device_rw(filp, buf, count, ppos, false);
}

static ssize_t iopass_vfio_device_write(struct file *filp,
					const char __user *buf, size_t count,
					loff_t *ppos)
{
	return iopass_vfio_device_rw(filp, (char __user *)buf, count, ppos,
				     true);
}

/* BARs only; their offsets are the same in both UAPIs. */
static int iopass_vfio_device_mmap(struct file *filp,
				   struct vm_area_struct *vma)
{
	struct iopass_vfio_device *vdev = filp->private_data;

	if (vma->vm_pgoff >> (IOPASS_VFIO_SHIFT - PAGE_SHIFT) >
	    VFIO_PCI_BAR5_REGION_INDEX)
		return -EINVAL;
	return iopass_device_mmap_front(vdev->idev, vma);
}

static int iopass_vfio_device_release(struct inode *inode, struct file *filp)
{
	struct iopass_vfio_device *vdev = filp->private_data;

	iput(vdev->inode);
	iopass_vfio_group_device_closed(vdev->group);
	kfree(vdev);
	return 0;
}

static const struct file_operations iopass_vfio_device_fops = {
	.owner = THIS_MODULE,
	.release = iopass_vfio_device_release,
	.read = iopass_vfio_device_read,
	.write = iopass_vfio_device_write,
	.mmap = iopass_vfio_device_mmap,
	.unlocked_ioctl = iopass_vfio_device_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/**
 * iopass_vfio_inode_alloc() - an inode for a claimed device's fds
 *
 * Return: the inode, or an ERR_PTR.
 */
struct inode *iopass_vfio_inode_alloc(void)
{
	return alloc_anon_inode(iopass_vfio_mnt->mnt_sb);
}

/**
 * iopass_vfio_device_open() - VFIO_GROUP_GET_DEVICE_FD's new fd
 * @group: the group (iopass_vfio_lock held); the caller takes a reference for the
 *	fd on success
 * @claim: the device, claimed by the group's session, and its inode
 *
 * Return: the fd, or a negative errno.
 */
int iopass_vfio_device_open(struct iopass_vfio_group *group,
			    struct iopass_vfio_claim *claim)
{
	struct iopass_vfio_device *vdev;
	struct file *file;
	int fd, ret;

	vdev = kzalloc(sizeof(*vdev), GFP_KERNEL_ACCOUNT);
	if (!vdev)
		return -ENOMEM;
	vdev->group = group;
	vdev->idev = claim->idev;
	vdev->inode = claim->inode;
	ihold(vdev->inode);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto out_iput;
	}
	file = anon_inode_getfile("[iopass-vfio-device]",
				  &iopass_vfio_device_fops, vdev, O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto out_fd;
	}
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	file->f_mapping = vdev->inode->i_mapping;
	fd_install(fd, file);
	return fd;

out_fd:
	put_unused_fd(fd);
out_iput:
	iput(vdev->inode);
	kfree(vdev);
	return ret;
}

/**
 * iopass_vfio_fs_init() - mount the pseudo fs the device fds' inodes are on
 *
 * Return: 0 or a negative errno.
 */
int iopass_vfio_fs_init(void)
{
	iopass_vfio_mnt = kern_mount(&iopass_vfio_fs_type);
	return PTR_ERR_OR_ZERO(iopass_vfio_mnt);
}

/**
 * iopass_vfio_fs_exit() - unmount it
 */
void iopass_vfio_fs_exit(void)
{
	kern_unmount(iopass_vfio_mnt);
}
