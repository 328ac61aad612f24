// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU groups and DMA ownership.
 *
 * The IOMMU isolates groups, not devices: every function of a group shares
 * one translation.  So a device may only be handed to user space when
 * iopass owns DMA for its whole group (invariant 4), and a domain is always
 * attached group-wide: all iopass devices of a group that attach to an
 * address space must attach to the same one.
 *
 * Claiming ownership is what enforces viability: the IOMMU core refuses it
 * while any device of the group is bound to a driver that uses the kernel's
 * DMA API.  Once owned, no such driver can bind until ownership is released.
 *
 * At bind the group is attached to an empty paging domain of iopass's own,
 * so the device's DMA faults until it is attached to an address space
 * (invariant 3): iopass never leaves a device in the kernel's default
 * domain, which may be identity-mapped, or lets it be used while in one.
 * After every attach the domain is read back from the IOMMU core rather
 * than trusted.  Detaching from an address space returns the group to its
 * empty domain.
 *
 * The mock backend's devices (tests/mock.c) have no hardware and no IOMMU
 * group: each is a group of its own, with nothing to claim or read back.
 */
#include <kunit/visibility.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "iopass.h"

static bool allow_unsafe_interrupts;
module_param(allow_unsafe_interrupts, bool, 0444);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Bind devices whose MSIs are not isolated by interrupt remapping (unsafe: taints the kernel)");

/* The cookie iopass presents to the IOMMU core as the owner of its groups. */
static char iopass_dma_owner;

static DEFINE_MUTEX(iopass_groups_lock);
static LIST_HEAD(iopass_groups);

static struct iopass_group *iopass_group_find(struct iommu_group *iommu_group)
{
	struct iopass_group *group;

	lockdep_assert_held(&iopass_groups_lock);
	list_for_each_entry(group, &iopass_groups, node)
		if (iommu_group && group->iommu_group == iommu_group)
			return group;
	return NULL;
}

/* Is @dev really in @dom, as far as the IOMMU core knows? */
static int iopass_group_verify(struct iopass_group *group, struct device *dev,
			       struct iopass_domain *dom)
{
	struct iommu_domain *now;

	if (!group->iommu_group)
		return 0;	/* a mock: no IOMMU to ask */
	now = iommu_get_domain_for_dev(dev);
	if (now != dom->domain || now->type != IOMMU_DOMAIN_UNMANAGED) {
		dev_warn(dev, "iopass: the IOMMU did not put the device in the iopass domain\n");
		return -EIO;
	}
	return 0;
}

/* The first device of a group: allocate, attach and verify the empty domain. */
static int iopass_group_attach_empty(struct iopass_group *group,
				     struct iopass_device *idev)
{
	struct device *dev = idev->dev.parent;
	struct iopass_domain *dom;
	int ret;

	lockdep_assert_held(&iopass_groups_lock);
	dom = idev->ops->domain_alloc(dev);
	if (IS_ERR(dom)) {
		dev_warn(dev, "iopass: cannot allocate a paging IOMMU domain (%pe)\n",
			 dom);
		return PTR_ERR(dom);
	}
	ret = dom->ops->attach(dom, group->iommu_group, dev);
	if (ret) {
		dev_warn(dev, "iopass: cannot attach the IOMMU group to an iopass domain (%pe)\n",
			 ERR_PTR(ret));
		goto out_free;
	}
	ret = iopass_group_verify(group, dev, dom);
	if (ret)
		goto out_detach;
	dom->users = 1;
	group->empty = dom;
	group->domain = dom;
	return 0;

out_detach:
	dom->ops->detach(dom, group->iommu_group, dev);
out_free:
	iopass_domain_free(dom);
	return ret;
}

/* Interrupts are safe only if remapping isolates the group's MSIs. */
static int iopass_group_check_msi(struct device *dev,
				  struct iommu_group *iommu_group)
{
	if (iopass_compat_msi_isolated(dev, iommu_group))
		return 0;
	if (!allow_unsafe_interrupts) {
		dev_warn(dev, "iopass: no interrupt remapping isolates this device's MSIs; refusing it (allow_unsafe_interrupts=1 overrides, unsafely)\n");
		return -EPERM;
	}
	dev_warn(dev, "iopass: binding without interrupt remapping (allow_unsafe_interrupts): the device can raise any interrupt\n");
	add_taint(TAINT_USER, LOCKDEP_STILL_OK);
	return 0;
}

static int iopass_group_claim(struct iopass_group *group,
			      struct iopass_device *idev)
{
	struct device *dev = idev->dev.parent;
	int ret;

	lockdep_assert_held(&iopass_groups_lock);
	ret = group->iommu_group ?
	      iopass_compat_claim_dma(dev, group->iommu_group,
				      &iopass_dma_owner, !group->users) : 0;
	if (ret) {
		dev_warn(dev, "iopass: IOMMU group %d is not viable: another device in it is bound to a driver (%pe)\n",
			 iommu_group_id(group->iommu_group), ERR_PTR(ret));
		return ret;
	}
	if (!group->users) {
		ret = iopass_group_attach_empty(group, idev);
		if (ret) {
			if (group->iommu_group)
				iopass_compat_release_dma(dev, group->iommu_group,
							  true);
			return ret;
		}
	}
	group->users++;
	return 0;
}

/* A mock device: a group of its own, in the mock's empty domain. */
static struct iopass_group *iopass_group_join_mock(struct iopass_device *idev)
{
	struct iopass_group *group;
	int ret;

	group = kzalloc(sizeof(*group), GFP_KERNEL_ACCOUNT);
	if (!group)
		return ERR_PTR(-ENOMEM);
	mutex_lock(&iopass_groups_lock);
	ret = iopass_group_claim(group, idev);
	if (!ret)
		list_add(&group->node, &iopass_groups);
	mutex_unlock(&iopass_groups_lock);
	if (ret) {
		kfree(group);
		return ERR_PTR(ret);
	}
	return group;
}

/**
 * iopass_group_join() - take DMA ownership of @idev's IOMMU group
 * @idev: the device; its parent's driver has driver_managed_dma set
 *
 * The first device of a group claims the group and attaches it to a new,
 * empty iopass paging domain; later ones share both.
 *
 * Return: the iopass group, or an ERR_PTR: -ENODEV if no IOMMU translates
 * the device, -EPERM if its MSIs are not isolated or the group is not
 * viable, -EBUSY if the group is in another domain, -EIO if the IOMMU did
 * not put the device in the iopass domain, -ENOMEM.
 */
struct iopass_group *iopass_group_join(struct iopass_device *idev)
{
	struct device *dev = idev->dev.parent;
	struct iommu_group *iommu_group;
	struct iopass_group *group;
	int ret;

	if (idev->ops->no_iommu_group)
		return iopass_group_join_mock(idev);
	iommu_group = iommu_group_get(dev);
	if (!iommu_group) {
		dev_warn(dev, "iopass: no IOMMU translates this device's DMA; refusing it\n");
		return ERR_PTR(-ENODEV);
	}
	ret = iopass_group_check_msi(dev, iommu_group);
	if (ret) {
		iommu_group_put(iommu_group);
		return ERR_PTR(ret);
	}

	mutex_lock(&iopass_groups_lock);
	group = iopass_group_find(iommu_group);
	if (!group) {
		group = kzalloc(sizeof(*group), GFP_KERNEL_ACCOUNT);
		if (!group) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		group->iommu_group = iommu_group;
		list_add(&group->node, &iopass_groups);
	} else {
		/* The group already holds a reference for us. */
		iommu_group_put(iommu_group);
	}

	ret = iopass_group_claim(group, idev);
	if (ret && !group->users) {
		list_del(&group->node);
		kfree(group);
		group = NULL;
	}
out_unlock:
	mutex_unlock(&iopass_groups_lock);
	if (ret) {
		if (!group)
			iommu_group_put(iommu_group);
		return ERR_PTR(ret);
	}
	return group;
}

/* Put the group (detached from any domain) back in its empty one. */
static void iopass_group_go_home(struct iopass_group *group, struct device *dev)
{
	lockdep_assert_held(&iopass_groups_lock);
	group->domain = group->empty;
	/* If this fails the group stays in the core's blocking domain: safe. */
	if (group->empty->ops->attach(group->empty, group->iommu_group, dev))
		dev_warn(dev, "iopass: cannot return the group to its empty domain; DMA stays blocked\n");
}

/* Move the group from an address space's domain back to its empty one. */
static void iopass_group_to_empty(struct iopass_group *group, struct device *dev)
{
	lockdep_assert_held(&iopass_groups_lock);
	iopass_ioas_detach(group->ioas, group->domain, group->iommu_group, dev);
	group->ioas = NULL;
	iopass_group_go_home(group, dev);
}

/**
 * iopass_group_attach() - attach @idev to @ioas
 * @idev: a device with its fd open
 * @ioas: the address space; the caller holds a reference
 *
 * The first device of a group moves the whole group into a domain of
 * @ioas; the others of the group can only follow it there.
 *
 * Return: 0 or the errno documented for IOPASS_DEVICE_ATTACH.
 */
int iopass_group_attach(struct iopass_device *idev, struct iopass_ioas *ioas)
{
	struct iopass_group *group = idev->group;
	struct device *dev = idev->dev.parent;
	struct iopass_domain *dom;
	int ret = 0;

	mutex_lock(&iopass_groups_lock);
	if (idev->ioas) {
		ret = -EALREADY;
		goto out_unlock;
	}
	if (group->ioas && group->ioas != ioas) {
		ret = -EBUSY;
		goto out_unlock;
	}
	if (!group->ioas) {
		group->empty->ops->detach(group->empty, group->iommu_group, dev);
		dom = iopass_ioas_attach(ioas, group->iommu_group,
					 idev->ops->domain_alloc, dev);
		if (IS_ERR(dom)) {
			ret = PTR_ERR(dom);
			iopass_group_go_home(group, dev);
			goto out_unlock;
		}
		group->ioas = ioas;
		group->domain = dom;
		ret = iopass_group_verify(group, dev, dom);
		if (ret) {
			iopass_group_to_empty(group, dev);
			goto out_unlock;
		}
	}
	group->attached++;
	idev->ioas = ioas;
out_unlock:
	mutex_unlock(&iopass_groups_lock);
	return ret;
}

/**
 * iopass_group_detach() - detach @idev from its address space
 * @idev: the device
 *
 * The last device of the group to detach returns the group to its empty
 * domain; its DMA is blocked from then on.
 *
 * Return: 0, or -ENOENT if @idev is not attached.
 */
int iopass_group_detach(struct iopass_device *idev)
{
	struct iopass_group *group = idev->group;

	mutex_lock(&iopass_groups_lock);
	if (!idev->ioas) {
		mutex_unlock(&iopass_groups_lock);
		return -ENOENT;
	}
	idev->ioas = NULL;
	if (!--group->attached)
		iopass_group_to_empty(group, idev->dev.parent);
	mutex_unlock(&iopass_groups_lock);
	return 0;
}

/**
 * iopass_group_leave() - give back what iopass_group_join() took
 * @idev: the device; it is detached and its DMA is quiesced
 *
 * The last device detaches the empty domain and releases ownership, which
 * returns the group to the kernel's default domain.
 */
void iopass_group_leave(struct iopass_device *idev)
{
	struct iopass_group *group = idev->group;
	struct iommu_group *iommu_group = group->iommu_group;
	bool last;

	mutex_lock(&iopass_groups_lock);
	last = --group->users == 0;
	if (last) {
		group->empty->ops->detach(group->empty, iommu_group,
					  idev->dev.parent);
		group->empty->users = 0;
		iopass_domain_free(group->empty);
		list_del(&group->node);
		kfree(group);
	}
	if (iommu_group)
		iopass_compat_release_dma(idev->dev.parent, iommu_group, last);
	mutex_unlock(&iopass_groups_lock);
	if (last && iommu_group)
		iommu_group_put(iommu_group);
}

/**
 * iopass_group_stats() - what @idev's address space and domain have done
 * @idev: the device
 * @stats: out: mapped bytes, pinned pages, map calls, unmap calls and IOTLB
 *	flushes of the domain the device is in (zeros while detached)
 */
void iopass_group_stats(struct iopass_device *idev, u64 *stats)
{
	struct iopass_group *group = idev->group;
	struct iopass_domain *dom;

	mutex_lock(&iopass_groups_lock);
	dom = group->domain;
	stats[0] = group->ioas ? (u64)READ_ONCE(group->ioas->pinned) << PAGE_SHIFT : 0;
	stats[1] = group->ioas ? READ_ONCE(group->ioas->pinned) : 0;
	stats[2] = atomic64_read(&dom->stat_maps);
	stats[3] = atomic64_read(&dom->stat_unmaps);
	stats[4] = atomic64_read(&dom->stat_syncs);
	mutex_unlock(&iopass_groups_lock);
}

/**
 * iopass_group_nodes_show() - where the pages @idev's address space pinned are
 * @idev: the device
 * @buf: a sysfs page: "N<node>=<pages>" for each possible node, space
 *	separated, as in /proc/PID/numa_maps; empty while detached
 *
 * Return: the bytes written.
 */
ssize_t iopass_group_nodes_show(struct iopass_device *idev, char *buf)
{
	struct iopass_ioas *ioas;
	ssize_t len = 0;
	int node;

	mutex_lock(&iopass_groups_lock);
	ioas = idev->group->ioas;
	if (ioas)
		for (node = 0; node < nr_node_ids; node++)
			len += sysfs_emit_at(buf, len, "%sN%d=%lu",
					     node ? " " : "", node,
					     READ_ONCE(ioas->nodes[node].pinned));
	len += sysfs_emit_at(buf, len, "\n");
	mutex_unlock(&iopass_groups_lock);
	return len;
}

/**
 * iopass_domain_classify() - name the kind of domain @domain is
 * @domain: the domain a device is attached to, or NULL
 * @ours: the iopass domain of the device's group
 *
 * Return: an &enum iopass_domain_type; IOPASS_DOMAIN_PAGING only for @ours.
 */
enum iopass_domain_type iopass_domain_classify(struct iommu_domain *domain,
					       struct iommu_domain *ours)
{
	if (!domain)
		return IOPASS_DOMAIN_NONE;
	if (domain == ours)
		return IOPASS_DOMAIN_PAGING;
	if (domain->type == IOMMU_DOMAIN_BLOCKED)
		return IOPASS_DOMAIN_BLOCKED;
	if (domain->type == IOMMU_DOMAIN_IDENTITY)
		return IOPASS_DOMAIN_IDENTITY;
	if (domain->type & __IOMMU_DOMAIN_DMA_API)
		return IOPASS_DOMAIN_KERNEL;
	return IOPASS_DOMAIN_OTHER;
}
EXPORT_SYMBOL_IF_KUNIT(iopass_domain_classify);

/**
 * iopass_device_domain_type() - what translates @idev's DMA right now
 * @idev: a registered iopass device
 *
 * Asks the IOMMU core, so that a test reading it sees the hardware's state,
 * not what iopass believes it set.
 *
 * Return: an &enum iopass_domain_type.
 */
enum iopass_domain_type iopass_device_domain_type(struct iopass_device *idev)
{
	enum iopass_domain_type type = IOPASS_DOMAIN_PAGING;

	mutex_lock(&iopass_groups_lock);
	/* A mock has no IOMMU to ask: it is always in a mock paging domain. */
	if (idev->group->iommu_group)
		type = iopass_domain_classify(iommu_get_domain_for_dev(idev->dev.parent),
					      idev->group->domain->domain);
	mutex_unlock(&iopass_groups_lock);
	return type;
}

/**
 * iopass_group_id() - the IOMMU group ID of @group, as in sysfs
 * @group: the group
 *
 * Return: the ID, or -1 for a mock device's group.
 */
int iopass_group_id(struct iopass_group *group)
{
	return group->iommu_group ? iommu_group_id(group->iommu_group) : -1;
}
EXPORT_SYMBOL_NS_GPL(iopass_group_id, IOPASS);
