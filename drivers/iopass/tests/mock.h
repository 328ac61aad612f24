/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mock backend (mock.c, iopass_mock.ko): IOMMU domains and devices
 * with no hardware behind them, built only for tests.
 */
#ifndef __IOPASS_MOCK_H
#define __IOPASS_MOCK_H

#include <linux/xarray.h>

#include "../iopass.h"

/**
 * struct iopass_mock_domain - a domain whose page table is an xarray
 * @dom: what iopass sees
 * @node: on the list of live mock domains
 * @pt: IOVA page -> PFN, with the first and last page of each map call
 *	marked, so that an unmap that cuts a map call is caught
 * @pending: PFN -> flush generation: unmapped pages a stale IOTLB entry
 *	could still reach, until the next flush
 * @gen: flushes so far
 * @iommu_class: attach refuses devices of another class, with -EINVAL, as
 *	an IOMMU that cannot use a domain does
 * @attached: devices attached
 * @broken_flush: tests only: the flush does nothing, to prove that the
 *	ordering check catches what follows
 * @expect_violations: tests only: count violations instead of failing
 * @fail_map_after: tests only: map calls that succeed before the next one
 *	fails with -ENOMEM (-1: none fail)
 * @unmap_misreport: tests only: added to the length unmap reports, as an
 *	IOMMU that unmapped more (or less) than asked would
 * @violations: pages unpinned while still reachable
 * @bad_unmaps: unmap calls that cut a map call
 * @pages_by_size: page-table entries made, by log2 of their size
 */
struct iopass_mock_domain {
	struct iopass_domain dom;
	struct list_head node;
	struct xarray pt;
	struct xarray pending;
	unsigned long gen;
	int iommu_class;
	unsigned int attached;
	bool broken_flush;
	bool expect_violations;
	long fail_map_after;
	long unmap_misreport;
	unsigned long violations;
	unsigned long bad_unmaps;
	unsigned long pages_by_size[BITS_PER_LONG];
};

static inline struct iopass_mock_domain *to_mock_domain(struct iopass_domain *d)
{
	return container_of(d, struct iopass_mock_domain, dom);
}

struct iopass_domain *iopass_mock_domain_alloc(struct device *dev);
struct device *iopass_mock_hw_create(int iommu_class);
void iopass_mock_hw_destroy(struct device *hw);
unsigned long iopass_mock_mapped_pages(struct iopass_mock_domain *mock);

#endif /* __IOPASS_MOCK_H */
