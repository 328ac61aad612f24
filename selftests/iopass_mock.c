// SPDX-License-Identifier: GPL-2.0
/*
 * The UAPI without hardware: iopass_mock.ko puts two devices on the iopass
 * bus, behind two different kinds of mock IOMMU, whose page tables check
 * every call (an unmap that cuts a map call, a page unpinned before the
 * flush covering it: a WARN, fatal in the rig).  Their counters are in
 * /sys/devices/iopass_mock/.
 */
#include "iopass_util.h"
#include "kselftest_harness.h"

#define SZ_4K		0x1000UL

FIXTURE(mock) {
	int dev[2];
	int ctx;
	__u32 ioas;
	char *buf;
	long pins;
};

FIXTURE_SETUP(mock)
{
	self->pins = pins_outstanding();
	ASSERT_EQ(0, mock_module_load("devices=2 iommu_classes=2"));
	self->dev[0] = mock_open(0);
	self->dev[1] = mock_open(1);
	ASSERT_LE(0, self->dev[0]);
	ASSERT_LE(0, self->dev[1]);
	self->ctx = ctx_open();
	ASSERT_LE(0, self->ctx);
	ASSERT_EQ(0, ioas_alloc(self->ctx, &self->ioas));
	self->buf = mmap(NULL, 256 * SZ_4K, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
}

FIXTURE_TEARDOWN(mock)
{
	close(self->dev[0]);
	close(self->dev[1]);
	close(self->ctx);
	munmap(self->buf, 256 * SZ_4K);
	EXPECT_EQ(0, mock_counter("violations"));
	EXPECT_EQ(0, mock_counter("bad_unmaps"));
	EXPECT_EQ(0, syscall(SYS_delete_module, "iopass_mock", O_NONBLOCK));
	EXPECT_EQ(self->pins, pins_outstanding());
}

TEST_F(mock, devices_are_on_the_iopass_bus)
{
	struct iopass_device_info info = { .size = sizeof(info) };

	ASSERT_EQ(0, ioctl_errno(self->dev[0], IOPASS_DEVICE_GET_INFO, &info));
	EXPECT_EQ(IOPASS_DOMAIN_PAGING, info.domain_type);
	EXPECT_EQ((__u32)-1, info.iommu_group);
	/* Each sits in an empty domain of its own until attached. */
	EXPECT_EQ(2, mock_counter("domains"));
}

TEST_F(mock, second_iommu_kind_gets_a_filled_domain)
{
	__u64 iova = 0, unmapped;

	ASSERT_EQ(0, device_attach(self->dev[0], self->ctx, self->ioas));
	ASSERT_EQ(0, ioas_map(self->ctx, self->ioas, self->buf, 16 * SZ_4K,
			      &iova, MAP_RW));
	EXPECT_EQ(16, mock_counter("mapped_pages"));
	/* The other device's IOMMU cannot use that domain: a new one, filled. */
	ASSERT_EQ(0, device_attach(self->dev[1], self->ctx, self->ioas));
	EXPECT_EQ(32, mock_counter("mapped_pages"));
	/* New mappings go into both. */
	iova = 0;
	ASSERT_EQ(0, ioas_map(self->ctx, self->ioas, self->buf + 16 * SZ_4K,
			      SZ_4K, &iova, IOPASS_MAP_READABLE));
	EXPECT_EQ(34, mock_counter("mapped_pages"));
	ASSERT_EQ(0, ioas_unmap(self->ctx, self->ioas, 0, UINT64_MAX & ~(SZ_4K - 1),
				&unmapped));
	EXPECT_EQ(17 * SZ_4K, unmapped);
	EXPECT_EQ(0, mock_counter("mapped_pages"));

	/* Detaching the second removes its domain (its group goes home). */
	EXPECT_EQ(0, device_detach(self->dev[1]));
	EXPECT_EQ(3, mock_counter("domains"));
}

TEST_F(mock, map_unmap_churn)
{
	struct iopass_ioas_unmap all = {
		.size = sizeof(all), .flags = IOPASS_UNMAP_ALL,
		.ioas_id = self->ioas,
	};
	__u64 iovas[64], lens[64], unmapped, total = 0;
	unsigned int seed = 1, i;

	ASSERT_EQ(0, device_attach(self->dev[0], self->ctx, self->ioas));
	ASSERT_EQ(0, device_attach(self->dev[1], self->ctx, self->ioas));
	for (i = 0; i < 64; i++) {
		lens[i] = (1 + rand_r(&seed) % 4) * SZ_4K;
		iovas[i] = 0;
		ASSERT_EQ(0, ioas_map(self->ctx, self->ioas,
				      self->buf + i * 4 * SZ_4K, lens[i],
				      &iovas[i], MAP_RW));
		total += lens[i];
	}
	EXPECT_EQ(2 * total / SZ_4K, mock_counter("mapped_pages"));
	/* Unmap every other one exactly, then the rest at once. */
	for (i = 0; i < 64; i += 2) {
		ASSERT_EQ(0, ioas_unmap(self->ctx, self->ioas, iovas[i], lens[i],
					&unmapped));
		EXPECT_EQ(lens[i], unmapped);
		total -= lens[i];
	}
	EXPECT_EQ(0, ioctl_errno(self->ctx, IOPASS_IOAS_UNMAP, &all));
	EXPECT_EQ(total, all.length);
	EXPECT_EQ(0, mock_counter("mapped_pages"));
}

TEST_F(mock, ioas_outlives_its_context_while_attached)
{
	__u64 iova = 0;
	long pins;

	ASSERT_EQ(0, device_attach(self->dev[0], self->ctx, self->ioas));
	ASSERT_EQ(0, ioas_map(self->ctx, self->ioas, self->buf, 8 * SZ_4K,
			      &iova, MAP_RW));
	pins = pins_outstanding();
	close(self->ctx);
	self->ctx = -1;
	/* The device still holds the address space and its pins. */
	EXPECT_EQ(pins, pins_outstanding());
	EXPECT_EQ(8, mock_counter("mapped_pages"));
	EXPECT_EQ(0, device_detach(self->dev[0]));
	EXPECT_EQ(pins - 8, pins_outstanding());
}

#include "iopass_main.h"
