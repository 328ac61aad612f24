/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where iopass meets differences between kernel versions.
 * Each wrapper picks an implementation from a feature probe (conftest.sh
 * writes conftest.h); the rest of iopass calls only the wrappers.
 */
#ifndef __IOPASS_COMPAT_H
#define __IOPASS_COMPAT_H

#include <linux/err.h>
#include <linux/eventfd.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/iommu.h>
#include <linux/irqdomain.h>

#include "conftest.h"

/*
 * Where the driver core only reads struct bus_type, iopass's bus is const;
 * where it writes to it (before 6.4), it cannot be.
 */
#ifdef IOPASS_HAVE_CONST_BUS_TYPE
#define IOPASS_BUS_TYPE_CONST const
#else
#define IOPASS_BUS_TYPE_CONST
#endif

/*
 * Allocate an unmanaged paging domain for the IOMMU that translates @dev.
 * Return: the domain or an ERR_PTR, never NULL.
 */
static inline struct iommu_domain *iopass_compat_domain_alloc(struct device *dev)
{
#ifdef IOPASS_HAVE_PAGING_DOMAIN_ALLOC
	return iommu_paging_domain_alloc(dev);
#else
	struct iommu_domain *domain = iommu_domain_alloc(dev->bus);

	return domain ? domain : ERR_PTR(-ENOMEM);
#endif
}

/*
 * Claim DMA ownership of @dev for iopass.  @first is true when no other
 * iopass device of its IOMMU group holds it yet.  Where ownership can be
 * claimed per device, every device claims it with the same @owner cookie and
 * the IOMMU core counts; before that only a whole group could be claimed,
 * once, so iopass claims it for the first device and counts itself.
 * Return: 0, or -EPERM (the group is used by another driver) or -EBUSY (it
 * is attached to some other domain).
 */
static inline int iopass_compat_claim_dma(struct device *dev,
					  struct iommu_group *group,
					  void *owner, bool first)
{
#ifdef IOPASS_HAVE_DEVICE_DMA_OWNER
	return iommu_device_claim_dma_owner(dev, owner);
#else
	return first ? iommu_group_claim_dma_owner(group, owner) : 0;
#endif
}

/* Undo iopass_compat_claim_dma(); @last is true for the group's last device. */
static inline void iopass_compat_release_dma(struct device *dev,
					     struct iommu_group *group,
					     bool last)
{
#ifdef IOPASS_HAVE_DEVICE_DMA_OWNER
	iommu_device_release_dma_owner(dev);
#else
	if (last)
		iommu_group_release_dma_owner(group);
#endif
}

/*
 * iommu_map_sg() with the allocation flags for page tables, where it takes
 * them (before, it allocated with GFP_KERNEL).
 */
static inline ssize_t iopass_compat_iommu_map_sg(struct iommu_domain *domain,
						 unsigned long iova,
						 struct scatterlist *sg,
						 unsigned int nents, int prot,
						 gfp_t gfp)
{
#ifdef IOPASS_HAVE_IOMMU_MAP_SG_GFP
	return iommu_map_sg(domain, iova, sg, nents, prot, gfp);
#else
	return iommu_map_sg(domain, iova, sg, nents, prot);
#endif
}

/*
 * Whether MSIs from @dev's group are isolated by interrupt remapping, so that
 * a device cannot raise interrupts it was not given (invariant 5).
 */
static inline bool iopass_compat_msi_isolated(struct device *dev,
					      struct iommu_group *group)
{
#ifdef IOPASS_HAVE_GROUP_HAS_ISOLATED_MSI
	return iommu_group_has_isolated_msi(group);
#else
	return irq_domain_check_msi_remap() ||
	       device_iommu_capable(dev, IOMMU_CAP_INTR_REMAP);
#endif
}

/* Add one to an eventfd's counter and wake its readers. */
static inline void iopass_compat_eventfd_signal(struct eventfd_ctx *ctx)
{
#ifdef IOPASS_HAVE_EVENTFD_SIGNAL_NO_COUNT
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/* Set flags on a VMA being set up by mmap. */
static inline void iopass_compat_vm_flags_set(struct vm_area_struct *vma,
					      unsigned long flags)
{
#ifdef IOPASS_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/* Make @name the only driver @pdev may bind to. */
static inline int iopass_pci_set_override(struct pci_dev *pdev,
					  const char *name)
{
#ifdef IOPASS_HAVE_DEVICE_SET_DRIVER_OVERRIDE
	return device_set_driver_override(&pdev->dev, name);
#else
	return driver_set_override(&pdev->dev, &pdev->driver_override, name,
				   strlen(name));
#endif
}

#endif /* __IOPASS_COMPAT_H */
