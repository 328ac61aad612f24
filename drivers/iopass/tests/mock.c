// SPDX-License-Identifier: GPL-2.0
/*
 * iopass_mock.ko: the mock backend, built only for tests.
 *
 * Mock domains stand in for an IOMMU: their page table is an xarray that
 * records each map call's first and last page, so an unmap that cuts a map
 * call is caught; unmapped pages stay "pending" until a flush, as they
 * would in a real IOTLB; and iopass tells the domain before it unpins
 * anything (the unpinning op), so a page unpinned while mapped or before
 * the flush covering it is reported: as a failure of the running KUnit
 * test, or with a WARN (fatal with panic_on_warn) anywhere else.
 *
 * Mock devices put those domains behind iopass devices on the iopass bus,
 * so the whole UAPI runs without hardware: module parameter devices= says
 * how many, iommu_classes= how many kinds of IOMMU they sit behind (an
 * IOAS needs one domain per kind, filled from its mappings).  Global
 * counters are in /sys/devices/iopass_mock/.
 */
#include <kunit/test-bug.h>
#include <linux/debugfs.h>
#include <linux/eventfd.h>
#include <linux/irqbypass.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sizes.h>

#include "mock.h"

#define MOCK_FIRST	1UL
#define MOCK_LAST	2UL

static unsigned int devices = 2;
module_param(devices, uint, 0444);
MODULE_PARM_DESC(devices, "Mock devices to create (default 2)");
static unsigned int iommu_classes = 2;
module_param(iommu_classes, uint, 0444);
MODULE_PARM_DESC(iommu_classes,
		 "Kinds of IOMMU the devices sit behind, round robin (default 2)");

/* Protects the list of live domains and every mock domain's state. */
static DEFINE_MUTEX(mock_lock);
static LIST_HEAD(mock_domains);
static struct device *mock_root;

struct mock_hw {
	struct device dev;
	int iommu_class;
	struct iopass_device *idev;
};

static const struct device_type mock_hw_type = { .name = "iopass_mock_hw" };

static int mock_class_of(struct device *dev)
{
	if (!dev || dev->type != &mock_hw_type)
		return 0;
	return container_of(dev, struct mock_hw, dev)->iommu_class;
}

static void mock_report(struct iopass_mock_domain *mock, const char *what,
			unsigned long a, unsigned long b)
{
	lockdep_assert_held(&mock_lock);
	mock->violations++;
	if (mock->expect_violations)
		return;
#if IS_ENABLED(CONFIG_KUNIT)
	if (kunit_get_current_test()) {
		kunit_fail_current_test("iopass mock: %s (%#lx, %#lx)", what, a, b);
		return;
	}
#endif
	WARN(1, "iopass mock: %s (%#lx, %#lx)\n", what, a, b);
}

static void mock_free(struct iopass_domain *dom)
{
	struct iopass_mock_domain *mock = to_mock_domain(dom);

	mutex_lock(&mock_lock);
	list_del(&mock->node);
	mutex_unlock(&mock_lock);
	xa_destroy(&mock->pt);
	xa_destroy(&mock->pending);
	kfree(mock);
}

static int mock_attach(struct iopass_domain *dom, struct iommu_group *group,
		       struct device *dev)
{
	struct iopass_mock_domain *mock = to_mock_domain(dom);

	if (mock_class_of(dev) != mock->iommu_class)
		return -EINVAL;
	mutex_lock(&mock_lock);
	mock->attached++;
	mutex_unlock(&mock_lock);
	return 0;
}

static void mock_detach(struct iopass_domain *dom, struct iommu_group *group,
			struct device *dev)
{
	mutex_lock(&mock_lock);
	to_mock_domain(dom)->attached--;
	mutex_unlock(&mock_lock);
}

/* One run into the page table; the pages it went through are added to @done. */
static int mock_map_run(struct iopass_mock_domain *mock, unsigned long iova,
			phys_addr_t paddr, size_t size, unsigned long *done)
{
	unsigned long first = iova >> PAGE_SHIFT, n = size >> PAGE_SHIFT, i;
	size_t off, pg;
	int ret;

	/* The entries a hardware page table would hold. */
	for (off = 0; off < size; off += pg) {
		pg = iopass_pgsize(mock->dom.pgsize_bitmap, iova + off,
				   paddr + off, size - off);
		if (WARN_ON(!pg))
			return -EINVAL;
		mock->pages_by_size[__ffs(pg)]++;
	}
	for (i = 0; i < n; i++) {
		unsigned long v = (PHYS_PFN(paddr) + i) << 2;

		if (xa_load(&mock->pt, first + i)) {
			/* A violation: the test fails whatever happens next. */
			mock_report(mock, "map over a mapped IOVA", iova, size);
			(*done)++;
			continue;
		}
		v |= (i == 0 ? MOCK_FIRST : 0) | (i == n - 1 ? MOCK_LAST : 0);
		ret = xa_err(xa_store(&mock->pt, first + i, xa_mk_value(v),
				      GFP_KERNEL));
		if (ret)
			return ret;
		(*done)++;
	}
	return 0;
}

/*
 * Each entry of @sg is one run, marked first and last page in the page
 * table, so an unmap that does not match the runs' ends is seen.  Like the
 * IOMMU core, a failed call takes back what it stored.
 */
static int mock_map(struct iopass_domain *dom, unsigned long iova,
		    struct scatterlist *sg, unsigned int nents, int prot)
{
	struct iopass_mock_domain *mock = to_mock_domain(dom);
	unsigned long done = 0, i;
	struct scatterlist *s;
	size_t off = 0;
	unsigned int k;
	int ret = 0;

	mutex_lock(&mock_lock);
	if (mock->fail_map_after == 0) {
		ret = -ENOMEM;
		goto out;
	}
	if (mock->fail_map_after > 0)
		mock->fail_map_after--;
	for_each_sg(sg, s, nents, k) {
		ret = mock_map_run(mock, iova + off, sg_phys(s), s->length,
				   &done);
		if (ret)
			break;
		off += s->length;
	}
	if (ret)
		for (i = 0; i < done; i++)
			xa_erase(&mock->pt, (iova >> PAGE_SHIFT) + i);
out:
	mutex_unlock(&mock_lock);
	return ret;
}

static size_t mock_unmap(struct iopass_domain *dom, unsigned long iova,
			 size_t size, struct iommu_iotlb_gather *gather)
{
	struct iopass_mock_domain *mock = to_mock_domain(dom);
	unsigned long first = iova >> PAGE_SHIFT, n = size >> PAGE_SHIFT, i;
	void *head, *tail, *e;
	size_t done = 0;

	mutex_lock(&mock_lock);
	head = xa_load(&mock->pt, first);
	tail = xa_load(&mock->pt, first + n - 1);
	if (!head || !(xa_to_value(head) & MOCK_FIRST) ||
	    !tail || !(xa_to_value(tail) & MOCK_LAST)) {
		mock->bad_unmaps++;
		mock_report(mock, "unmap does not match the map calls", iova, size);
	}
	for (i = 0; i < n; i++) {
		e = xa_erase(&mock->pt, first + i);
		if (!e)
			continue;
		/* Reachable through the IOTLB until the next flush. */
		xa_store(&mock->pending, xa_to_value(e) >> 2,
			 xa_mk_value(mock->gen), GFP_KERNEL);
		done += PAGE_SIZE;
	}
	done += mock->unmap_misreport;
	mutex_unlock(&mock_lock);
	iommu_iotlb_gather_add_range(gather, iova, size);
	return done;
}

static void mock_iotlb_sync(struct iopass_domain *dom,
			    struct iommu_iotlb_gather *gather)
{
	struct iopass_mock_domain *mock = to_mock_domain(dom);

	mutex_lock(&mock_lock);
	if (!mock->broken_flush) {
		mock->gen++;
		xa_destroy(&mock->pending);
	}
	mutex_unlock(&mock_lock);
}

static void mock_unpinning(struct iopass_domain *dom, unsigned long iova,
			   struct page **pages, unsigned long npages)
{
	struct iopass_mock_domain *mock = to_mock_domain(dom);
	unsigned long i, first = iova >> PAGE_SHIFT;

	mutex_lock(&mock_lock);
	for (i = 0; i < npages; i++) {
		if (xa_load(&mock->pt, first + i))
			mock_report(mock, "page unpinned while still mapped",
				    iova + i * PAGE_SIZE, page_to_pfn(pages[i]));
		else if (xa_load(&mock->pending, page_to_pfn(pages[i])))
			mock_report(mock, "page unpinned before the IOTLB flush covering it",
				    iova + i * PAGE_SIZE, page_to_pfn(pages[i]));
	}
	mutex_unlock(&mock_lock);
}

static const struct iopass_domain_ops mock_domain_ops = {
	.free = mock_free,
	.attach = mock_attach,
	.detach = mock_detach,
	.map = mock_map,
	.unmap = mock_unmap,
	.iotlb_sync = mock_iotlb_sync,
	.unpinning = mock_unpinning,
};

/**
 * iopass_mock_domain_alloc() - a mock domain for @dev's kind of IOMMU
 * @dev: a mock device, or NULL (kind 0)
 *
 * It maps 4 KiB, 2 MiB and 1 GiB pages over a 48-bit aperture.
 *
 * Return: the domain or an ERR_PTR.
 */
struct iopass_domain *iopass_mock_domain_alloc(struct device *dev)
{
	struct iopass_mock_domain *mock;

	mock = kzalloc(sizeof(*mock), GFP_KERNEL);
	if (!mock)
		return ERR_PTR(-ENOMEM);
	mock->dom.ops = &mock_domain_ops;
	mock->dom.pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G;
	mock->dom.aperture_end = (1UL << 48) - 1;
	mock->iommu_class = mock_class_of(dev);
	mock->fail_map_after = -1;
	xa_init(&mock->pt);
	xa_init(&mock->pending);
	mutex_lock(&mock_lock);
	list_add(&mock->node, &mock_domains);
	mutex_unlock(&mock_lock);
	return &mock->dom;
}
EXPORT_SYMBOL_NS_GPL(iopass_mock_domain_alloc, IOPASS_MOCK);

/* Pages @mock's page table maps; mock_lock is held. */
static unsigned long mock_pt_pages(struct iopass_mock_domain *mock)
{
	unsigned long idx, n = 0;
	void *e;

	lockdep_assert_held(&mock_lock);
	xa_for_each(&mock->pt, idx, e)
		n++;
	return n;
}

/**
 * iopass_mock_mapped_pages() - pages @mock's page table maps
 * @mock: the domain
 *
 * Return: the count.
 */
unsigned long iopass_mock_mapped_pages(struct iopass_mock_domain *mock)
{
	unsigned long n;

	mutex_lock(&mock_lock);
	n = mock_pt_pages(mock);
	mutex_unlock(&mock_lock);
	return n;
}
EXPORT_SYMBOL_NS_GPL(iopass_mock_mapped_pages, IOPASS_MOCK);

static void mock_hw_release(struct device *dev)
{
	kfree(container_of(dev, struct mock_hw, dev));
}

/**
 * iopass_mock_hw_create() - a device that stands for mock hardware
 * @iommu_class: the kind of IOMMU it sits behind
 *
 * Return: the device, or an ERR_PTR.
 */
struct device *iopass_mock_hw_create(int iommu_class)
{
	static atomic_t next_id = ATOMIC_INIT(0);
	struct mock_hw *hw;
	int ret;

	hw = kzalloc(sizeof(*hw), GFP_KERNEL);
	if (!hw)
		return ERR_PTR(-ENOMEM);
	hw->iommu_class = iommu_class;
	hw->dev.parent = mock_root;
	hw->dev.type = &mock_hw_type;
	hw->dev.release = mock_hw_release;
	dev_set_name(&hw->dev, "hw%d", atomic_inc_return(&next_id) - 1);
	ret = device_register(&hw->dev);
	if (ret) {
		put_device(&hw->dev);
		return ERR_PTR(ret);
	}
	return &hw->dev;
}
EXPORT_SYMBOL_NS_GPL(iopass_mock_hw_create, IOPASS_MOCK);

/**
 * iopass_mock_hw_destroy() - undo iopass_mock_hw_create()
 * @hw: the device
 */
void iopass_mock_hw_destroy(struct device *hw)
{
	device_unregister(hw);
}
EXPORT_SYMBOL_NS_GPL(iopass_mock_hw_destroy, IOPASS_MOCK);

static void mock_quiesce(struct iopass_device *idev)
{
}

static const struct iopass_device_ops mock_device_ops = {
	.owner = THIS_MODULE,
	.quiesce = mock_quiesce,
	.domain_alloc = iopass_mock_domain_alloc,
	.no_iommu_group = true,
};

/* Totals over every live mock domain, for the selftests. */
static ssize_t mock_total(char *buf, unsigned long (*get)(struct iopass_mock_domain *))
{
	struct iopass_mock_domain *mock;
	unsigned long n = 0;

	mutex_lock(&mock_lock);
	list_for_each_entry(mock, &mock_domains, node)
		n += get(mock);
	mutex_unlock(&mock_lock);
	return sysfs_emit(buf, "%lu\n", n);
}

static unsigned long get_violations(struct iopass_mock_domain *m)
{
	return m->violations;
}

static unsigned long get_bad_unmaps(struct iopass_mock_domain *m)
{
	return m->bad_unmaps;
}

static unsigned long get_domains(struct iopass_mock_domain *m)
{
	return 1;
}

#define MOCK_ATTR(_name, _get)						\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	return mock_total(buf, _get);					\
}									\
static DEVICE_ATTR_RO(_name)

MOCK_ATTR(violations, get_violations);
MOCK_ATTR(bad_unmaps, get_bad_unmaps);
MOCK_ATTR(domains, get_domains);
MOCK_ATTR(mapped_pages, mock_pt_pages);

static struct attribute *mock_root_attrs[] = {
	&dev_attr_violations.attr,
	&dev_attr_bad_unmaps.attr,
	&dev_attr_domains.attr,
	&dev_attr_mapped_pages.attr,
	NULL
};

static const struct attribute_group mock_root_group = {
	.attrs = mock_root_attrs,
};

static void mock_remove_devices(void)
{
	struct mock_hw *hw;
	struct device *dev;

	while ((dev = device_find_any_child(mock_root))) {
		put_device(dev);
		hw = container_of(dev, struct mock_hw, dev);
		if (hw->idev) {
			iopass_device_unregister(hw->idev);
			iopass_device_put(hw->idev);
		}
		iopass_mock_hw_destroy(dev);
	}
}

static int mock_add_device(unsigned int i)
{
	struct iopass_device *idev;
	struct device *dev;
	int ret;

	dev = iopass_mock_hw_create(i % max(iommu_classes, 1U));
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	idev = iopass_device_alloc(dev, &mock_device_ops, 0);
	if (IS_ERR(idev)) {
		iopass_mock_hw_destroy(dev);
		return PTR_ERR(idev);
	}
	ret = iopass_device_register(idev);
	if (ret) {
		iopass_device_put(idev);
		iopass_mock_hw_destroy(dev);
		return ret;
	}
	container_of(dev, struct mock_hw, dev)->idev = idev;
	return 0;
}

/* ---- an irqbypass consumer, for the selftests ---- */

static DEFINE_MUTEX(bypass_lock);	/* protects everything below */
static struct irq_bypass_consumer bypass_consumer;
static struct eventfd_ctx *bypass_token;
static int bypass_irq = -1;
static struct dentry *bypass_dir;

static int bypass_add(struct irq_bypass_consumer *cons,
		      struct irq_bypass_producer *prod)
{
	WRITE_ONCE(bypass_irq, prod->irq);
	return 0;
}

static void bypass_del(struct irq_bypass_consumer *cons,
		       struct irq_bypass_producer *prod)
{
	WRITE_ONCE(bypass_irq, -1);
}

static void bypass_stop(void)
{
	lockdep_assert_held(&bypass_lock);
	if (!bypass_token)
		return;
	irq_bypass_unregister_consumer(&bypass_consumer);
	eventfd_ctx_put(bypass_token);
	bypass_token = NULL;
	bypass_irq = -1;
}

static ssize_t bypass_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct eventfd_ctx *ctx;
	int fd, ret;

	ret = kstrtoint_from_user(ubuf, count, 10, &fd);
	if (ret)
		return ret;
	ctx = eventfd_ctx_fdget(fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	mutex_lock(&bypass_lock);
	bypass_stop();
	bypass_token = ctx;
	bypass_consumer.token = ctx;
	bypass_consumer.add_producer = bypass_add;
	bypass_consumer.del_producer = bypass_del;
	ret = irq_bypass_register_consumer(&bypass_consumer);
	if (ret) {
		eventfd_ctx_put(ctx);
		bypass_token = NULL;
	}
	mutex_unlock(&bypass_lock);
	return ret ? ret : count;
}

static ssize_t bypass_read(struct file *file, char __user *ubuf, size_t count,
			   loff_t *ppos)
{
	char buf[32];
	int irq = READ_ONCE(bypass_irq), n;

	n = irq < 0 ? scnprintf(buf, sizeof(buf), "none\n") :
		      scnprintf(buf, sizeof(buf), "connected %d\n", irq);
	return simple_read_from_buffer(ubuf, count, ppos, buf, n);
}

static const struct file_operations bypass_fops = {
	.owner = THIS_MODULE,
	.read = bypass_read,
	.write = bypass_write,
};

static int __init iopass_mock_init(void)
{
	unsigned int i;
	int ret;

	mock_root = root_device_register("iopass_mock");
	if (IS_ERR(mock_root))
		return PTR_ERR(mock_root);
	bypass_dir = debugfs_create_dir("iopass_mock", NULL);
	debugfs_create_file("bypass", 0600, bypass_dir, NULL, &bypass_fops);
	ret = sysfs_create_group(&mock_root->kobj, &mock_root_group);
	if (ret)
		goto out_root;
	for (i = 0; i < devices; i++) {
		ret = mock_add_device(i);
		if (ret)
			goto out_devices;
	}
	return 0;

out_devices:
	mock_remove_devices();
	sysfs_remove_group(&mock_root->kobj, &mock_root_group);
out_root:
	debugfs_remove_recursive(bypass_dir);
	root_device_unregister(mock_root);
	return ret;
}

static void __exit iopass_mock_exit(void)
{
	debugfs_remove_recursive(bypass_dir);
	mutex_lock(&bypass_lock);
	bypass_stop();
	mutex_unlock(&bypass_lock);
	mock_remove_devices();
	sysfs_remove_group(&mock_root->kobj, &mock_root_group);
	root_device_unregister(mock_root);
}

module_init(iopass_mock_init);
module_exit(iopass_mock_exit);

MODULE_DESCRIPTION("iopass mock backend: IOMMU domains and devices without hardware, for tests");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IOPASS);
