// SPDX-License-Identifier: GPL-2.0
/*
 * IOMMU domains, through one small table of operations.
 *
 * Every call iopass makes into an IOMMU goes through struct
 * iopass_domain_ops, so that a mock (tests/mock_domain.c, KUnit builds
 * only) can stand in for the hardware and check every call: where each
 * mapping starts and ends, and that nothing is unpinned before the IOTLB
 * flush covering it.  This file is the real implementation: a thin layer
 * over the kernel's iommu API that counts what it does.
 */
#include <kunit/visibility.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "iopass.h"

static void iopass_iommu_free(struct iopass_domain *dom)
{
	iommu_domain_free(dom->domain);
	kfree(dom);
}

/*
 * What the domain can map, read from the IOMMU core: its aperture and
 * page sizes.  A driver may narrow the aperture (and add superpage sizes)
 * when the domain is first attached: VT-d shrinks a domain allocated with
 * a 57-bit width to the IOMMU's own, say 39 bits.
 */
static void iopass_iommu_geometry(struct iopass_domain *dom)
{
	struct iommu_domain *domain = dom->domain;

	dom->pgsize_bitmap = domain->pgsize_bitmap;
	if (domain->geometry.force_aperture) {
		dom->aperture_start = domain->geometry.aperture_start;
		dom->aperture_end = domain->geometry.aperture_end;
	} else {
		dom->aperture_start = 0;
		dom->aperture_end = ULONG_MAX;
	}
}

static int iopass_iommu_attach(struct iopass_domain *dom,
			       struct iommu_group *group, struct device *dev)
{
	int ret;

	if (iopass_should_fail())
		return -ENOMEM;
	ret = iommu_attach_group(dom->domain, group);

	if (!ret)
		iopass_iommu_geometry(dom);
	return ret;
}

static void iopass_iommu_detach(struct iopass_domain *dom,
				struct iommu_group *group, struct device *dev)
{
	iommu_detach_group(dom->domain, group);
}

static int iopass_iommu_map(struct iopass_domain *dom, unsigned long iova,
			    struct scatterlist *sg, unsigned int nents, int prot)
{
	ssize_t mapped;

	if (iopass_should_fail())
		return -ENOMEM;
	/*
	 * One call for the batch: the core maps run after run, then syncs
	 * the IOTLB once for the whole range; on failure it unmaps what it
	 * mapped.  It never maps less than asked without failing.
	 */
	mapped = iopass_compat_iommu_map_sg(dom->domain, iova, sg, nents, prot,
					    GFP_KERNEL_ACCOUNT);
	return mapped < 0 ? mapped : 0;
}

static size_t iopass_iommu_unmap(struct iopass_domain *dom, unsigned long iova,
				 size_t size, struct iommu_iotlb_gather *gather)
{
	return iommu_unmap_fast(dom->domain, iova, size, gather);
}

static void iopass_iommu_iotlb_sync(struct iopass_domain *dom,
				    struct iommu_iotlb_gather *gather)
{
	iommu_iotlb_sync(dom->domain, gather);
}

static const struct iopass_domain_ops iopass_iommu_ops = {
	.free = iopass_iommu_free,
	.attach = iopass_iommu_attach,
	.detach = iopass_iommu_detach,
	.map = iopass_iommu_map,
	.unmap = iopass_iommu_unmap,
	.iotlb_sync = iopass_iommu_iotlb_sync,
};

/**
 * iopass_domain_alloc_iommu() - a paging domain of the IOMMU behind @dev
 * @dev: a device with an IOMMU
 *
 * Return: the domain, or an ERR_PTR.
 */
struct iopass_domain *iopass_domain_alloc_iommu(struct device *dev)
{
	struct iommu_domain *domain;
	struct iopass_domain *dom;

	dom = kzalloc(sizeof(*dom), GFP_KERNEL_ACCOUNT);
	if (!dom)
		return ERR_PTR(-ENOMEM);
	domain = iopass_compat_domain_alloc(dev);
	if (IS_ERR(domain)) {
		kfree(dom);
		return ERR_CAST(domain);
	}
	dom->domain = domain;
	dom->ops = &iopass_iommu_ops;
	iopass_iommu_geometry(dom);
	return dom;
}

/**
 * iopass_domain_free() - free a domain no group is attached to
 * @dom: the domain
 */
void iopass_domain_free(struct iopass_domain *dom)
{
	WARN_ON(dom->users);
	dom->ops->free(dom);
}
EXPORT_SYMBOL_IF_KUNIT(iopass_domain_free);

/*
 * Runs per map call.  The first few go in a list on the stack; a request
 * with more gets a list of IOPASS_MAP_BATCH: 1 GiB of scattered 4 KiB pages
 * then takes 64 calls, so 64 IOTLB syncs, not 262,144.  A run is cut at
 * 1 GiB (a scatterlist entry's length is 32 bits); the core joins the
 * pieces of one call again, so superpages are not lost within a batch.
 */
#define IOPASS_MAP_STACK	8
#define IOPASS_MAP_BATCH	4096
#define IOPASS_RUN_MAX		(SZ_1G >> PAGE_SHIFT)

/**
 * iopass_domain_map_pages() - map pinned pages at @iova
 * @dom: the domain
 * @iova: where the first page goes
 * @pages: the pages, in order
 * @npages: how many
 * @prot: IOMMU_READ and/or IOMMU_WRITE
 *
 * Each physically contiguous run becomes one entry of a scatterlist, and a
 * batch of entries one map call, so the IOMMU can use pages as large as
 * each run allows, and never larger: the size of each entry is exactly its
 * run's (invariant 2), and the IOTLB is synced once per batch.
 *
 * Return: 0, or the error of the first map call that failed, in which case
 * the batches mapped before it are unmapped again and flushed: all or
 * nothing.
 */
int iopass_domain_map_pages(struct iopass_domain *dom, unsigned long iova,
			    struct page **pages, unsigned long npages, int prot)
{
	struct scatterlist stack_sg[IOPASS_MAP_STACK], *sg = stack_sg;
	unsigned int nents, max = IOPASS_MAP_STACK;
	struct iommu_iotlb_gather gather;
	unsigned long i = 0, start, run;
	int ret = 0;

	sg_init_table(sg, max);
	while (i < npages) {
		start = i;
		for (nents = 0; nents < max && i < npages; nents++) {
			run = iopass_contig_run(pages + i,
						min(npages - i, IOPASS_RUN_MAX));
			sg_set_page(&sg[nents], pages[i], run << PAGE_SHIFT, 0);
			i += run;
		}
		sg_mark_end(&sg[nents - 1]);
		ret = dom->ops->map(dom, iova + (start << PAGE_SHIFT), sg, nents,
				    prot);
		sg_unmark_end(&sg[nents - 1]);
		if (ret) {
			i = start;
			break;
		}
		atomic64_inc(&dom->stat_maps);

		/* More to come: a longer list, if memory allows. */
		if (i < npages && sg == stack_sg) {
			max = min_t(unsigned long, npages - i, IOPASS_MAP_BATCH);
			sg = kvmalloc_array(max, sizeof(*sg),
					    GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
			if (!sg) {
				sg = stack_sg;
				max = IOPASS_MAP_STACK;
			}
			sg_init_table(sg, max);
		}
	}
	if (sg != stack_sg)
		kvfree(sg);

	if (ret && i) {
		iommu_iotlb_gather_init(&gather);
		dom->ops->unmap(dom, iova, i << PAGE_SHIFT, &gather);
		dom->ops->iotlb_sync(dom, &gather);
	}
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(iopass_domain_map_pages);

/**
 * iopass_contig_run() - how many pages from @pages[0] are physically
 * contiguous
 * @pages: the pages
 * @npages: how many there are (at least 1)
 *
 * Return: the length of the run, at least 1.
 */
unsigned long iopass_contig_run(struct page **pages, unsigned long npages)
{
	unsigned long pfn = page_to_pfn(pages[0]), i;

	for (i = 1; i < npages; i++)
		if (page_to_pfn(pages[i]) != pfn + i)
			break;
	return i;
}
EXPORT_SYMBOL_IF_KUNIT(iopass_contig_run);

/**
 * iopass_pgsize() - the largest IOMMU page that can map the start of a run
 * @pgsize_bitmap: the page sizes the IOMMU supports
 * @iova: where the run starts in IOVA space
 * @paddr: where it starts in physical memory
 * @size: its length
 *
 * A page of size S can be used only if @iova and @paddr are both multiples
 * of S and S <= @size: a mapping never reaches past what was asked.
 *
 * Return: the page size, or 0 if even the smallest page does not fit.
 */
size_t iopass_pgsize(unsigned long pgsize_bitmap, unsigned long iova,
		     phys_addr_t paddr, size_t size)
{
	unsigned long usable = pgsize_bitmap;
	unsigned long align = iova | (unsigned long)paddr;

	/* Sizes no larger than @size and that @iova and @paddr are aligned to. */
	if (size < (1UL << (BITS_PER_LONG - 1)))
		usable &= (2UL << __fls(size)) - 1;
	if (align)
		usable &= (2UL << __ffs(align)) - 1;
	return usable ? 1UL << __fls(usable) : 0;
}
EXPORT_SYMBOL_NS_GPL(iopass_pgsize, IOPASS);
