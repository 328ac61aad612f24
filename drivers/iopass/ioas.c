// SPDX-License-Identifier: GPL-2.0
/*
 * Address spaces (IOAS): IO virtual addresses mapped to pinned user memory.
 *
 * An IOAS is the source of truth: an interval tree of mappings, each with
 * the pages it pinned.  The IOMMU domains that devices are attached to are
 * copies of it: a MAP goes into every domain of the IOAS, an UNMAP comes
 * out of every domain, and a domain created for a newly attached device is
 * filled from the tree.  Usually there is one domain, since devices behind
 * the same IOMMU can share one; a device whose IOMMU cannot use any of the
 * IOAS's domains gets its own.
 *
 * Invariant 1, invalidation before reuse, is kept by the order of UNMAP:
 * every mapping of the request is unmapped from every domain, each domain's
 * IOTLB is flushed once for the whole request, and only then are pages
 * unpinned (and the mappings leave the tree, so their IOVAs can be used
 * again).  If an IOMMU reports unmapping a different length than asked,
 * iopass cannot know what the device can still reach: that mapping stays,
 * pinned and in the tree (so its IOVAs are not reused), a later UNMAP
 * tries again, and this one fails with EIO.  Pages a device may have
 * written are marked dirty as they are unpinned.
 *
 * Invariant 2, nothing wider than asked: MAP passes the IOMMU exact,
 * physically contiguous runs (domain.c), and UNMAP must cover whole
 * mappings, so no IOMMU entry is ever split or widened.
 *
 * Locking: ioas->lock (a mutex) protects everything in the IOAS; it nests
 * inside iopass_groups_lock.  It is never held while user memory is
 * touched: MAP takes its IOVA range under the lock (a "busy" mapping with
 * no pages, which UNMAP and new domains pass over), pins with no lock, and
 * publishes under the lock again.  So a pin that stalls (userfaultfd,
 * FUSE) cannot hold up a DETACH, which takes iopass_groups_lock and then
 * this lock, nor through that lock every other tenant.
 */
#include <kunit/visibility.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/interval_tree.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>

#include "iopass.h"

static unsigned int max_mappings = 65536;
module_param(max_mappings, uint, 0644);
MODULE_PARM_DESC(max_mappings,
		 "Most mappings one address space may hold (default 65536)");

/* Pages pinned per pin_user_pages_fast() call. */
#define IOPASS_PIN_BATCH	(PAGE_SIZE / sizeof(struct page *))

/**
 * struct iopass_map - one mapping: [node.start, node.last] to pinned pages
 * @node: in the IOAS's interval tree; start and last are IOVAs
 * @pages: the pinned pages: for one page the struct page pointer itself,
 *	for more an array of them in IOVA order; its low bits (the pointers
 *	are at least 8-byte aligned) hold IOMMU_READ, IOMMU_WRITE and
 *	IOPASS_MAP_STUCK
 *
 * The length, and so the number of pages, is the node's.  56 bytes from a
 * cache of its own: with the memory cgroup's 8 bytes per object, a 4 KiB
 * mapping costs 64 bytes of kernel memory besides the IOMMU's page table
 * (Documentation/performance.rst).
 */
struct iopass_map {
	struct interval_tree_node node;
	unsigned long pages;
};

/* An IOMMU did not unmap the mapping exactly (see above). */
#define IOPASS_MAP_STUCK	4UL
#define IOPASS_MAP_FLAGS	(IOMMU_READ | IOMMU_WRITE | IOPASS_MAP_STUCK)

static struct kmem_cache *iopass_map_cache;

/* The bytes a mapping's tree node covers. */
static unsigned long iopass_node_len(const struct interval_tree_node *node)
{
	return node->last - node->start + 1;
}

static unsigned long iopass_map_npages(const struct iopass_map *map)
{
	return iopass_node_len(&map->node) >> PAGE_SHIFT;
}

/*
 * A MAP in progress: its IOVAs are taken while it pins, with no page yet
 * and in no domain (see iopass_ioas_map()).
 */
static bool iopass_map_busy(const struct iopass_map *map)
{
	return !(map->pages & ~IOPASS_MAP_FLAGS);
}

static bool iopass_node_busy(const struct interval_tree_node *node)
{
	return iopass_map_busy(container_of(node, struct iopass_map, node));
}

static int iopass_map_prot(const struct iopass_map *map)
{
	return map->pages & (IOMMU_READ | IOMMU_WRITE);
}

/* The pages, as an array: @one holds a one-page mapping's. */
static struct page **iopass_map_pages(const struct iopass_map *map,
				      struct page **one)
{
	unsigned long p = map->pages & ~IOPASS_MAP_FLAGS;

	if (iopass_map_npages(map) > 1)
		return (struct page **)p;
	*one = (struct page *)p;
	return one;
}

/**
 * struct iopass_resv - an IOVA range a device's IOMMU reserves
 * @node: on ioas->resv
 * @start: first IOVA
 * @last: last IOVA
 * @owner: the IOMMU group it came from
 */
struct iopass_resv {
	struct list_head node;
	unsigned long start;
	unsigned long last;
	struct iommu_group *owner;
};

/*
 * Unpin pages whose IOVAs every domain has unmapped and flushed, telling
 * the domains first (a mock checks the order there).
 */
static void iopass_ioas_unpin(struct iopass_ioas *ioas, unsigned long iova,
			      struct page **pages, unsigned long npages,
			      int prot)
{
	struct iopass_domain *dom;

	lockdep_assert_held(&ioas->lock);
	list_for_each_entry(dom, &ioas->domains, node)
		if (dom->ops->unpinning)
			dom->ops->unpinning(dom, iova, pages, npages);
	unpin_user_pages_dirty_lock(pages, npages, prot & IOMMU_WRITE);
}

/**
 * iopass_ioas_alloc() - create an empty address space
 * @mm: the memory that may be mapped and whose pinned_vm shows the pins
 *
 * The calling user pays for the pins (iopass_account()).
 *
 * Return: the IOAS with one reference, or an ERR_PTR.
 */
struct iopass_ioas *iopass_ioas_alloc(struct mm_struct *mm)
{
	struct iopass_ioas *ioas;

	ioas = kzalloc(sizeof(*ioas), GFP_KERNEL_ACCOUNT);
	if (!ioas)
		return ERR_PTR(-ENOMEM);
	ioas->nodes = kcalloc(nr_node_ids, sizeof(*ioas->nodes),
			      GFP_KERNEL_ACCOUNT);
	if (!ioas->nodes) {
		kfree(ioas);
		return ERR_PTR(-ENOMEM);
	}
	kref_init(&ioas->kref);
	mutex_init(&ioas->lock);
	ioas->maps = RB_ROOT_CACHED;
	INIT_LIST_HEAD(&ioas->domains);
	INIT_LIST_HEAD(&ioas->resv);
	mmgrab(mm);
	ioas->mm = mm;
	ioas->user = get_current_user();
	return ioas;
}
EXPORT_SYMBOL_NS_GPL(iopass_ioas_alloc, IOPASS);

/*
 * Pins are charged to the user who created the IOAS (user->locked_vm, as
 * io_uring and iommufd charge theirs), limited by the mapping process's
 * RLIMIT_MEMLOCK unless it has CAP_IPC_LOCK, and shown in the mm's
 * pinned_vm (VmPin in /proc/PID/status).  Per user, so pins that outlive
 * their process (a context passed on, an exited opener) still count
 * against the user's limit.  Atomics, so MAP and UNMAP never take the
 * mmap_lock for it; the IOAS holds the mm (mmgrab) and the user, so
 * un-charging is safe even after its process has exited.
 */
static int iopass_account(struct iopass_ioas *ioas, unsigned long npages,
			  bool inc)
{
	if (!inc) {
		atomic_long_sub(npages, &ioas->user->locked_vm);
		atomic64_sub(npages, &ioas->mm->pinned_vm);
		return 0;
	}
	if (iopass_should_fail())
		return -ENOMEM;
	if (atomic_long_add_return(npages, &ioas->user->locked_vm) >
	    rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT &&
	    !capable(CAP_IPC_LOCK)) {
		atomic_long_sub(npages, &ioas->user->locked_vm);
		return -ENOMEM;
	}
	atomic64_add(npages, &ioas->mm->pinned_vm);
	return 0;
}

/*
 * Count @npages pinned pages in (@add) or out of their nodes.  Pinned
 * pages do not migrate, so each is taken off the node it was added to.  On
 * one node no page need be looked at.
 */
static void iopass_ioas_count_nodes(struct iopass_ioas *ioas,
				    struct page **pages, unsigned long npages,
				    bool add)
{
	long delta = add ? 1 : -1;
	unsigned long i;

	lockdep_assert_held(&ioas->lock);
	if (nr_node_ids == 1) {
		ioas->nodes[0].pinned += delta * (long)npages;
		return;
	}
	for (i = 0; i < npages; i++)
		ioas->nodes[page_to_nid(pages[i])].pinned += delta;
}

/*
 * IOPASS_MAP_LOCAL_NODE: is a page of @pages on a node where no attached
 * device is, while some attached device is on a known node?
 */
static bool iopass_ioas_remote(struct iopass_ioas *ioas, struct page **pages,
			       unsigned long npages)
{
	bool known = false;
	unsigned long i;
	int node;

	lockdep_assert_held(&ioas->lock);
	for (node = 0; node < nr_node_ids; node++)
		known |= ioas->nodes[node].devices != 0;
	if (!known)
		return false;
	for (i = 0; i < npages; i++)
		if (!ioas->nodes[page_to_nid(pages[i])].devices)
			return true;
	return false;
}

/* Give back a mapping out of the tree whose IOVAs no domain translates. */
static void iopass_map_release(struct iopass_ioas *ioas, struct iopass_map *map)
{
	unsigned long npages = iopass_map_npages(map);
	struct page *one, **pages;

	lockdep_assert_held(&ioas->lock);
	pages = iopass_map_pages(map, &one);
	iopass_ioas_count_nodes(ioas, pages, npages, false);
	iopass_ioas_unpin(ioas, map->node.start, pages, npages,
			  iopass_map_prot(map));
	iopass_account(ioas, npages, false);
	ioas->pinned -= npages;
	if (npages > 1)
		kvfree((void *)(map->pages & ~IOPASS_MAP_FLAGS));
	kmem_cache_free(iopass_map_cache, map);
}

/*
 * Unmap every mapping in [@first, @last] (whole mappings: the caller has
 * checked) from every domain, flush each domain's IOTLB once, then unpin
 * and free them, adding their bytes to @unmapped.  A mapping an IOMMU did
 * not unmap exactly stays in the tree with its pages pinned: they may
 * still be reachable.  Return: 0, or -EIO if one did.
 */
static int iopass_ioas_unmap_range(struct iopass_ioas *ioas,
				   unsigned long first, unsigned long last,
				   u64 *unmapped)
{
	struct interval_tree_node *node, *next;
	struct iommu_iotlb_gather gather;
	struct iopass_domain *dom;
	struct iopass_map *map;
	unsigned long bad = 0;
	size_t len, done;

	lockdep_assert_held(&ioas->lock);
	list_for_each_entry(dom, &ioas->domains, node) {
		iommu_iotlb_gather_init(&gather);
		for (node = interval_tree_iter_first(&ioas->maps, first, last);
		     node; node = interval_tree_iter_next(node, first, last)) {
			map = container_of(node, struct iopass_map, node);
			if (iopass_map_busy(map))
				continue;
			len = iopass_node_len(node);
			done = dom->ops->unmap(dom, node->start, len, &gather);
			atomic64_inc(&dom->stat_unmaps);
			if (done != len) {
				pr_err("iopass: IOMMU unmapped %zu bytes at IOVA %#lx instead of %zu; keeping the pages pinned\n",
				       done, node->start, len);
				map->pages |= IOPASS_MAP_STUCK;
			}
		}
		dom->ops->iotlb_sync(dom, &gather);
		atomic64_inc(&dom->stat_syncs);
	}

	/* Flushed: now the pages can go, and the IOVAs be used again. */
	for (node = interval_tree_iter_first(&ioas->maps, first, last); node;
	     node = next) {
		next = interval_tree_iter_next(node, first, last);
		map = container_of(node, struct iopass_map, node);
		if (iopass_map_busy(map))
			continue;	/* its MAP has not happened yet */
		if (map->pages & IOPASS_MAP_STUCK) {
			/* Still reachable, maybe: keep it, its IOVAs taken. */
			map->pages &= ~IOPASS_MAP_STUCK;
			bad++;
			continue;
		}
		interval_tree_remove(node, &ioas->maps);
		ioas->nr_maps--;
		*unmapped += iopass_node_len(node);
		iopass_map_release(ioas, map);
	}
	return bad ? -EIO : 0;
}

static void iopass_ioas_release(struct kref *kref)
{
	struct iopass_ioas *ioas = container_of(kref, struct iopass_ioas, kref);
	u64 unmapped = 0;

	/*
	 * Every device has detached: no domain is left to flush, and no
	 * device can reach even a stuck mapping's pages any more.
	 */
	WARN_ON(!list_empty(&ioas->domains));
	mutex_lock(&ioas->lock);
	iopass_ioas_unmap_range(ioas, 0, ULONG_MAX, &unmapped);
	mutex_unlock(&ioas->lock);
	mmdrop(ioas->mm);
	free_uid(ioas->user);
	mutex_destroy(&ioas->lock);
	kfree(ioas->nodes);	/* only ever read under the IOAS's references */
	kfree_rcu(ioas, rcu);
}

/**
 * iopass_ioas_put() - drop a reference; the last unpins everything
 * @ioas: the address space
 */
void iopass_ioas_put(struct iopass_ioas *ioas)
{
	kref_put(&ioas->kref, iopass_ioas_release);
}
EXPORT_SYMBOL_NS_GPL(iopass_ioas_put, IOPASS);

/* The alignment every IOVA, length and user address must have. */
static unsigned long iopass_ioas_alignment(struct iopass_ioas *ioas)
{
	unsigned long align = PAGE_SIZE;
	struct iopass_domain *dom;

	list_for_each_entry(dom, &ioas->domains, node)
		align = max(align, 1UL << __ffs(dom->pgsize_bitmap));
	return align;
}

/* The intersection of the domains' apertures. */
static void iopass_ioas_aperture(struct iopass_ioas *ioas, unsigned long *start,
				 unsigned long *last)
{
	struct iopass_domain *dom;

	*start = 0;
	*last = ULONG_MAX;
	list_for_each_entry(dom, &ioas->domains, node) {
		*start = max(*start, dom->aperture_start);
		*last = min(*last, dom->aperture_end);
	}
}

/**
 * iopass_check_map_args() - the arithmetic checks of a MAP, before any state
 * @user_va: the caller's start address
 * @length: bytes
 * @iova: the IOVA (only checked if @fixed)
 * @fixed: whether @iova was given
 * @align: the IOAS's alignment (a power of two, at least PAGE_SIZE)
 *
 * Return: 0; -EINVAL for a zero length or misalignment; -EOVERFLOW if the
 * user range or the IOVA range wraps.
 */
int iopass_check_map_args(u64 user_va, u64 length, u64 iova, bool fixed,
			  unsigned long align)
{
	u64 end;

	if (!length || !IS_ALIGNED(user_va | length, align) ||
	    (fixed && !IS_ALIGNED(iova, align)))
		return -EINVAL;
	if (check_add_overflow(user_va, length - 1, &end) ||
	    end > ULONG_MAX ||
	    (fixed && (check_add_overflow(iova, length - 1, &end) ||
		       end > ULONG_MAX)))
		return -EOVERFLOW;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(iopass_check_map_args);

/* Is [start, last] free for a new mapping?  0 or the MAP errno. */
static int iopass_ioas_check_range(struct iopass_ioas *ioas,
				   unsigned long start, unsigned long last)
{
	unsigned long ap_start, ap_last;
	struct iopass_resv *resv;

	lockdep_assert_held(&ioas->lock);
	iopass_ioas_aperture(ioas, &ap_start, &ap_last);
	if (start < ap_start || last > ap_last)
		return -ERANGE;
	list_for_each_entry(resv, &ioas->resv, node)
		if (start <= resv->last && resv->start <= last)
			return -EADDRINUSE;
	if (interval_tree_iter_first(&ioas->maps, start, last))
		return -EEXIST;
	return 0;
}

/*
 * The usable IOVA ranges, ascending: the aperture less the reserved
 * regions.  Fills up to @max entries of @out and returns how many there
 * are in all.
 */
static unsigned int iopass_ioas_usable(struct iopass_ioas *ioas,
				       struct iopass_iova_range *out,
				       unsigned int max)
{
	unsigned long start, ap_last, rs, rl;
	struct iopass_resv *resv;
	unsigned int n = 0;
	bool found;

	lockdep_assert_held(&ioas->lock);
	iopass_ioas_aperture(ioas, &start, &ap_last);
	while (start <= ap_last) {
		/*
		 * The lowest-starting reservation not wholly below @start.  One
		 * that overlaps the last is found on the next round, starting
		 * below @start, and only moves @start on.
		 */
		found = false;
		rs = 0;
		rl = 0;
		list_for_each_entry(resv, &ioas->resv, node) {
			if (resv->last >= start && (!found || resv->start < rs)) {
				found = true;
				rs = resv->start;
				rl = resv->last;
			}
		}
		if (!found || rs > start) {
			if (n < max) {
				out[n].start = start;
				out[n].last = found ? min(rs - 1, ap_last) : ap_last;
			}
			n++;
		}
		if (!found || rl >= ap_last)
			break;
		start = rl + 1;
	}
	return n;
}

/*
 * The lowest free IOVA range of @length aligned to @align; 0 and @iova, or
 * -EADDRNOTAVAIL.  Never IOVA 0: drivers take 0 for "no address", and a
 * device whose DMA address was never set writes there.
 */
static int iopass_ioas_find_iova(struct iopass_ioas *ioas, unsigned long length,
				 unsigned long align, unsigned long *iova)
{
	struct iopass_iova_range *ranges;
	struct interval_tree_node *node;
	unsigned int n, i;
	unsigned long cand, last;
	int ret = -EADDRNOTAVAIL;

	n = iopass_ioas_usable(ioas, NULL, 0);
	ranges = kmalloc_array(n, sizeof(*ranges), GFP_KERNEL);
	if (!ranges)
		return -ENOMEM;
	iopass_ioas_usable(ioas, ranges, n);
	for (i = 0; i < n && ret; i++) {
		cand = ALIGN(max(ranges[i].start, 1UL), align);
		while (cand >= ranges[i].start &&
		       !check_add_overflow(cand, length - 1, &last) &&
		       last <= ranges[i].last) {
			node = interval_tree_iter_first(&ioas->maps, cand, last);
			if (!node) {
				*iova = cand;
				ret = 0;
				break;
			}
			if (node->last == ULONG_MAX)
				break;
			cand = ALIGN(node->last + 1, align);
		}
	}
	kfree(ranges);
	return ret;
}

/* Pin @npages at @uva into @pages; 0 or an errno, nothing pinned then. */
static int iopass_pin(unsigned long uva, unsigned long npages, bool write,
		      struct page **pages)
{
	unsigned int gup = FOLL_LONGTERM | (write ? FOLL_WRITE : 0);
	unsigned long done = 0;
	long n;

	while (done < npages) {
		n = pin_user_pages_fast(uva + done * PAGE_SIZE,
					min(npages - done, IOPASS_PIN_BATCH),
					gup, pages + done);
		if (n <= 0) {
			unpin_user_pages(pages, done);
			return n ? n : -EFAULT;
		}
		done += n;
		/* A failure after some batches: they are unpinned. */
		if (iopass_should_fail()) {
			unpin_user_pages(pages, done);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Unmap @map from the domains before @stop, each flushed. */
static void iopass_map_undo(struct iopass_ioas *ioas, struct iopass_map *map,
			    struct iopass_domain *stop)
{
	struct iommu_iotlb_gather gather;
	struct iopass_domain *dom;

	list_for_each_entry(dom, &ioas->domains, node) {
		if (dom == stop)
			break;
		iommu_iotlb_gather_init(&gather);
		dom->ops->unmap(dom, map->node.start,
				iopass_node_len(&map->node), &gather);
		dom->ops->iotlb_sync(dom, &gather);
	}
}

/*
 * Check a MAP's arguments and take its IOVA range: a busy mapping, with no
 * pages, enters the tree.  Under ioas->lock; 0 or the MAP errno.
 */
static int iopass_ioas_reserve(struct iopass_ioas *ioas, struct iopass_map *map,
			       u64 user_va, u64 length, u64 iova, bool fixed)
{
	unsigned long start, align;
	int ret;

	lockdep_assert_held(&ioas->lock);
	ret = iopass_check_map_args(user_va, length, iova, fixed,
				    iopass_ioas_alignment(ioas));
	if (ret)
		return ret;
	if (ioas->nr_maps >= max_mappings)
		return -ENOSPC;
	if (fixed) {
		start = iova;
		ret = iopass_ioas_check_range(ioas, start, start + length - 1);
	} else {
		/*
		 * Align the IOVA like @user_va (up to the largest power of two
		 * not above @length), so huge pages can become IOMMU superpages.
		 */
		align = iopass_pgsize(PAGE_MASK, user_va, 0, length);
		align = max(align, iopass_ioas_alignment(ioas));
		ret = iopass_ioas_find_iova(ioas, length, align, &start);
	}
	if (ret)
		return ret;
	map->node.start = start;
	map->node.last = start + length - 1;
	map->pages = 0;		/* busy */
	interval_tree_insert(&map->node, &ioas->maps);
	ioas->nr_maps++;
	return 0;
}

/* Give back the IOVA range of a MAP that failed.  Under ioas->lock. */
static void iopass_ioas_unreserve(struct iopass_ioas *ioas,
				  struct iopass_map *map)
{
	lockdep_assert_held(&ioas->lock);
	interval_tree_remove(&map->node, &ioas->maps);
	ioas->nr_maps--;
}

/*
 * Map @pages into every domain the IOAS has now (a domain attached while
 * they were pinned did not get them: its fill skipped the busy mapping)
 * and publish the mapping.  Under ioas->lock; 0 or an errno, nothing
 * mapped then.
 */
static int iopass_ioas_publish(struct iopass_ioas *ioas, struct iopass_map *map,
			       struct page **pages, struct page *one, int prot)
{
	unsigned long npages = iopass_map_npages(map);
	struct iopass_domain *dom;
	int ret;

	lockdep_assert_held(&ioas->lock);
	list_for_each_entry(dom, &ioas->domains, node) {
		ret = iopass_domain_map_pages(dom, map->node.start, pages,
					      npages, prot);
		if (ret) {
			/* @dom cleaned up after itself; undo the ones before. */
			iopass_map_undo(ioas, map, dom);
			return ret;
		}
	}
	map->pages = (npages > 1 ? (unsigned long)pages : (unsigned long)one) |
		     prot;
	ioas->pinned += npages;
	iopass_ioas_count_nodes(ioas, pages, npages, true);
	return 0;
}

/**
 * iopass_ioas_map() - pin user memory and map it at an IOVA
 * @ioas: the address space
 * @user_va: the memory (in current->mm, which must be the IOAS's)
 * @length: bytes
 * @iova: in: the IOVA if @flags has IOPASS_MAP_FIXED_IOVA; out: the IOVA used
 * @flags: &enum iopass_ioas_map_flags
 *
 * The IOVA range is taken first, then the pages are pinned with no lock
 * held: a fault that never completes (userfaultfd, FUSE) stalls only this
 * MAP, never a DETACH, an attach or another tenant.
 *
 * Return: 0 or the errno documented for IOPASS_IOAS_MAP.  On failure
 * nothing stays pinned, accounted or mapped.
 */
int iopass_ioas_map(struct iopass_ioas *ioas, u64 user_va, u64 length,
		    u64 *iova, u32 flags)
{
	bool fixed = flags & IOPASS_MAP_FIXED_IOVA;
	struct page **pages, *one;
	struct iopass_map *map;
	unsigned long npages;
	int prot = 0, ret;

	if (flags & IOPASS_MAP_READABLE)
		prot |= IOMMU_READ;
	if (flags & IOPASS_MAP_WRITEABLE)
		prot |= IOMMU_WRITE;
	if (!prot)
		return -EINVAL;
	if (current->mm != ioas->mm)
		return -EPERM;

	map = kmem_cache_zalloc(iopass_map_cache, GFP_KERNEL_ACCOUNT);
	if (!map)
		return -ENOMEM;
	mutex_lock(&ioas->lock);
	ret = iopass_ioas_reserve(ioas, map, user_va, length, *iova, fixed);
	mutex_unlock(&ioas->lock);
	if (ret)
		goto out_free_map;

	npages = length >> PAGE_SHIFT;
	/* The limit first: a huge length must not even allocate. */
	ret = iopass_account(ioas, npages, true);
	if (ret)
		goto out_unreserve;
	pages = &one;
	if (npages > 1) {
		pages = kvmalloc_array(npages, sizeof(*pages),
				       GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!pages) {
			ret = -ENOMEM;
			goto out_unaccount;
		}
	}
	ret = iopass_pin(user_va, npages, prot & IOMMU_WRITE, pages);
	if (ret)
		goto out_free_pages;

	mutex_lock(&ioas->lock);
	if ((flags & IOPASS_MAP_LOCAL_NODE) &&
	    iopass_ioas_remote(ioas, pages, npages))
		ret = -EREMOTE;
	else
		ret = iopass_ioas_publish(ioas, map, pages, one, prot);
	if (ret) {
		iopass_ioas_unpin(ioas, map->node.start, pages, npages, prot);
		mutex_unlock(&ioas->lock);
		goto out_free_pages;
	}
	*iova = map->node.start;
	mutex_unlock(&ioas->lock);
	return 0;

out_free_pages:
	if (pages != &one)
		kvfree(pages);
out_unaccount:
	iopass_account(ioas, npages, false);
out_unreserve:
	mutex_lock(&ioas->lock);
	iopass_ioas_unreserve(ioas, map);
	mutex_unlock(&ioas->lock);
out_free_map:
	kmem_cache_free(iopass_map_cache, map);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iopass_ioas_map, IOPASS);

/**
 * iopass_ioas_unmap() - remove every mapping in [@iova, @iova + @length)
 * @ioas: the address space
 * @iova: start
 * @length: bytes; 0 with @all
 * @all: remove every mapping
 * @unmapped: out: bytes removed
 *
 * Return: 0 or the errno documented for IOPASS_IOAS_UNMAP.
 */
int iopass_ioas_unmap(struct iopass_ioas *ioas, u64 iova, u64 length, bool all,
		      u64 *unmapped)
{
	struct interval_tree_node *node;
	unsigned long first, last;
	u64 end;
	int ret;

	*unmapped = 0;
	if (all) {
		if (iova || length)
			return -EINVAL;
		first = 0;
		last = ULONG_MAX;
	} else {
		if (!length || !IS_ALIGNED(iova | length, PAGE_SIZE))
			return -EINVAL;
		if (check_add_overflow(iova, length - 1, &end) || end > ULONG_MAX)
			return -EOVERFLOW;
		first = iova;
		last = end;
	}

	mutex_lock(&ioas->lock);
	/*
	 * Refuse before changing anything if a mapping would be cut.  A MAP
	 * still pinning has not happened yet, as far as UNMAP is concerned.
	 * An empty IOAS is not an error for "all" (iommufd agrees).
	 */
	ret = all ? 0 : -ENOENT;
	for (node = interval_tree_iter_first(&ioas->maps, first, last); node;
	     node = interval_tree_iter_next(node, first, last)) {
		if (iopass_node_busy(node))
			continue;
		if (node->start < first || node->last > last) {
			ret = -EINVAL;
			goto out_unlock;
		}
		ret = 0;
	}
	if (ret)
		goto out_unlock;
	ret = iopass_ioas_unmap_range(ioas, first, last, unmapped);
out_unlock:
	mutex_unlock(&ioas->lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iopass_ioas_unmap, IOPASS);

/**
 * iopass_ioas_iova_ranges() - the usable IOVA ranges and the alignment
 * @ioas: the address space
 * @out: room for @max ranges
 * @max: how many fit in @out
 * @align: out: the alignment MAP requires
 *
 * Return: the number of ranges there are (more than @max: not all written).
 */
unsigned int iopass_ioas_iova_ranges(struct iopass_ioas *ioas,
				     struct iopass_iova_range *out,
				     unsigned int max, unsigned long *align)
{
	unsigned int n;

	mutex_lock(&ioas->lock);
	n = iopass_ioas_usable(ioas, out, max);
	*align = iopass_ioas_alignment(ioas);
	mutex_unlock(&ioas->lock);
	return n;
}
EXPORT_SYMBOL_NS_GPL(iopass_ioas_iova_ranges, IOPASS);

/**
 * iopass_ioas_mappings_left() - how many more mappings @ioas may hold
 * @ioas: the address space
 *
 * Return: max_mappings less the mappings it holds (and MAPs under way).
 */
unsigned int iopass_ioas_mappings_left(struct iopass_ioas *ioas)
{
	unsigned long n = READ_ONCE(ioas->nr_maps), max = READ_ONCE(max_mappings);

	return n < max ? max - n : 0;
}
EXPORT_SYMBOL_NS_GPL(iopass_ioas_mappings_left, IOPASS);

/* Take @group's reserved regions into @ioas, refusing overlapping maps. */
static int iopass_ioas_add_resv(struct iopass_ioas *ioas,
				struct iommu_group *group)
{
	struct iommu_resv_region *region, *tmp;
	struct iopass_resv *resv;
	LIST_HEAD(regions);
	int ret;

	lockdep_assert_held(&ioas->lock);
	ret = iommu_get_group_resv_regions(group, &regions);
	list_for_each_entry(region, &regions, list) {
		if (ret)
			break;
		/* Relaxable direct maps (USB, graphics RMRRs) may be replaced. */
		if (region->type == IOMMU_RESV_DIRECT_RELAXABLE)
			continue;
		if (interval_tree_iter_first(&ioas->maps, region->start,
					     region->start + region->length - 1)) {
			ret = -EADDRINUSE;
			break;
		}
		resv = kzalloc(sizeof(*resv), GFP_KERNEL_ACCOUNT);
		if (!resv) {
			ret = -ENOMEM;
			break;
		}
		resv->start = region->start;
		resv->last = region->start + region->length - 1;
		resv->owner = group;
		list_add_tail(&resv->node, &ioas->resv);
	}
	list_for_each_entry_safe(region, tmp, &regions, list)
		kfree(region);
	return ret;
}

static void iopass_ioas_del_resv(struct iopass_ioas *ioas,
				 struct iommu_group *group)
{
	struct iopass_resv *resv, *tmp;

	lockdep_assert_held(&ioas->lock);
	list_for_each_entry_safe(resv, tmp, &ioas->resv, node) {
		if (resv->owner == group) {
			list_del(&resv->node);
			kfree(resv);
		}
	}
}

/* Unmap from @dom every mapping before @stop (all if NULL); one flush. */
static void iopass_ioas_unfill(struct iopass_ioas *ioas,
			       struct iopass_domain *dom,
			       struct interval_tree_node *stop)
{
	struct interval_tree_node *node;
	struct iommu_iotlb_gather gather;

	lockdep_assert_held(&ioas->lock);
	iommu_iotlb_gather_init(&gather);
	for (node = interval_tree_iter_first(&ioas->maps, 0, ULONG_MAX);
	     node && node != stop;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX))
		if (!iopass_node_busy(node))
			dom->ops->unmap(dom, node->start, iopass_node_len(node),
					&gather);
	dom->ops->iotlb_sync(dom, &gather);
}

/* Copy every mapping of @ioas into a new domain; all or nothing. */
static int iopass_ioas_fill(struct iopass_ioas *ioas, struct iopass_domain *dom)
{
	struct interval_tree_node *node;
	struct iopass_map *map;
	struct page *one;
	int ret;

	lockdep_assert_held(&ioas->lock);
	for (node = interval_tree_iter_first(&ioas->maps, 0, ULONG_MAX); node;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		map = container_of(node, struct iopass_map, node);
		/* A busy mapping's MAP maps it when done; it must fit too. */
		if (node->start < dom->aperture_start ||
		    node->last > dom->aperture_end)
			ret = -ERANGE;
		else if (iopass_map_busy(map))
			ret = 0;
		else
			ret = iopass_domain_map_pages(dom, node->start,
						      iopass_map_pages(map, &one),
						      iopass_map_npages(map),
						      iopass_map_prot(map));
		if (ret) {
			iopass_ioas_unfill(ioas, dom, node);
			return ret;
		}
	}
	return 0;
}

/*
 * Does this attach error mean "this IOMMU cannot use that domain, try a
 * new one"?  Since 6.3 drivers say so with -EINVAL.  6.1's say it with
 * whatever each check returned: VT-d -EFAULT (address width) and
 * -EOPNOTSUPP (snoop control), virtio-iommu -EXDEV, SMMUv3 -ENXIO.  A
 * false "yes" costs a new domain whose own attach decides the errno.
 */
VISIBLE_IF_KUNIT bool iopass_domain_incompatible(int err)
{
	return err == -EINVAL || err == -EFAULT || err == -EOPNOTSUPP ||
	       err == -EXDEV || err == -ENXIO;
}
EXPORT_SYMBOL_IF_KUNIT(iopass_domain_incompatible);

/**
 * iopass_ioas_attach() - put @group in a domain of @ioas
 * @ioas: the address space
 * @group: the IOMMU group, attached to no domain but the core's blocking
 *	one; NULL for a mock domain, which has no group and no reserved regions
 * @alloc: allocates a new domain for @dev if no existing one fits
 * @dev: the device being attached
 *
 * Tries the IOAS's domains first: an IOMMU refuses a domain it cannot use
 * (iopass_domain_incompatible()).  Otherwise a new domain is filled with every mapping and
 * attached.
 *
 * Return: the domain, or an ERR_PTR with the errno documented for
 * IOPASS_DEVICE_ATTACH.
 */
struct iopass_domain *
iopass_ioas_attach(struct iopass_ioas *ioas, struct iommu_group *group,
		   struct iopass_domain *(*alloc)(struct device *dev),
		   struct device *dev)
{
	struct iopass_domain *dom;
	int ret;

	mutex_lock(&ioas->lock);
	if (ioas->destroyed) {
		mutex_unlock(&ioas->lock);
		return ERR_PTR(-ENOENT);
	}
	ret = group ? iopass_ioas_add_resv(ioas, group) : 0;
	if (ret)
		goto out_resv;

	list_for_each_entry(dom, &ioas->domains, node) {
		ret = dom->ops->attach(dom, group, dev);
		if (!ret)
			goto out_attached;
		if (!iopass_domain_incompatible(ret))
			goto out_resv;
	}

	dom = alloc(dev);
	if (IS_ERR(dom)) {
		ret = PTR_ERR(dom);
		goto out_resv;
	}
	ret = iopass_ioas_fill(ioas, dom);
	if (ret)
		goto out_free;
	ret = dom->ops->attach(dom, group, dev);
	if (ret)
		goto out_unfill;
	list_add_tail(&dom->node, &ioas->domains);
out_attached:
	dom->users++;
	/* A mock has no group, and @dev is its own handle: no node. */
	if (group && dev_to_node(dev) != NUMA_NO_NODE)
		ioas->nodes[dev_to_node(dev)].devices++;
	kref_get(&ioas->kref);
	mutex_unlock(&ioas->lock);
	return dom;

out_unfill:
	iopass_ioas_unfill(ioas, dom, NULL);
out_free:
	iopass_domain_free(dom);
out_resv:
	iopass_ioas_del_resv(ioas, group);
	mutex_unlock(&ioas->lock);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_IF_KUNIT(iopass_ioas_attach);

/**
 * iopass_ioas_detach() - take @group out of @dom, a domain of @ioas
 * @ioas: the address space
 * @dom: the domain iopass_ioas_attach() returned
 * @group: the group
 * @dev: the device that attached it
 *
 * Drops the reference the attach took: this may free @ioas.
 */
void iopass_ioas_detach(struct iopass_ioas *ioas, struct iopass_domain *dom,
			struct iommu_group *group, struct device *dev)
{
	mutex_lock(&ioas->lock);
	dom->ops->detach(dom, group, dev);
	iopass_ioas_del_resv(ioas, group);
	if (group && dev_to_node(dev) != NUMA_NO_NODE)
		ioas->nodes[dev_to_node(dev)].devices--;
	if (!--dom->users) {
		/* No device uses it: its page tables go, the pins stay. */
		list_del(&dom->node);
		iopass_domain_free(dom);
	}
	mutex_unlock(&ioas->lock);
	iopass_ioas_put(ioas);
}
EXPORT_SYMBOL_IF_KUNIT(iopass_ioas_detach);

/**
 * iopass_ioas_init() - create the cache mappings come from
 *
 * Return: 0 or -ENOMEM.
 */
int __init iopass_ioas_init(void)
{
	/* The size Documentation/performance.rst promises. */
	BUILD_BUG_ON(sizeof(struct iopass_map) > 56);
	iopass_map_cache = KMEM_CACHE(iopass_map, SLAB_ACCOUNT);
	return iopass_map_cache ? 0 : -ENOMEM;
}

/**
 * iopass_ioas_exit() - destroy it, every mapping being gone
 */
void iopass_ioas_exit(void)
{
	kmem_cache_destroy(iopass_map_cache);
}
