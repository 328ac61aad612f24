// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for iopass devices and domains that need no IOMMU: naming and
 * ID reuse, refusal of a device no IOMMU translates, and how the domain a
 * device sits in is named.  Binding behind a real IOMMU is tested by the
 * selftests on the rig's emulated VT-d.
 */
#include <kunit/device.h>
#include <kunit/test.h>

#include "../iopass.h"

static int quiesce_calls;

static void fake_quiesce(struct iopass_device *idev)
{
	quiesce_calls++;
}

static const struct iopass_device_ops fake_ops = {
	.quiesce = fake_quiesce,
};

static void iopass_device_ids_are_reused_test(struct kunit *test)
{
	struct iopass_device *a, *b;
	struct device *parent;
	char name[32];
	int id;

	parent = kunit_device_register(test, "iopass-kunit-parent");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, parent);

	a = iopass_device_alloc(parent, &fake_ops, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	id = a->id;
	snprintf(name, sizeof(name), "iopass%d", id);
	KUNIT_EXPECT_STREQ(test, dev_name(&a->dev), name);
	KUNIT_EXPECT_NE(test, MAJOR(a->dev.devt), 0);
	KUNIT_EXPECT_EQ(test, MINOR(a->dev.devt), id);
	KUNIT_EXPECT_PTR_EQ(test, a->dev.parent, parent);

	/* Dropping the last reference frees the ID for the next device. */
	iopass_device_put(a);
	b = iopass_device_alloc(parent, &fake_ops, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, b);
	KUNIT_EXPECT_EQ(test, b->id, id);
	iopass_device_put(b);
}

static void iopass_device_without_iommu_is_refused_test(struct kunit *test)
{
	struct iopass_device *idev;
	struct device *parent;

	parent = kunit_device_register(test, "iopass-kunit-noiommu");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, parent);

	quiesce_calls = 0;
	idev = iopass_device_alloc(parent, &fake_ops, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, idev);
	KUNIT_EXPECT_EQ(test, iopass_device_register(idev), -ENODEV);
	KUNIT_EXPECT_FALSE(test, idev->live);
	KUNIT_EXPECT_NULL(test, idev->group);
	KUNIT_EXPECT_FALSE(test, device_is_registered(&idev->dev));
	/* Nothing was bound, so there was nothing to quiesce. */
	KUNIT_EXPECT_EQ(test, quiesce_calls, 0);
	iopass_device_put(idev);
}

struct classify_case {
	const char *name;
	unsigned int type;
	bool ours;
	bool null;
	enum iopass_domain_type want;
};

static const struct classify_case classify_cases[] = {
	{ "no domain", 0, false, true, IOPASS_DOMAIN_NONE },
	{ "the iopass domain", IOMMU_DOMAIN_UNMANAGED, true, false,
	  IOPASS_DOMAIN_PAGING },
	{ "another paging domain", IOMMU_DOMAIN_UNMANAGED, false, false,
	  IOPASS_DOMAIN_OTHER },
	{ "identity", IOMMU_DOMAIN_IDENTITY, false, false,
	  IOPASS_DOMAIN_IDENTITY },
	{ "blocked", IOMMU_DOMAIN_BLOCKED, false, false, IOPASS_DOMAIN_BLOCKED },
	{ "kernel DMA", IOMMU_DOMAIN_DMA, false, false, IOPASS_DOMAIN_KERNEL },
	{ "kernel DMA, lazy flush", IOMMU_DOMAIN_DMA_FQ, false, false,
	  IOPASS_DOMAIN_KERNEL },
};

static void classify_case_desc(const struct classify_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(classify, classify_cases, classify_case_desc);

static void iopass_domain_classify_test(struct kunit *test)
{
	const struct classify_case *c = test->param_value;
	struct iommu_domain domain = { .type = c->type };
	struct iommu_domain ours = { .type = IOMMU_DOMAIN_UNMANAGED };

	KUNIT_EXPECT_EQ(test, c->want,
			iopass_domain_classify(c->null ? NULL : &domain,
					       c->ours ? &domain : &ours));
}

static struct kunit_case iopass_device_cases[] = {
	KUNIT_CASE(iopass_device_ids_are_reused_test),
	KUNIT_CASE(iopass_device_without_iommu_is_refused_test),
	KUNIT_CASE_PARAM(iopass_domain_classify_test, classify_gen_params),
	{}
};

static struct kunit_suite iopass_device_suite = {
	.name = "iopass_device",
	.test_cases = iopass_device_cases,
};

kunit_test_suite(iopass_device_suite);
