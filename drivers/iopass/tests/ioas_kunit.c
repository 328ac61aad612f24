// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for address spaces (ioas.c, domain.c) on the mock backend.
 *
 * The memory is real user memory (kunit_vm_mmap) pinned for real; the
 * IOMMU is the mock, which records every map and unmap call and reports,
 * as a failure of the running test, any page unpinned while still mapped
 * or before the IOTLB flush covering it (invariant 1).  One test breaks the
 * mock's flush on purpose and proves that report fires.
 */
#include <kunit/test.h>
#include <linux/mman.h>
#include <linux/sizes.h>

#include "../iopass.h"
#include "mock.h"

struct ioas_fixture {
	struct iopass_ioas *ioas;
	struct iopass_domain *dom;
	struct iopass_mock_domain *mock;
	struct device *hw;
	unsigned long uva;
	unsigned long npages;
};

static void ioas_fixture_cleanup(void *data)
{
	struct ioas_fixture *f = data;

	if (f->dom)
		iopass_ioas_detach(f->ioas, f->dom, NULL, NULL);
	if (f->ioas)
		iopass_ioas_put(f->ioas);
	if (f->hw)
		iopass_mock_hw_destroy(f->hw);
}

/* @npages of user memory, an IOAS, and a mock domain attached to it. */
static struct ioas_fixture *ioas_fixture(struct kunit *test,
					 unsigned long npages)
{
	struct ioas_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->npages = npages;
	f->uva = kunit_vm_mmap(test, NULL, 0, npages * PAGE_SIZE,
			       PROT_READ | PROT_WRITE,
			       MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE(test, f->uva, 0);
	f->ioas = iopass_ioas_alloc(current->mm);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f->ioas);
	f->dom = iopass_ioas_attach(f->ioas, NULL, iopass_mock_domain_alloc,
				    NULL);
	if (IS_ERR(f->dom)) {
		iopass_ioas_put(f->ioas);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f->dom);
	}
	f->mock = to_mock_domain(f->dom);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, ioas_fixture_cleanup, f));
	return f;
}

static int map_fixed(struct ioas_fixture *f, unsigned long page,
		     unsigned long npages, unsigned long iova)
{
	u64 io = iova;

	return iopass_ioas_map(f->ioas, f->uva + page * PAGE_SIZE,
			       npages * PAGE_SIZE, &io,
			       IOPASS_MAP_FIXED_IOVA | IOPASS_MAP_READABLE |
			       IOPASS_MAP_WRITEABLE);
}

static void ioas_map_unmap_is_exact_test(struct kunit *test)
{
	struct ioas_fixture *f = ioas_fixture(test, 8);
	unsigned long locked = atomic64_read(&current->mm->pinned_vm);
	u64 unmapped;

	KUNIT_ASSERT_EQ(test, 0, map_fixed(f, 0, 8, SZ_1M));
	KUNIT_EXPECT_EQ(test, iopass_mock_mapped_pages(f->mock), 8);
	KUNIT_EXPECT_EQ(test, f->ioas->nr_maps, 1);
	KUNIT_EXPECT_EQ(test, f->ioas->pinned, 8);
	KUNIT_EXPECT_EQ(test, atomic64_read(&current->mm->pinned_vm), locked + 8);

	KUNIT_ASSERT_EQ(test, 0, iopass_ioas_unmap(f->ioas, SZ_1M, 8 * PAGE_SIZE,
						   false, &unmapped));
	KUNIT_EXPECT_EQ(test, unmapped, 8 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, iopass_mock_mapped_pages(f->mock), 0);
	KUNIT_EXPECT_EQ(test, f->ioas->pinned, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&current->mm->pinned_vm), locked);
	KUNIT_EXPECT_EQ(test, f->mock->bad_unmaps, 0);
	KUNIT_EXPECT_EQ(test, f->mock->violations, 0);
}

static void ioas_unmap_must_cover_whole_mappings_test(struct kunit *test)
{
	struct ioas_fixture *f = ioas_fixture(test, 4);
	u64 unmapped;

	KUNIT_ASSERT_EQ(test, 0, map_fixed(f, 0, 4, SZ_1M));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			iopass_ioas_unmap(f->ioas, SZ_1M, 2 * PAGE_SIZE, false,
					  &unmapped));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			iopass_ioas_unmap(f->ioas, SZ_1M + PAGE_SIZE,
					  8 * PAGE_SIZE, false, &unmapped));
	KUNIT_EXPECT_EQ(test, iopass_mock_mapped_pages(f->mock), 4);
	KUNIT_EXPECT_EQ(test, -ENOENT,
			iopass_ioas_unmap(f->ioas, SZ_2M, PAGE_SIZE, false,
					  &unmapped));
	/* A range that covers the mapping and more is fine. */
	KUNIT_EXPECT_EQ(test, 0,
			iopass_ioas_unmap(f->ioas, SZ_1M - PAGE_SIZE,
					  8 * PAGE_SIZE, false, &unmapped));
	KUNIT_EXPECT_EQ(test, unmapped, 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, iopass_mock_mapped_pages(f->mock), 0);
}

static void ioas_one_flush_per_unmap_test(struct kunit *test)
{
	struct ioas_fixture *f = ioas_fixture(test, 16);
	s64 syncs, unmaps;
	u64 unmapped;
	int i;

	for (i = 0; i < 16; i++)
		KUNIT_ASSERT_EQ(test, 0, map_fixed(f, i, 1, SZ_1M + i * PAGE_SIZE));
	syncs = atomic64_read(&f->dom->stat_syncs);
	unmaps = atomic64_read(&f->dom->stat_unmaps);
	KUNIT_ASSERT_EQ(test, 0, iopass_ioas_unmap(f->ioas, 0, 0, true,
						   &unmapped));
	KUNIT_EXPECT_EQ(test, unmapped, 16 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->dom->stat_unmaps), unmaps + 16);
	KUNIT_EXPECT_EQ(test, atomic64_read(&f->dom->stat_syncs), syncs + 1);
	KUNIT_EXPECT_EQ(test, f->mock->violations, 0);
}

/* The ordering check works: a flush that does nothing is caught. */
static void ioas_broken_flush_is_caught_test(struct kunit *test)
{
	struct ioas_fixture *f = ioas_fixture(test, 4);
	u64 unmapped;

	f->mock->broken_flush = true;
	f->mock->expect_violations = true;
	KUNIT_ASSERT_EQ(test, 0, map_fixed(f, 0, 4, SZ_1M));
	KUNIT_ASSERT_EQ(test, 0, iopass_ioas_unmap(f->ioas, SZ_1M, 4 * PAGE_SIZE,
						   false, &unmapped));
	/* Each page was unpinned while a stale IOTLB entry could reach it. */
	KUNIT_EXPECT_EQ(test, f->mock->violations, 4);
}

struct misreport_case {
	const char *name;
	long extra;
};

static const struct misreport_case misreport_cases[] = {
	{ "IOMMU reports more than asked", PAGE_SIZE },
	{ "IOMMU reports less than asked", -(long)PAGE_SIZE },
};

static void misreport_case_desc(const struct misreport_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(misreport, misreport_cases, misreport_case_desc);

/*
 * An IOMMU that unmaps a different length than asked: EIO, and the
 * mapping stays, pinned and with its IOVAs taken, never silently given
 * back, until no domain can reach it.
 */
static void ioas_unmap_length_mismatch_keeps_pages_test(struct kunit *test)
{
	const struct misreport_case *c = test->param_value;
	struct ioas_fixture *f = ioas_fixture(test, 4);
	unsigned long locked = atomic64_read(&current->mm->pinned_vm);
	u64 unmapped;

	KUNIT_ASSERT_EQ(test, 0, map_fixed(f, 0, 2, SZ_1M));
	KUNIT_ASSERT_EQ(test, 0, map_fixed(f, 2, 2, SZ_2M));
	f->mock->unmap_misreport = c->extra;
	KUNIT_EXPECT_EQ(test, -EIO,
			iopass_ioas_unmap(f->ioas, SZ_1M, 2 * PAGE_SIZE, false,
					  &unmapped));
	f->mock->unmap_misreport = 0;
	KUNIT_EXPECT_EQ(test, f->ioas->nr_maps, 2);
	KUNIT_EXPECT_EQ(test, f->ioas->pinned, 4);
	KUNIT_EXPECT_EQ(test, atomic64_read(&current->mm->pinned_vm), locked + 4);
	/* Its IOVAs are not free for a new mapping. */
	KUNIT_EXPECT_EQ(test, -EEXIST, map_fixed(f, 0, 1, SZ_1M));
	KUNIT_EXPECT_EQ(test, f->mock->violations, 0);
	/* No domain left, the IOAS released: everything comes back. */
	iopass_ioas_detach(f->ioas, f->dom, NULL, NULL);
	f->dom = NULL;
	iopass_ioas_put(f->ioas);
	f->ioas = NULL;
	KUNIT_EXPECT_EQ(test, atomic64_read(&current->mm->pinned_vm), locked);
}

/* A second kind of IOMMU gets its own domain, filled from the tree. */
static void ioas_new_domain_is_filled_test(struct kunit *test)
{
	struct ioas_fixture *f = ioas_fixture(test, 8);
	struct iopass_domain *dom2;
	struct iopass_mock_domain *mock2;
	u64 unmapped;

	KUNIT_ASSERT_EQ(test, 0, map_fixed(f, 0, 3, SZ_1M));
	KUNIT_ASSERT_EQ(test, 0, map_fixed(f, 3, 5, SZ_4M));
	f->hw = iopass_mock_hw_create(1);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f->hw);
	dom2 = iopass_ioas_attach(f->ioas, NULL, iopass_mock_domain_alloc, f->hw);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dom2);
	KUNIT_EXPECT_PTR_NE(test, dom2, f->dom);
	mock2 = to_mock_domain(dom2);
	KUNIT_EXPECT_EQ(test, iopass_mock_mapped_pages(mock2), 8);

	/* Both are unmapped and flushed before anything is unpinned. */
	KUNIT_ASSERT_EQ(test, 0, iopass_ioas_unmap(f->ioas, 0, 0, true,
						   &unmapped));
	KUNIT_EXPECT_EQ(test, iopass_mock_mapped_pages(mock2), 0);
	KUNIT_EXPECT_EQ(test, iopass_mock_mapped_pages(f->mock), 0);
	KUNIT_EXPECT_EQ(test, mock2->violations + f->mock->violations, 0);
	KUNIT_EXPECT_EQ(test, mock2->bad_unmaps, 0);
	iopass_ioas_detach(f->ioas, dom2, NULL, f->hw);
}

static struct iopass_domain *alloc_failing_second_map(struct device *dev)
{
	struct iopass_domain *dom = iopass_mock_domain_alloc(dev);

	if (!IS_ERR(dom))
		to_mock_domain(dom)->fail_map_after = 1;
	return dom;
}

static struct iopass_domain *alloc_small_aperture(struct device *dev)
{
	struct iopass_domain *dom = iopass_mock_domain_alloc(dev);

	if (!IS_ERR(dom))
		dom->aperture_end = SZ_2M - 1;
	return dom;
}

static void ioas_failed_fill_unwinds_test(struct kunit *test)
{
	struct ioas_fixture *f = ioas_fixture(test, 8);
	struct iopass_domain *dom;

	KUNIT_ASSERT_EQ(test, 0, map_fixed(f, 0, 1, SZ_1M));
	KUNIT_ASSERT_EQ(test, 0, map_fixed(f, 1, 1, SZ_4M));
	f->hw = iopass_mock_hw_create(1);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f->hw);
	dom = iopass_ioas_attach(f->ioas, NULL, alloc_failing_second_map, f->hw);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dom), -ENOMEM);
	/* Outside the new domain's aperture: refused before mapping. */
	dom = iopass_ioas_attach(f->ioas, NULL, alloc_small_aperture, f->hw);
	KUNIT_EXPECT_EQ(test, PTR_ERR(dom), -ERANGE);
	KUNIT_EXPECT_EQ(test, list_count_nodes(&f->ioas->domains), 1);
	KUNIT_EXPECT_EQ(test, iopass_mock_mapped_pages(f->mock), 2);
	KUNIT_EXPECT_EQ(test, f->ioas->nr_maps, 2);
}

/* A MAP that fails in its second domain leaves nothing behind anywhere. */
static void ioas_failed_map_unwinds_test(struct kunit *test)
{
	struct ioas_fixture *f = ioas_fixture(test, 4);
	unsigned long locked = atomic64_read(&current->mm->pinned_vm);
	struct iopass_domain *dom2;

	f->hw = iopass_mock_hw_create(1);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f->hw);
	dom2 = iopass_ioas_attach(f->ioas, NULL, iopass_mock_domain_alloc, f->hw);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dom2);
	to_mock_domain(dom2)->fail_map_after = 0;

	KUNIT_EXPECT_EQ(test, -ENOMEM, map_fixed(f, 0, 4, SZ_1M));
	KUNIT_EXPECT_EQ(test, iopass_mock_mapped_pages(f->mock), 0);
	KUNIT_EXPECT_EQ(test, f->mock->violations, 0);
	KUNIT_EXPECT_EQ(test, f->ioas->nr_maps, 0);
	KUNIT_EXPECT_EQ(test, f->ioas->pinned, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&current->mm->pinned_vm), locked);
	iopass_ioas_detach(f->ioas, dom2, NULL, f->hw);
}

static void ioas_map_checks_the_range_test(struct kunit *test)
{
	struct ioas_fixture *f = ioas_fixture(test, 4);
	u64 iova = 0;

	KUNIT_ASSERT_EQ(test, 0, map_fixed(f, 0, 2, SZ_1M));
	KUNIT_EXPECT_EQ(test, -EEXIST, map_fixed(f, 2, 2, SZ_1M + PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, -EEXIST, map_fixed(f, 2, 2, SZ_1M - PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, -ERANGE, map_fixed(f, 2, 1, 1UL << 48));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			iopass_ioas_map(f->ioas, f->uva, PAGE_SIZE, &iova, 0));
	/* Kernel-chosen: the lowest free IOVA but 0, clear of the mapping. */
	KUNIT_ASSERT_EQ(test, 0, iopass_ioas_map(f->ioas, f->uva, PAGE_SIZE,
						 &iova, IOPASS_MAP_READABLE));
	KUNIT_EXPECT_EQ(test, iova, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, 0, iopass_ioas_map(f->ioas, f->uva, 2 * PAGE_SIZE,
						 &iova, IOPASS_MAP_READABLE));
	KUNIT_EXPECT_TRUE(test, iova + 2 * PAGE_SIZE <= SZ_1M ||
			  iova >= SZ_1M + 2 * PAGE_SIZE);
	KUNIT_EXPECT_NE(test, iova, 0);
}

static void ioas_iova_ranges_test(struct kunit *test)
{
	struct iopass_iova_range r[2];
	struct iopass_ioas *ioas;
	unsigned long align;
	struct ioas_fixture *f;

	f = ioas_fixture(test, 1);
	KUNIT_EXPECT_EQ(test, 1, iopass_ioas_iova_ranges(f->ioas, r, 2, &align));
	KUNIT_EXPECT_EQ(test, r[0].start, 0);
	KUNIT_EXPECT_EQ(test, r[0].last, (1UL << 48) - 1);
	KUNIT_EXPECT_EQ(test, align, PAGE_SIZE);

	/* No domain yet: everything is allowed. */
	ioas = iopass_ioas_alloc(current->mm);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ioas);
	KUNIT_EXPECT_EQ(test, 1, iopass_ioas_iova_ranges(ioas, r, 2, &align));
	KUNIT_EXPECT_EQ(test, r[0].last, ULONG_MAX);
	iopass_ioas_put(ioas);
}

/* The mock's page table holds exactly the run, in the largest pages that fit. */
static void domain_run_is_never_widened_test(struct kunit *test)
{
	struct iopass_domain *dom = iopass_mock_domain_alloc(NULL);
	struct iopass_mock_domain *mock;
	struct iommu_iotlb_gather gather;
	struct scatterlist sg;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dom);
	mock = to_mock_domain(dom);
	/* 2 MiB + 4 KiB, both addresses 2 MiB aligned: one 2M and one 4K. */
	sg_init_table(&sg, 1);
	sg_set_page(&sg, pfn_to_page(PHYS_PFN(0x40200000)), SZ_2M + SZ_4K, 0);
	KUNIT_ASSERT_EQ(test, 0, dom->ops->map(dom, SZ_2M, &sg, 1, IOMMU_READ));
	KUNIT_EXPECT_EQ(test, mock->pages_by_size[21], 1);
	KUNIT_EXPECT_EQ(test, mock->pages_by_size[12], 1);
	KUNIT_EXPECT_EQ(test, iopass_mock_mapped_pages(mock), 513);
	iommu_iotlb_gather_init(&gather);
	KUNIT_EXPECT_EQ(test, dom->ops->unmap(dom, SZ_2M, SZ_2M + SZ_4K, &gather),
			SZ_2M + SZ_4K);
	dom->ops->iotlb_sync(dom, &gather);
	KUNIT_EXPECT_EQ(test, mock->bad_unmaps, 0);
	iopass_domain_free(dom);
}

struct pgsize_case {
	const char *name;
	unsigned long bitmap;
	unsigned long iova;
	phys_addr_t paddr;
	size_t size;
	size_t want;
};

#define ALL_SIZES (SZ_4K | SZ_2M | SZ_1G)
static const struct pgsize_case pgsize_cases[] = {
	{ "4K of an aligned 2M run stays 4K", ALL_SIZES, SZ_2M, SZ_2M, SZ_4K, SZ_4K },
	{ "2M less 4K stays 4K", ALL_SIZES, SZ_2M, SZ_2M, SZ_2M - SZ_4K, SZ_4K },
	{ "aligned 2M", ALL_SIZES, SZ_2M, SZ_2M, SZ_2M, SZ_2M },
	{ "aligned 2M run of 4M-4K", ALL_SIZES, SZ_2M, SZ_4M, SZ_4M - SZ_4K, SZ_2M },
	{ "physical address not 2M aligned", ALL_SIZES, SZ_2M, SZ_2M + SZ_4K, SZ_2M, SZ_4K },
	{ "IOVA not 2M aligned", ALL_SIZES, SZ_2M + SZ_4K, SZ_2M, SZ_2M, SZ_4K },
	{ "aligned 1G", ALL_SIZES, SZ_1G, SZ_1G, SZ_1G, SZ_1G },
	{ "1G aligned, 1G-4K long", ALL_SIZES, SZ_1G, SZ_1G, SZ_1G - SZ_4K, SZ_2M },
	{ "only 4K pages", SZ_4K, SZ_1G, SZ_1G, SZ_1G, SZ_4K },
	{ "smaller than any page", ALL_SIZES, 0, 0, SZ_2K, 0 },
	{ "address 0", ALL_SIZES, 0, 0, SZ_1G, SZ_1G },
};

static void pgsize_case_desc(const struct pgsize_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pgsize, pgsize_cases, pgsize_case_desc);

static void domain_pgsize_test(struct kunit *test)
{
	const struct pgsize_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, c->want,
			iopass_pgsize(c->bitmap, c->iova, c->paddr, c->size));
}

struct map_args_case {
	const char *name;
	u64 user_va;
	u64 length;
	u64 iova;
	bool fixed;
	int want;
};

static const struct map_args_case map_args_cases[] = {
	{ "ordinary", SZ_1M, SZ_4K, SZ_2M, true, 0 },
	{ "zero length", SZ_1M, 0, SZ_2M, true, -EINVAL },
	{ "user address misaligned", SZ_1M + 8, SZ_4K, SZ_2M, true, -EINVAL },
	{ "length misaligned", SZ_1M, SZ_4K + 1, SZ_2M, true, -EINVAL },
	{ "IOVA misaligned", SZ_1M, SZ_4K, SZ_2M + 8, true, -EINVAL },
	{ "IOVA ignored unless fixed", SZ_1M, SZ_4K, SZ_2M + 8, false, 0 },
	{ "user range wraps", U64_MAX - SZ_4K + 1, 2 * SZ_4K, 0, true, -EOVERFLOW },
	{ "IOVA range wraps", SZ_1M, 2 * SZ_4K, U64_MAX - SZ_4K + 1, true, -EOVERFLOW },
	{ "IOVA range ends at the top", SZ_1M, SZ_4K, U64_MAX - SZ_4K + 1, true, 0 },
	{ "length of 2^64 - 4K", 0, U64_MAX - SZ_4K + 1, 0, true, 0 },
	{ "length of 2^64 - 4K from 4K", SZ_4K, U64_MAX - SZ_4K + 1, 0, true, 0 },
	{ "length of 2^64 - 4K from 8K", 2 * SZ_4K, U64_MAX - SZ_4K + 1, 0, true, -EOVERFLOW },
};

static void map_args_case_desc(const struct map_args_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(map_args, map_args_cases, map_args_case_desc);

static void ioas_check_map_args_test(struct kunit *test)
{
	const struct map_args_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, c->want,
			iopass_check_map_args(c->user_va, c->length, c->iova,
					      c->fixed, PAGE_SIZE));
}

static void domain_contig_run_test(struct kunit *test)
{
	struct page *block, *other, *pages[5];
	int i;

	block = alloc_pages(GFP_KERNEL, 2);
	KUNIT_ASSERT_NOT_NULL(test, block);
	other = alloc_page(GFP_KERNEL);
	if (!other)
		__free_pages(block, 2);
	KUNIT_ASSERT_NOT_NULL(test, other);
	for (i = 0; i < 4; i++)
		pages[i] = block + i;
	pages[4] = other;
	KUNIT_EXPECT_EQ(test, iopass_contig_run(pages, 4), 4);
	KUNIT_EXPECT_EQ(test, iopass_contig_run(pages + 1, 3), 3);
	KUNIT_EXPECT_LE(test, iopass_contig_run(pages, 5), 5);
	KUNIT_EXPECT_GE(test, iopass_contig_run(pages, 5), 4);
	pages[1] = other;
	KUNIT_EXPECT_EQ(test, iopass_contig_run(pages, 4),
			page_to_pfn(other) == page_to_pfn(block) + 1 ? 2 : 1);
	__free_pages(block, 2);
	__free_page(other);
}

#define SCATTERED 100

/* @n single pages in reverse order of allocation: no two adjacent in a run. */
static struct page **scattered_pages(struct kunit *test, unsigned int n)
{
	struct page **pages;
	unsigned int i;

	pages = kunit_kcalloc(test, n, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	for (i = 0; i < n; i++) {
		pages[n - 1 - i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, pages[n - 1 - i]);
	}
	return pages;
}

static void free_scattered(struct page **pages, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (pages[i])
			__free_page(pages[i]);
}

/*
 * 100 runs of one page go in two map calls (8 from the stack list, then
 * the rest at once), each run exactly its own entry; one unmap call for
 * the whole range matches the first run's start and the last run's end.
 */
static void domain_scattered_pages_batch_test(struct kunit *test)
{
	struct iopass_domain *dom = iopass_mock_domain_alloc(NULL);
	struct iommu_iotlb_gather gather;
	struct iopass_mock_domain *mock;
	struct page **pages;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dom);
	mock = to_mock_domain(dom);
	pages = scattered_pages(test, SCATTERED);
	KUNIT_EXPECT_EQ(test, 0, iopass_domain_map_pages(dom, SZ_1G, pages,
							 SCATTERED, IOMMU_READ));
	KUNIT_EXPECT_EQ(test, atomic64_read(&dom->stat_maps), 2);
	KUNIT_EXPECT_EQ(test, iopass_mock_mapped_pages(mock), SCATTERED);
	KUNIT_EXPECT_EQ(test, mock->pages_by_size[PAGE_SHIFT], SCATTERED);
	iommu_iotlb_gather_init(&gather);
	KUNIT_EXPECT_EQ(test, dom->ops->unmap(dom, SZ_1G, SCATTERED * PAGE_SIZE,
					      &gather), SCATTERED * PAGE_SIZE);
	dom->ops->iotlb_sync(dom, &gather);
	KUNIT_EXPECT_EQ(test, mock->bad_unmaps, 0);
	KUNIT_EXPECT_EQ(test, mock->violations, 0);
	iopass_domain_free(dom);
	free_scattered(pages, SCATTERED);
}

/* The second batch fails: the first is unmapped again, exactly. */
static void domain_failed_batch_unwinds_test(struct kunit *test)
{
	struct iopass_domain *dom = iopass_mock_domain_alloc(NULL);
	struct iopass_mock_domain *mock;
	struct page **pages;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dom);
	mock = to_mock_domain(dom);
	pages = scattered_pages(test, SCATTERED);
	mock->fail_map_after = 1;
	KUNIT_EXPECT_EQ(test, -ENOMEM,
			iopass_domain_map_pages(dom, SZ_1G, pages, SCATTERED,
						IOMMU_READ));
	KUNIT_EXPECT_EQ(test, atomic64_read(&dom->stat_maps), 1);
	KUNIT_EXPECT_EQ(test, iopass_mock_mapped_pages(mock), 0);
	KUNIT_EXPECT_EQ(test, mock->bad_unmaps, 0);
	KUNIT_EXPECT_EQ(test, mock->violations, 0);
	iopass_domain_free(dom);
	free_scattered(pages, SCATTERED);
}

/*
 * A kernel-chosen IOVA is never 0: drivers take 0 for "no address", and
 * a device whose DMA address was never set writes there.
 */
static void ioas_kernel_iova_is_never_zero_test(struct kunit *test)
{
	struct ioas_fixture *f = ioas_fixture(test, 1);
	u64 iova = 0, unmapped;

	KUNIT_ASSERT_EQ(test, 0, iopass_ioas_map(f->ioas, f->uva, PAGE_SIZE,
						 &iova, IOPASS_MAP_READABLE));
	KUNIT_EXPECT_NE(test, iova, 0);
	KUNIT_EXPECT_EQ(test, 0, iopass_ioas_unmap(f->ioas, 0, 0, true,
						   &unmapped));
	/* Empty now: "all" is still not an error, and unmaps nothing. */
	KUNIT_EXPECT_EQ(test, 0, iopass_ioas_unmap(f->ioas, 0, 0, true,
						   &unmapped));
	KUNIT_EXPECT_EQ(test, unmapped, 0);
}

/*
 * IOPASS_IOAS_DESTROY took the ID while an ATTACH that had looked it up
 * went on: the ATTACH fails rather than attach to an IOAS nobody can name.
 */
static void ioas_destroyed_refuses_attach_test(struct kunit *test)
{
	struct ioas_fixture *f = ioas_fixture(test, 1);
	struct iopass_domain *dom;

	mutex_lock(&f->ioas->lock);
	f->ioas->destroyed = true;	/* what DESTROY does, under the lock */
	mutex_unlock(&f->ioas->lock);
	dom = iopass_ioas_attach(f->ioas, NULL, iopass_mock_domain_alloc, NULL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(dom), -ENOENT);
	if (!IS_ERR(dom))
		iopass_ioas_detach(f->ioas, dom, NULL, NULL);
}

/*
 * Which attach errors mean "try a new domain": -EINVAL since 6.3, and
 * what 6.1's drivers return for the same (VT-d: address width -EFAULT,
 * snoop control -EOPNOTSUPP; virtio-iommu -EXDEV; SMMUv3 -ENXIO).  Real
 * failures are not retried.
 */
static void ioas_incompatible_errnos_test(struct kunit *test)
{
	static const int retry[] = { -EINVAL, -EFAULT, -EOPNOTSUPP, -EXDEV,
				     -ENXIO };
	static const int fatal[] = { -EBUSY, -EPERM, -ENOMEM, -ENOSPC, -ENODEV,
				     -EIO };
	int i;

	for (i = 0; i < ARRAY_SIZE(retry); i++)
		KUNIT_EXPECT_TRUE_MSG(test, iopass_domain_incompatible(retry[i]),
				      "errno %d", retry[i]);
	for (i = 0; i < ARRAY_SIZE(fatal); i++)
		KUNIT_EXPECT_FALSE_MSG(test, iopass_domain_incompatible(fatal[i]),
				       "errno %d", fatal[i]);
}

static struct kunit_case iopass_ioas_cases[] = {
	KUNIT_CASE(ioas_map_unmap_is_exact_test),
	KUNIT_CASE(ioas_unmap_must_cover_whole_mappings_test),
	KUNIT_CASE(ioas_one_flush_per_unmap_test),
	KUNIT_CASE(ioas_broken_flush_is_caught_test),
	KUNIT_CASE_PARAM(ioas_unmap_length_mismatch_keeps_pages_test,
			 misreport_gen_params),
	KUNIT_CASE(ioas_new_domain_is_filled_test),
	KUNIT_CASE(ioas_failed_fill_unwinds_test),
	KUNIT_CASE(ioas_failed_map_unwinds_test),
	KUNIT_CASE(ioas_map_checks_the_range_test),
	KUNIT_CASE(ioas_iova_ranges_test),
	KUNIT_CASE(ioas_kernel_iova_is_never_zero_test),
	KUNIT_CASE(ioas_destroyed_refuses_attach_test),
	KUNIT_CASE(ioas_incompatible_errnos_test),
	KUNIT_CASE_PARAM(ioas_check_map_args_test, map_args_gen_params),
	KUNIT_CASE(domain_run_is_never_widened_test),
	KUNIT_CASE_PARAM(domain_pgsize_test, pgsize_gen_params),
	KUNIT_CASE(domain_contig_run_test),
	KUNIT_CASE(domain_scattered_pages_batch_test),
	KUNIT_CASE(domain_failed_batch_unwinds_test),
	{}
};

static struct kunit_suite iopass_ioas_suite = {
	.name = "iopass_ioas",
	.test_cases = iopass_ioas_cases,
};

kunit_test_suite(iopass_ioas_suite);
