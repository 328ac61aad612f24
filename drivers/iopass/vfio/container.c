// SPDX-License-Identifier: GPL-2.0
/*
 * The VFIO container, /dev/vfio/vfio: an iopass address space.
 *
 * VFIO_SET_IOMMU creates the address space (in the caller's mm, which then
 * is the only one that may map, as with an iopass context) and attaches
 * every group already joined; groups joined later attach at once.
 * MAP_DMA and UNMAP_DMA are iopass's MAP (at a fixed IOVA) and UNMAP: the
 * same fast path, the same invariants (flush before unpin, never wider
 * than asked, RLIMIT_MEMLOCK accounting).
 *
 * Type1 and type1v2 are both offered and both get type1v2's UNMAP rules:
 * an UNMAP must not cut through a mapping (EINVAL), may span several, and
 * unmaps nothing without error.  Type1 (v1) let a request that starts
 * inside a mapping succeed having unmapped nothing, and one that covers a
 * mapping's first IOVA remove the whole mapping; iopass never splits or
 * widens a mapping, so it refuses those (as iommufd's compat layer does
 * differently: it splits).  Documentation/vfio-compat.rst lists the rest.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vfio_private.h"

static int iopass_vfio_container_open(struct inode *inode, struct file *filp)
{
	struct iopass_vfio_container *c;

	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return -ENOMEM;
	INIT_LIST_HEAD(&c->groups);
	filp->private_data = c;
	return 0;
}

/* The last reference: every group has left (each held the file). */
static int iopass_vfio_container_release(struct inode *inode,
					 struct file *filp)
{
	struct iopass_vfio_container *c = filp->private_data;

	WARN_ON(!list_empty(&c->groups));
	if (c->ioas)
		iopass_ioas_put(c->ioas);
	kfree(c);
	return 0;
}

static long iopass_vfio_check_extension(unsigned long ext)
{
	switch (ext) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	default:
		return 0;
	}
}

static int iopass_vfio_set_iommu(struct iopass_vfio_container *c,
				 unsigned long type)
{
	struct iopass_vfio_group *group;
	struct iopass_ioas *ioas;
	int ret = 0;

	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU)
		return -ENODEV;
	mutex_lock(&iopass_vfio_lock);
	if (list_empty(&c->groups) || c->type) {
		ret = -EINVAL;
		goto out_unlock;
	}
	ioas = iopass_ioas_alloc(current->mm);
	if (IS_ERR(ioas)) {
		ret = PTR_ERR(ioas);
		goto out_unlock;
	}
	list_for_each_entry(group, &c->groups, container_node) {
		ret = iopass_vfio_group_claim(group, ioas);
		if (ret)
			break;
	}
	if (ret) {
		list_for_each_entry_continue_reverse(group, &c->groups,
						     container_node)
			iopass_vfio_group_unclaim(group);
		iopass_ioas_put(ioas);
		goto out_unlock;
	}
	c->type = type;
	/* MAP and UNMAP read it without the lock: published whole. */
	smp_store_release(&c->ioas, ioas);
out_unlock:
	mutex_unlock(&iopass_vfio_lock);
	return ret;
}

/**
 * iopass_vfio_container_join() - VFIO_GROUP_SET_CONTAINER
 * @group: the group, joined to no container (iopass_vfio_lock held)
 * @file: what should be an open /dev/vfio/vfio
 *
 * Return: 0; -EBADFD if @file is not a container; or the errno of
 * claiming the group's devices (iopass_vfio_group_claim()).
 */
int iopass_vfio_container_join(struct iopass_vfio_group *group,
			       struct file *file)
{
	struct iopass_vfio_container *c;
	int ret = 0;

	lockdep_assert_held(&iopass_vfio_lock);
	if (file->f_op != &iopass_vfio_container_fops)
		return -EBADFD;
	c = file->private_data;
	if (c->ioas)
		ret = iopass_vfio_group_claim(group, c->ioas);
	if (!ret) {
		list_add_tail(&group->container_node, &c->groups);
		group->container = c;
		group->container_file = get_file(file);
	}
	return ret;
}

/**
 * iopass_vfio_container_leave() - VFIO_GROUP_UNSET_CONTAINER, or the end
 *	of the group's session
 * @group: a joined group (iopass_vfio_lock held), with no device fd open
 */
void iopass_vfio_container_leave(struct iopass_vfio_group *group)
{
	struct iopass_vfio_container *c = group->container;
	struct file *file = group->container_file;

	lockdep_assert_held(&iopass_vfio_lock);
	if (c->ioas)
		iopass_vfio_group_unclaim(group);
	list_del(&group->container_node);
	group->container = NULL;
	group->container_file = NULL;
	fput(file);
}

/* Page sizes: every power of two from the address space's alignment. */
static u64 iopass_vfio_pgsizes(unsigned long align)
{
	return ~((u64)align - 1);
}

/*
 * The capability chain of IOMMU_GET_INFO, built in @buf: IOVA ranges, then
 * DMA_AVAIL.  Offsets are from the start of the info struct, which is
 * @base bytes long.  Returns the chain's length.
 */
static size_t iopass_vfio_info_caps(struct iopass_ioas *ioas, void *buf,
				    struct iopass_iova_range *ranges,
				    unsigned int n, size_t base)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap = buf;
	struct vfio_iommu_type1_info_dma_avail *avail;
	size_t len = struct_size(cap, iova_ranges, n);
	unsigned int i;

	cap->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
	cap->header.version = 1;
	cap->nr_iovas = n;
	for (i = 0; i < n; i++) {
		cap->iova_ranges[i].start = ranges[i].start;
		cap->iova_ranges[i].end = ranges[i].last;
	}
	len = ALIGN(len, 8);
	cap->header.next = base + len;
	avail = buf + len;
	avail->header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
	avail->header.version = 1;
	avail->header.next = 0;
	avail->avail = iopass_ioas_mappings_left(ioas);
	return len + sizeof(*avail);
}

static int iopass_vfio_get_info(struct iopass_vfio_container *c,
				void __user *uarg)
{
	struct vfio_iommu_type1_info info = {};
	struct iopass_iova_range *ranges = NULL;
	struct iopass_ioas *ioas;
	size_t minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	unsigned long align;
	unsigned int n;
	size_t caps_len;
	void *caps;
	int ret = 0;

	if (copy_from_user(&info, uarg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	ioas = smp_load_acquire(&c->ioas);
	if (!ioas)
		return -EINVAL;
	n = iopass_ioas_iova_ranges(ioas, NULL, 0, &align);
	ranges = kcalloc(n ?: 1, sizeof(*ranges), GFP_KERNEL);
	if (!ranges)
		return -ENOMEM;
	n = min(n, iopass_ioas_iova_ranges(ioas, ranges, n, &align));
	caps_len = ALIGN(struct_size((struct vfio_iommu_type1_info_cap_iova_range *)NULL,
				     iova_ranges, n), 8) +
		   sizeof(struct vfio_iommu_type1_info_dma_avail);
	caps = kzalloc(caps_len, GFP_KERNEL);
	if (!caps) {
		ret = -ENOMEM;
		goto out_free;
	}
	iopass_vfio_info_caps(ioas, caps, ranges, n, sizeof(info));
	info.flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	info.iova_pgsizes = iopass_vfio_pgsizes(align);
	if (info.argsz < sizeof(info) + caps_len) {
		/* Too small for the chain: say how big, as type1 does. */
		info.argsz = sizeof(info) + caps_len;
		info.cap_offset = 0;
	} else {
		info.cap_offset = sizeof(info);
		if (copy_to_user(uarg + sizeof(info), caps, caps_len))
			ret = -EFAULT;
	}
	if (!ret && copy_to_user(uarg, &info, min_t(u32, info.argsz,
						    sizeof(info))))
		ret = -EFAULT;
	kfree(caps);
out_free:
	kfree(ranges);
	return ret;
}

/* iopass's MAP errnos, as type1 reports them. */
static int iopass_vfio_map_errno(int ret)
{
	switch (ret) {
	case -ERANGE:		/* outside the aperture */
	case -EADDRINUSE:	/* over a reserved region */
	case -EOVERFLOW:
		return -EINVAL;
	default:
		return ret;
	}
}

static int iopass_vfio_map_dma(struct iopass_vfio_container *c,
			       void __user *uarg)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	struct vfio_iommu_type1_dma_map map;
	u32 flags = IOPASS_MAP_FIXED_IOVA;
	struct iopass_ioas *ioas;
	u64 iova;
	int ret;

	if (copy_from_user(&map, uarg, minsz))
		return -EFAULT;
	if (map.argsz < minsz ||
	    map.flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
		return -EINVAL;
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		flags |= IOPASS_MAP_READABLE;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		flags |= IOPASS_MAP_WRITEABLE;
	ioas = smp_load_acquire(&c->ioas);
	if (!ioas)
		return -EINVAL;
	iova = map.iova;
	ret = iopass_vfio_map_errno(iopass_ioas_map(ioas, map.vaddr, map.size,
						    &iova, flags));
	pr_debug("MAP_DMA iova %#llx size %#llx flags %#x: %d\n", map.iova,
		 map.size, map.flags, ret);
	if (!ret)
		atomic64_inc(&iopass_vfio_map_calls);
	return ret;
}

static int iopass_vfio_unmap_dma(struct iopass_vfio_container *c,
				 void __user *uarg)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap unmap;
	struct iopass_ioas *ioas;
	bool all;
	u64 done = 0;
	int ret;

	if (copy_from_user(&unmap, uarg, minsz))
		return -EFAULT;
	if (unmap.argsz < minsz || unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL)
		return -EINVAL;
	all = unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL;
	ioas = smp_load_acquire(&c->ioas);
	if (!ioas)
		return -EINVAL;
	ret = iopass_ioas_unmap(ioas, unmap.iova, unmap.size, all, &done);
	pr_debug("UNMAP_DMA iova %#llx size %#llx flags %#x: %d, %#llx unmapped\n",
		 unmap.iova, unmap.size, unmap.flags, ret, done);
	if (ret == -ENOENT)
		ret = 0;	/* nothing there: type1 unmaps nothing, no error */
	else if (ret == -EOVERFLOW)
		ret = -EINVAL;
	if (ret)
		return ret;
	if (done)
		atomic64_inc(&iopass_vfio_unmap_calls);
	unmap.size = done;
	return copy_to_user(uarg, &unmap, minsz) ? -EFAULT : 0;
}

static long iopass_vfio_container_ioctl(struct file *filp, unsigned int cmd,
					unsigned long arg)
{
	struct iopass_vfio_container *c = filp->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return iopass_vfio_check_extension(arg);
	case VFIO_SET_IOMMU:
		return iopass_vfio_set_iommu(c, arg);
	case VFIO_IOMMU_GET_INFO:
		return iopass_vfio_get_info(c, uarg);
	case VFIO_IOMMU_MAP_DMA:
		return iopass_vfio_map_dma(c, uarg);
	case VFIO_IOMMU_UNMAP_DMA:
		return iopass_vfio_unmap_dma(c, uarg);
	default:
		return -ENOTTY;
	}
}

const struct file_operations iopass_vfio_container_fops = {
	.owner = THIS_MODULE,
	.open = iopass_vfio_container_open,
	.release = iopass_vfio_container_release,
	.unlocked_ioctl = iopass_vfio_container_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};
