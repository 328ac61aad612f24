// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU groups and DMA ownership.
 *
 * The IOMMU isolates groups, not devices: every function of a group shares
 * one translation.  So a device may only be handed to user space when
 * iopass owns DMA for its whole group (invariant 4), and the domain that
 * replaces the kernel's is attached group-wide.
 *
 * Claiming ownership is what enforces viability: the IOMMU core refuses it
 * while any device of the group is bound to a driver that uses the kernel's
 * DMA API.  Once owned, no such driver can bind until ownership is released.
 *
 * At bind the group is attached to an empty paging domain of iopass's own,
 * so the device's DMA faults until user space maps memory (invariant 3):
 * iopass never leaves a device in the kernel's default domain, which may be
 * identity-mapped, or lets it be used while in one.  After attaching, the
 * domain is read back from the IOMMU core rather than trusted.
 */
#include <kunit/visibility.h>
#include <linux/list.h>
#include <linux/slab.h>

#include "iopass.h"

/* The cookie iopass presents to the IOMMU core as the owner of its groups. */
static char iopass_dma_owner;

static DEFINE_MUTEX(iopass_groups_lock);
static LIST_HEAD(iopass_groups);

static struct iopass_group *iopass_group_find(struct iommu_group *iommu_group)
{
	struct iopass_group *group;

	lockdep_assert_held(&iopass_groups_lock);
	list_for_each_entry(group, &iopass_groups, node)
		if (group->iommu_group == iommu_group)
			return group;
	return NULL;
}

/* The first device of a group: allocate, attach and verify the domain. */
static int iopass_group_attach_new(struct iopass_group *group,
				   struct device *dev)
{
	struct iommu_domain *domain;
	int ret;

	lockdep_assert_held(&iopass_groups_lock);
	domain = iopass_compat_domain_alloc(dev);
	if (IS_ERR(domain)) {
		dev_warn(dev, "iopass: cannot allocate a paging IOMMU domain (%pe)\n",
			 domain);
		return PTR_ERR(domain);
	}
	ret = iommu_attach_group(domain, group->iommu_group);
	if (ret) {
		dev_warn(dev, "iopass: cannot attach the IOMMU group to an iopass domain (%pe)\n",
			 ERR_PTR(ret));
		goto out_free;
	}
	if (iommu_get_domain_for_dev(dev) != domain ||
	    domain->type != IOMMU_DOMAIN_UNMANAGED) {
		dev_warn(dev, "iopass: the IOMMU did not put the device in the iopass domain\n");
		ret = -EIO;
		goto out_detach;
	}
	group->domain = domain;
	return 0;

out_detach:
	iommu_detach_group(domain, group->iommu_group);
out_free:
	iommu_domain_free(domain);
	return ret;
}

static int iopass_group_claim(struct iopass_group *group, struct device *dev)
{
	int ret;

	lockdep_assert_held(&iopass_groups_lock);
	ret = iopass_compat_claim_dma(dev, group->iommu_group,
				      &iopass_dma_owner, !group->users);
	if (ret) {
		dev_warn(dev, "iopass: IOMMU group %d is not viable: another device in it is bound to a driver (%pe)\n",
			 iommu_group_id(group->iommu_group), ERR_PTR(ret));
		return ret;
	}
	if (!group->users) {
		ret = iopass_group_attach_new(group, dev);
		if (ret) {
			iopass_compat_release_dma(dev, group->iommu_group, true);
			return ret;
		}
	}
	group->users++;
	return 0;
}

/**
 * iopass_group_join() - take DMA ownership of @dev's IOMMU group
 * @dev: a device whose driver has driver_managed_dma set
 *
 * The first device of a group claims the group and attaches it to a new,
 * empty iopass paging domain; later ones share both.
 *
 * Return: the iopass group, or an ERR_PTR: -ENODEV if no IOMMU translates
 * @dev, -EPERM or -EBUSY if the group is not viable, -EIO if the IOMMU did
 * not put the device in the iopass domain, -ENOMEM.
 */
struct iopass_group *iopass_group_join(struct device *dev)
{
	struct iommu_group *iommu_group;
	struct iopass_group *group;
	int ret;

	iommu_group = iommu_group_get(dev);
	if (!iommu_group) {
		dev_warn(dev, "iopass: no IOMMU translates this device's DMA; refusing it\n");
		return ERR_PTR(-ENODEV);
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

	ret = iopass_group_claim(group, dev);
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

/**
 * iopass_group_leave() - give back what iopass_group_join() took for @dev
 * @group: the group @dev joined
 * @dev: the device; its DMA must already be quiesced
 *
 * The last device detaches the iopass domain and releases ownership, which
 * returns the group to the kernel's default domain.
 */
void iopass_group_leave(struct iopass_group *group, struct device *dev)
{
	struct iommu_group *iommu_group = group->iommu_group;
	bool last;

	mutex_lock(&iopass_groups_lock);
	last = --group->users == 0;
	if (last) {
		iommu_detach_group(group->domain, iommu_group);
		iommu_domain_free(group->domain);
		list_del(&group->node);
		kfree(group);
	}
	iopass_compat_release_dma(dev, iommu_group, last);
	mutex_unlock(&iopass_groups_lock);
	if (last)
		iommu_group_put(iommu_group);
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
	enum iopass_domain_type type;

	mutex_lock(&iopass_groups_lock);
	type = iopass_domain_classify(iommu_get_domain_for_dev(idev->dev.parent),
				      idev->group->domain);
	mutex_unlock(&iopass_groups_lock);
	return type;
}
