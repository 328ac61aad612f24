// SPDX-License-Identifier: GPL-2.0
/*
 * Config space as an owner sees it through the device fd, checked against
 * what the hardware holds, read by the host through
 * /sys/bus/pci/devices/<bdf>/config.  iopass lets an allowlist of bits
 * through to the hardware and virtualizes a few registers (the BARs, the
 * ROM, INTERRUPT_LINE, INTX_DISABLE, MSI and MSI-X enables, the PCIe
 * payload and read request sizes); every other bit keeps the host's value
 * whatever the owner writes, while the write itself still succeeds, as on
 * hardware with read-only bits.
 *
 * The allowlist is restated below (policy_*()) from the written policy,
 * not from the driver, so that a slip in one shows up against the other.
 * The tests run on each function of the rig: an edu alone in its IOMMU
 * group, the nvme, and the e1000, whose group also holds an edu behind a
 * PCIe-to-PCI bridge (iopass owns whole groups, so both are bound).
 */
#include <assert.h>
#include <linux/pci_regs.h>
#include <sys/stat.h>

#include "iopass_util.h"
#include "kselftest_harness.h"

#define CFG_MAX			4096	/* PCIe config space */
#define E1000_VENDOR		0x8086
#define E1000_DEVICE		0x100e
#define CLASS_BRIDGE_PCI	0x0604
#define ROM_RESOURCE		6	/* line of the ROM in sysfs "resource" */
#define MAX_MATES		4
#define MAX_CAPS		64
#define MAX_REPORTS		10	/* offences logged in full per test */

/* The policy: bits an owner's write may take to the hardware. */
#define CMD_WRITABLE	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | \
			 PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | \
			 PCI_COMMAND_SERR)
#define STATUS_RW1C	(PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT | \
			 PCI_STATUS_REC_TARGET_ABORT | \
			 PCI_STATUS_REC_MASTER_ABORT | \
			 PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY)
#define DEVCTL_WRITABLE	(PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE | \
			 PCI_EXP_DEVCTL_FERE | PCI_EXP_DEVCTL_URRE | \
			 PCI_EXP_DEVCTL_RELAX_EN | PCI_EXP_DEVCTL_EXT_TAG | \
			 PCI_EXP_DEVCTL_AUX_PME | PCI_EXP_DEVCTL_NOSNOOP_EN)
#define DEVCTL_VIRT	(PCI_EXP_DEVCTL_PAYLOAD | PCI_EXP_DEVCTL_READRQ)
/* One step of each size field: the owner's new value is still valid. */
#define DEVCTL_VIRT_STEP 0x1020
#define DEVSTA_RW1C	(PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_NFED | \
			 PCI_EXP_DEVSTA_FED | PCI_EXP_DEVSTA_URD)
#define DEVCTL2_WRITABLE (PCI_EXP_DEVCTL2_COMP_TIMEOUT | \
			  PCI_EXP_DEVCTL2_COMP_TMOUT_DIS | \
			  PCI_EXP_DEVCTL2_ATOMIC_REQ | \
			  PCI_EXP_DEVCTL2_IDO_REQ_EN | \
			  PCI_EXP_DEVCTL2_IDO_CMP_EN)

/* The names must say what the policy's numbers say. */
static_assert(CMD_WRITABLE == 0x147, "COMMAND allowlist");
static_assert(STATUS_RW1C == 0xf900, "STATUS RW1C bits");
static_assert(DEVCTL_WRITABLE == 0x0d1f, "DEVCTL allowlist");
static_assert(DEVCTL_VIRT == 0x70e0, "DEVCTL virtualized bits");
static_assert(DEVSTA_RW1C == 0x000f, "DEVSTA RW1C bits");
static_assert(DEVCTL2_WRITABLE == 0x035f, "DEVCTL2 allowlist");

/* A capability, as found in a host snapshot. */
struct cap {
	bool ext;		/* extended (PCIe), from 0x100 */
	__u16 id;
	__u16 pos;
};

/* What the policy lets an owner's write do, per byte of config space. */
struct cfg_policy {
	__u8 wr[CFG_MAX];	/* may take the written value in hardware */
	__u8 w1c[CFG_MAX];	/* RW1C: may go 1 -> 0 where 1 is written */
	__u8 virt[CFG_MAX];	/* the owner reads back what it wrote */
};

struct cfg_dev {
	char bdf[32];
	char mates[MAX_MATES][32];	/* the other endpoints of its group */
	int nmates;
	int dev, ctx, host;		/* device fd, context, sysfs config */
	__u32 ioas, size, device_flags;
	struct cap caps[MAX_CAPS];
	int ncaps;
	__u8 bound[CFG_MAX];	/* host view once bound, before the first open */
	__u8 owned[CFG_MAX];	/* host view once opened and attached */
	struct cfg_policy pol;
};

FIXTURE(config) {
	struct cfg_dev d;
};

FIXTURE_VARIANT(config) {
	unsigned int vendor, device;
	enum group_kind kind;
};

FIXTURE_VARIANT_ADD(config, edu) {
	.vendor = EDU_VENDOR, .device = EDU_DEVICE, .kind = ALONE_IN_GROUP,
};

FIXTURE_VARIANT_ADD(config, nvme) {
	.vendor = NVME_VENDOR, .device = NVME_DEVICE, .kind = ANY_GROUP,
};

FIXTURE_VARIANT_ADD(config, e1000) {
	.vendor = E1000_VENDOR, .device = E1000_DEVICE, .kind = SHARED_GROUP,
};

/* Config space is little-endian whatever the CPU is. */
static __u32 get_le(const __u8 *p, int len)
{
	__u32 v = 0;

	while (len--)
		v = v << 8 | p[len];
	return v;
}

static void put_le(__u8 *p, __u32 v, int len)
{
	int i;

	for (i = 0; i < len; i++)
		p[i] = v >> (8 * i);
}

static int host_read(int host, unsigned int off, void *buf, size_t len)
{
	return pread(host, buf, len, off) == (ssize_t)len ? 0 : -EIO;
}

/* The hardware's register at @off, as the host reads it. */
static __u32 host_get(struct __test_metadata *_metadata, int host,
		      unsigned int off, int len)
{
	__u8 b[4] = { 0 };

	ASSERT_EQ(0, host_read(host, off, b, len))
		TH_LOG("sysfs config: reading %d bytes at 0x%x", len, off);
	return get_le(b, len);
}

/* The register at @off, as the owner reads it through the device fd. */
static __u32 fd_get(struct __test_metadata *_metadata, int dev,
		    unsigned int off, int len)
{
	__u8 b[4] = { 0 };

	ASSERT_EQ(0, dev_cfg_rw(dev, off, b, len, false))
		TH_LOG("device fd: reading %d bytes at config 0x%x", len, off);
	return get_le(b, len);
}

static void fd_put(struct __test_metadata *_metadata, int dev,
		   unsigned int off, int len, __u32 val)
{
	__u8 b[4];

	put_le(b, val, len);
	ASSERT_EQ(0, dev_cfg_rw(dev, off, b, len, true))
		TH_LOG("device fd: writing %d bytes at config 0x%x", len, off);
}

/* ---- capabilities and the policy, from a host snapshot ---- */

/* Append the standard capabilities, listed from 0x34, to @caps. */
static int caps_std(const __u8 *cfg, struct cap *caps, int n)
{
	unsigned int pos = cfg[PCI_CAPABILITY_LIST] & ~3, hops = 0;

	if (!(get_le(cfg + PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return n;
	/* As many hops as fit in 256 bytes: a looping list is not followed. */
	while (pos >= PCI_STD_HEADER_SIZEOF && hops++ < 48 && n < MAX_CAPS) {
		caps[n++] = (struct cap){ .id = cfg[pos], .pos = pos };
		pos = cfg[pos + PCI_CAP_LIST_NEXT] & ~3;
	}
	return n;
}

/* Append the extended capabilities, listed from 0x100, to @caps. */
static int caps_ext(const __u8 *cfg, unsigned int size, struct cap *caps,
		    int n)
{
	unsigned int pos = PCI_CFG_SPACE_SIZE, hops = 0;
	__u32 hdr;

	while (pos >= PCI_CFG_SPACE_SIZE && pos + 4 <= size &&
	       hops++ < 960 && n < MAX_CAPS) {
		hdr = get_le(cfg + pos, 4);
		if (!hdr || hdr == ~0U)
			break;
		caps[n++] = (struct cap){ .ext = true,
					  .id = PCI_EXT_CAP_ID(hdr), .pos = pos };
		pos = PCI_EXT_CAP_NEXT(hdr);
	}
	return n;
}

/* Offset of the first capability @id, 0 if the function has none. */
static unsigned int cap_pos(struct cfg_dev *d, bool ext, __u16 id)
{
	int i;

	for (i = 0; i < d->ncaps; i++)
		if (d->caps[i].ext == ext && d->caps[i].id == id)
			return d->caps[i].pos;
	return 0;
}

static void pol_set(__u8 *m, unsigned int size, unsigned int off, int len,
		    __u32 bits)
{
	int i;

	for (i = 0; i < len && off + i < size; i++)
		m[off + i] |= bits >> (8 * i);
}

static void policy_header(struct cfg_policy *p, unsigned int size)
{
	pol_set(p->wr, size, PCI_COMMAND, 2, CMD_WRITABLE);
	pol_set(p->virt, size, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
	pol_set(p->w1c, size, PCI_STATUS, 2, STATUS_RW1C);
	pol_set(p->wr, size, PCI_CACHE_LINE_SIZE, 1, 0xff);
	pol_set(p->wr, size, PCI_LATENCY_TIMER, 1, 0xff);
	pol_set(p->virt, size, PCI_INTERRUPT_LINE, 1, 0xff);
}

static void policy_pcie(struct cfg_policy *p, const __u8 *cfg,
			unsigned int size, unsigned int pos)
{
	pol_set(p->wr, size, pos + PCI_EXP_DEVCTL, 2, DEVCTL_WRITABLE);
	pol_set(p->virt, size, pos + PCI_EXP_DEVCTL, 2, DEVCTL_VIRT);
	pol_set(p->w1c, size, pos + PCI_EXP_DEVSTA, 2, DEVSTA_RW1C);
	/* A version 1 capability ends before DEVCTL2: those bytes are not it. */
	if ((get_le(cfg + pos + PCI_EXP_FLAGS, 2) & PCI_EXP_FLAGS_VERS) >= 2)
		pol_set(p->wr, size, pos + PCI_EXP_DEVCTL2, 2, DEVCTL2_WRITABLE);
}

static void policy_aer(struct cfg_policy *p, unsigned int size,
		       unsigned int pos)
{
	pol_set(p->w1c, size, pos + PCI_ERR_UNCOR_STATUS, 4, ~0U);
	pol_set(p->wr, size, pos + PCI_ERR_UNCOR_MASK, 4, ~0U);
	pol_set(p->w1c, size, pos + PCI_ERR_COR_STATUS, 4, ~0U);
	pol_set(p->wr, size, pos + PCI_ERR_COR_MASK, 4, ~0U);
}

/* Every capability the policy does not name stays read-only. */
static void policy_cap(struct cfg_policy *p, const __u8 *cfg,
		       unsigned int size, const struct cap *c)
{
	unsigned int i;

	if (c->ext) {
		if (c->id == PCI_EXT_CAP_ID_ERR)
			policy_aer(p, size, c->pos);
		return;
	}
	switch (c->id) {
	case PCI_CAP_ID_PM:
		pol_set(p->wr, size, c->pos + PCI_PM_CTRL, 2,
			PCI_PM_CTRL_PME_ENABLE);
		pol_set(p->w1c, size, c->pos + PCI_PM_CTRL, 2,
			PCI_PM_CTRL_PME_STATUS);
		break;
	case PCI_CAP_ID_MSI:
		pol_set(p->virt, size, c->pos + PCI_MSI_FLAGS, 2,
			PCI_MSI_FLAGS_ENABLE);
		break;
	case PCI_CAP_ID_MSIX:
		pol_set(p->virt, size, c->pos + PCI_MSIX_FLAGS, 2,
			PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
		break;
	case PCI_CAP_ID_VNDR:
		/* All after ID, next and length; the length counts those 3. */
		for (i = 3; i < cfg[c->pos + 2]; i++)
			pol_set(p->wr, PCI_CFG_SPACE_SIZE, c->pos + i, 1, 0xff);
		break;
	case PCI_CAP_ID_EXP:
		policy_pcie(p, cfg, size, c->pos);
		break;
	}
}

static void policy_build(struct cfg_dev *d)
{
	int i;

	memset(&d->pol, 0, sizeof(d->pol));
	policy_header(&d->pol, d->size);
	for (i = 0; i < d->ncaps; i++)
		policy_cap(&d->pol, d->owned, d->size, &d->caps[i]);
}

/* ---- naming an offset in a report ---- */

static const struct {
	__u8 first, last;
	const char *name;
} header_regs[] = {
	{ 0x00, 0x01, "VENDOR_ID" },	{ 0x02, 0x03, "DEVICE_ID" },
	{ 0x04, 0x05, "COMMAND" },	{ 0x06, 0x07, "STATUS" },
	{ 0x08, 0x0b, "REVISION/CLASS" }, { 0x0c, 0x0c, "CACHE_LINE_SIZE" },
	{ 0x0d, 0x0d, "LATENCY_TIMER" }, { 0x0e, 0x0e, "HEADER_TYPE" },
	{ 0x0f, 0x0f, "BIST" },		{ 0x10, 0x27, "BAR" },
	{ 0x28, 0x2b, "CARDBUS_CIS" },	{ 0x2c, 0x2f, "SUBSYSTEM" },
	{ 0x30, 0x33, "ROM" },		{ 0x34, 0x3b, "CAPABILITY_LIST" },
	{ 0x3c, 0x3c, "INTERRUPT_LINE" }, { 0x3d, 0x3d, "INTERRUPT_PIN" },
	{ 0x3e, 0x3f, "MIN_GNT/MAX_LAT" },
};

/* "COMMAND", "BAR2", "cap 0x10 at 0x80 +0x08": where @off lies. */
static void cfg_where(struct cfg_dev *d, unsigned int off,
		      char *buf, size_t len)
{
	bool ext = off >= PCI_CFG_SPACE_SIZE;
	const struct cap *c, *best = NULL;
	unsigned int i;

	for (i = 0; off < PCI_STD_HEADER_SIZEOF && i < ARRAY_SIZE(header_regs); i++)
		if (off >= header_regs[i].first && off <= header_regs[i].last) {
			snprintf(buf, len, "%s", header_regs[i].name);
			if (off >= PCI_BASE_ADDRESS_0 && off <= PCI_BASE_ADDRESS_5 + 3)
				snprintf(buf, len, "BAR%u", (off - 0x10) / 4);
			return;
		}
	for (c = d->caps; c < d->caps + d->ncaps; c++)
		if (c->ext == ext && c->pos <= off &&
		    (!best || c->pos > best->pos))
			best = c;
	if (best)
		snprintf(buf, len, "%scap 0x%02x at 0x%03x +0x%02x",
			 ext ? "extended " : "", best->id, best->pos,
			 off - best->pos);
	else
		snprintf(buf, len, "outside any capability");
}

/* ---- taking the function, and giving it back ---- */

static bool is_bridge(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/class", bdf);
	return sysfs_read_ul(path) >> 8 == CLASS_BRIDGE_PCI;
}

/* The other endpoints of the function's IOMMU group (bridges aside). */
static int find_mates(struct cfg_dev *d)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices",
		 pci_iommu_group(d->bdf));
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, d->bdf) ||
		    is_bridge(de->d_name))
			continue;
		if (d->nmates == MAX_MATES)
			break;
		snprintf(d->mates[d->nmates++], sizeof(d->mates[0]),
			 "%s", de->d_name);
	}
	closedir(dir);
	return 0;
}

/*
 * Bind the function and the rest of its group to iopass-pci.  All are
 * unbound first: while one mate keeps a DMA-capable driver (the e1000's
 * own) the group is not viable and iopass refuses every bind in it.
 */
static int bind_group(struct cfg_dev *d)
{
	int i, ret;

	ret = find_mates(d);
	for (i = 0; !ret && i < d->nmates; i++)
		ret = pci_unbind(d->mates[i]);
	ret = ret ?: pci_unbind(d->bdf);
	for (i = 0; !ret && i < d->nmates; i++)
		ret = pci_bind(d->mates[i], "iopass-pci");
	return ret ?: pci_bind(d->bdf, "iopass-pci");
}

/* Bind, snapshot the host's view, then open and attach as an owner. */
static int take_device(struct cfg_dev *d)
{
	char path[PATH_MAX];
	struct stat st;
	int ret;

	ret = bind_group(d);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/config", d->bdf);
	d->host = open(path, O_RDONLY | O_CLOEXEC);
	if (d->host < 0 || fstat(d->host, &st))
		return -errno;
	d->size = st.st_size < CFG_MAX ? st.st_size : CFG_MAX;
	if (host_read(d->host, 0, d->bound, d->size))
		return -EIO;
	d->dev = iopass_open(d->bdf);
	if (d->dev < 0)
		return d->dev;
	d->ctx = ctx_open();
	if (d->ctx < 0)
		return d->ctx;
	ret = ioas_alloc(d->ctx, &d->ioas);
	return ret ?: device_attach(d->dev, d->ctx, d->ioas);
}

static int region_size(int dev, __u32 index, __u64 *size)
{
	struct iopass_region_info r = { .size = sizeof(r), .index = index };
	int ret = ioctl_errno(dev, IOPASS_DEVICE_REGION_INFO, &r);

	*size = r.region_size;
	return ret;
}

/* What the owner's function is: its config region, flags and policy. */
static int describe_device(struct __test_metadata *_metadata,
			   struct cfg_dev *d)
{
	struct iopass_device_info info = { .size = sizeof(info) };
	__u64 size;
	int ret;

	ret = region_size(d->dev, IOPASS_REGION_CONFIG, &size) ?:
	      ioctl_errno(d->dev, IOPASS_DEVICE_GET_INFO, &info) ?:
	      host_read(d->host, 0, d->owned, d->size);
	if (ret)
		return ret;
	if (size != d->size) {
		TH_LOG("config region is %llu bytes, sysfs config %u",
		       (unsigned long long)size, d->size);
		return -EINVAL;
	}
	/* The policy's table is for endpoints (type 0 headers). */
	if (d->owned[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MASK) {
		TH_LOG("%s has a type %d header", d->bdf,
		       d->owned[PCI_HEADER_TYPE] & PCI_HEADER_TYPE_MASK);
		return -EINVAL;
	}
	d->device_flags = info.device_flags;
	d->ncaps = caps_std(d->owned, d->caps, 0);
	d->ncaps = caps_ext(d->owned, d->size, d->caps, d->ncaps);
	policy_build(d);
	return 0;
}

static bool is_bar_or_rom(unsigned int off)
{
	return (off >= PCI_BASE_ADDRESS_0 && off < PCI_BASE_ADDRESS_5 + 4) ||
	       (off >= PCI_ROM_ADDRESS && off < PCI_ROM_ADDRESS + 4);
}

/*
 * Put back through the fd what a test that stopped half-way may have left
 * changed: the writable and virtualized bits, the BARs and the ROM.
 */
static void restore_owned(struct cfg_dev *d)
{
	unsigned int off;

	for (off = 0; off < d->size; off++)
		if (d->pol.wr[off] || d->pol.virt[off] ||
		    is_bar_or_rom(off))
			dev_cfg_rw(d->dev, off, &d->owned[off], 1, true);
}

static void drop_device(struct cfg_dev *d)
{
	int i;

	if (d->dev >= 0)
		close(d->dev);
	if (d->ctx >= 0)
		close(d->ctx);
	if (d->host >= 0)
		close(d->host);
	d->dev = -1;
	d->ctx = -1;
	d->host = -1;
	pci_release(d->bdf);
	for (i = 0; i < d->nmates; i++)
		pci_release(d->mates[i]);
}

/*
 * The harness skips the teardown when the setup fails, so each step that
 * can fail once the function is bound gives it back itself.
 */
FIXTURE_SETUP(config)
{
	struct cfg_dev *d = &self->d;
	int ret;

	d->dev = -1;
	d->ctx = -1;
	d->host = -1;
	ASSERT_EQ(0, pci_find(variant->vendor, variant->device, variant->kind,
			      0, d->bdf, sizeof(d->bdf)))
		TH_LOG("no %04x:%04x in a suitable IOMMU group",
		       variant->vendor, variant->device);
	ret = take_device(d);
	if (ret)
		drop_device(d);
	ASSERT_EQ(0, ret)
		TH_LOG("binding, opening, attaching %s: %s", d->bdf,
		       strerror(-ret));
	ret = describe_device(_metadata, d);
	if (ret)
		drop_device(d);
	ASSERT_EQ(0, ret)
		TH_LOG("describing %s: %s", d->bdf, strerror(-ret));
}

FIXTURE_TEARDOWN(config)
{
	struct cfg_dev *d = &self->d;

	if (d->dev >= 0)
		restore_owned(d);
	drop_device(d);
}

/* ---- 1: whatever the owner writes, host-owned bits stay ---- */

/* The hardware's config space while the sweep writes it. */
struct sweep {
	struct cfg_dev *d;
	__u8 cur[CFG_MAX];	/* as the host last read it */
	int bad;		/* offences found */
};

/* One write through the fd, and the dword around it before and after. */
struct cfg_write {
	unsigned int off;
	int len, ret;
	__u32 val, before, after, bad;
};

/*
 * The bits of a dword that a write must not have changed: any outside the
 * written bytes (@be); in them, those neither owner-writable (@wr: they
 * may only take the written value) nor RW1C (@w1c: only 1 -> 0, where 1
 * was written).
 */
static __u32 bad_bits(__u32 wr, __u32 w1c, __u32 be, __u32 val,
		      __u32 before, __u32 after)
{
	__u32 ok = (wr & ~(after ^ val)) | (w1c & before & ~after & val);

	return (before ^ after) & ~(ok & be);
}

static void sweep_report(struct __test_metadata *_metadata, struct sweep *s,
			 const struct cfg_write *w)
{
	char where[64];

	if (s->bad++ >= MAX_REPORTS)
		return;
	cfg_where(s->d, w->off, where, sizeof(where));
	if (w->ret)
		TH_LOG("0x%03x (%s): a %d-byte pwrite failed: %s", w->off,
		       where, w->len, strerror(-w->ret));
	if (w->bad)
		TH_LOG("0x%03x (%s): wrote 0x%0*x; host 0x%03x: 0x%08x -> 0x%08x, bits 0x%08x",
		       w->off, where, 2 * w->len, w->val, w->off & ~3,
		       w->before, w->after, w->bad);
}

static void sweep_write(struct __test_metadata *_metadata, struct sweep *s,
			unsigned int off, int len, __u32 val)
{
	const struct cfg_policy *p = &s->d->pol;
	unsigned int dw = off & ~3, shift = 8 * (off & 3);
	__u32 be = (__u32)((1ULL << (8 * len)) - 1) << shift;
	struct cfg_write w = { .off = off, .len = len, .val = val };
	__u8 b[4];

	put_le(b, val, len);
	w.ret = dev_cfg_rw(s->d->dev, off, b, len, true);
	w.before = get_le(s->cur + dw, 4);
	w.after = host_get(_metadata, s->d->host, dw, 4);
	w.bad = bad_bits(get_le(p->wr + dw, 4), get_le(p->w1c + dw, 4), be,
			 val << shift, w.before, w.after);
	if (w.ret || w.bad)
		sweep_report(_metadata, s, &w);
	put_le(s->cur + dw, w.after, 4);
}

/*
 * All ones, all zeros and the old value, written as bytes, as words (the
 * width drivers use for COMMAND or DEVCTL, where a read-modify-write of
 * the dword would clear STATUS or DEVSTA bits) and as the dword.
 */
static void sweep_dword(struct __test_metadata *_metadata, struct sweep *s,
			unsigned int dw)
{
	const __u8 *snap = s->d->owned;
	unsigned int i;
	int len;

	for (len = 1; len <= 4; len *= 2)
		for (i = dw; i < dw + 4; i += len) {
			sweep_write(_metadata, s, i, len, ~0U >> (32 - 8 * len));
			sweep_write(_metadata, s, i, len, 0);
			sweep_write(_metadata, s, i, len, get_le(snap + i, len));
		}
}

/* No write may reach past its dword: compare all of config space. */
static void sweep_elsewhere(struct __test_metadata *_metadata,
			    struct sweep *s, unsigned int from, unsigned int to)
{
	unsigned int off, size = s->d->size;
	__u8 now[CFG_MAX];
	char where[64];

	ASSERT_EQ(0, host_read(s->d->host, 0, now, size));
	for (off = 0; off < size; off++) {
		if (now[off] == s->cur[off] || s->bad++ >= MAX_REPORTS)
			continue;
		cfg_where(s->d, off, where, sizeof(where));
		TH_LOG("0x%03x (%s) went 0x%02x -> 0x%02x while 0x%03x-0x%03x were written",
		       off, where, s->cur[off], now[off], from, to - 1);
	}
	memcpy(s->cur, now, size);
}

/* Once every byte was written back, only RW1C bits may have moved (cleared). */
static void sweep_restored(struct __test_metadata *_metadata, struct sweep *s)
{
	const __u8 *snap = s->d->owned, *w1c = s->d->pol.w1c;
	unsigned int off;
	char where[64];
	__u8 diff;

	for (off = 0; off < s->d->size; off++) {
		diff = (s->cur[off] ^ snap[off]) & ~(w1c[off] & snap[off]);
		if (!diff || s->bad++ >= MAX_REPORTS)
			continue;
		cfg_where(s->d, off, where, sizeof(where));
		TH_LOG("0x%03x (%s): 0x%02x before the sweep, 0x%02x after it",
		       off, where, snap[off], s->cur[off]);
	}
}

/*
 * Every offset of config space, written by the owner with all ones, all
 * zeros and its old value, byte by byte, word by word and dword by dword:
 * after each write the host reads the dword, after each 256 bytes all of
 * config space, and only the bits the policy gives the owner may have
 * changed.  COMMAND goes through 0 (memory decode off) and 0xffff (bus
 * master on): harmless, the device is attached to an empty address space.
 */
TEST_F_TIMEOUT(config, host_owned_bits_unchanged, 900)
{
	struct cfg_dev *d = &self->d;
	static struct sweep s;
	unsigned int dw;

	s.d = d;
	s.bad = 0;
	memcpy(s.cur, d->owned, d->size);
	for (dw = 0; dw < d->size; dw += 4) {
		sweep_dword(_metadata, &s, dw);
		if ((dw + 4) % PCI_CFG_SPACE_SIZE == 0)
			sweep_elsewhere(_metadata, &s, dw + 4 - PCI_CFG_SPACE_SIZE,
					dw + 4);
		progress("config sweep", dw + 4, d->size);
	}
	sweep_restored(_metadata, &s);
	EXPECT_EQ(0, s.bad)
		TH_LOG("%d offences against the allowlist (the first %d above)",
		       s.bad, MAX_REPORTS);
}

/* ---- 2: BAR and ROM sizing, virtualized ---- */

/* Sizes of BAR0-5 and the ROM as the host assigned them ("resource"). */
static int host_resources(const char *bdf, __u64 *sizes)
{
	unsigned long long start, end, flags;
	char path[PATH_MAX], line[128];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource", bdf);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	for (i = 0; i <= ROM_RESOURCE && fgets(line, sizeof(line), f); i++) {
		if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3)
			break;
		sizes[i] = start || end ? end - start + 1 : 0;
	}
	fclose(f);
	return i > ROM_RESOURCE ? 0 : -EIO;
}

/* What the low dword of a BAR of @size reads once ~0 was written to it. */
static __u32 bar_sized(__u32 orig, __u64 size)
{
	__u32 mask = ~(__u32)(size - 1);

	if (!size)
		return 0;
	if (orig & PCI_BASE_ADDRESS_SPACE_IO)
		return (mask & 0xfffffffc) | PCI_BASE_ADDRESS_SPACE_IO;
	return (mask & 0xfffffff0) | (orig & 0xf);
}

static bool bar_is_64(__u32 orig)
{
	return !(orig & PCI_BASE_ADDRESS_SPACE_IO) &&
	       (orig & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
	       PCI_BASE_ADDRESS_MEM_TYPE_64;
}

/* The hardware's @len-byte register at @off is what it was when owned. */
static void expect_host_kept(struct __test_metadata *_metadata,
			     struct cfg_dev *d, const char *name,
			     unsigned int off, int len)
{
	__u32 want = get_le(d->owned + off, len);
	__u32 now = host_get(_metadata, d->host, off, len);

	EXPECT_EQ(want, now)
		TH_LOG("%s: the hardware went 0x%08x -> 0x%08x", name, want, now);
}

/* A BAR as the owner read it before sizing it. */
struct bar_view {
	char name[8];
	unsigned int off;
	__u32 lo, hi;		/* hi: the upper half of a 64-bit BAR */
	__u64 size;		/* as the host assigned it */
	bool is64;
};

/* Write ~0 to the BAR (both halves of a 64-bit one): it reads its size. */
static void check_bar_sized(struct __test_metadata *_metadata,
			    struct cfg_dev *d, const struct bar_view *b)
{
	__u32 got, want = bar_sized(b->lo, b->size);

	fd_put(_metadata, d->dev, b->off, 4, ~0U);
	if (b->is64)
		fd_put(_metadata, d->dev, b->off + 4, 4, ~0U);
	got = fd_get(_metadata, d->dev, b->off, 4);
	EXPECT_EQ(want, got)
		TH_LOG("%s (0x%08x, 0x%llx bytes): reads 0x%08x once sized, not 0x%08x",
		       b->name, b->lo, (unsigned long long)b->size, got, want);
	expect_host_kept(_metadata, d, b->name, b->off, 4);
	if (!b->is64)
		return;
	got = fd_get(_metadata, d->dev, b->off + 4, 4);
	want = b->size ? ~(__u32)((b->size - 1) >> 32) : 0;
	EXPECT_EQ(want, got)
		TH_LOG("%s upper half: reads 0x%08x once sized, not 0x%08x",
		       b->name, got, want);
	expect_host_kept(_metadata, d, b->name, b->off + 4, 4);
}

/* Writing back what the owner read before sizing reads the same again. */
static void check_bar_restored(struct __test_metadata *_metadata,
			       struct cfg_dev *d, const struct bar_view *b)
{
	__u32 got;

	fd_put(_metadata, d->dev, b->off, 4, b->lo);
	if (b->is64)
		fd_put(_metadata, d->dev, b->off + 4, 4, b->hi);
	got = fd_get(_metadata, d->dev, b->off, 4);
	EXPECT_EQ(b->lo, got)
		TH_LOG("%s: 0x%08x written back reads 0x%08x", b->name, b->lo,
		       got);
	if (!b->is64)
		return;
	got = fd_get(_metadata, d->dev, b->off + 4, 4);
	EXPECT_EQ(b->hi, got)
		TH_LOG("%s upper half: 0x%08x written back reads 0x%08x",
		       b->name, b->hi, got);
}

/* Size BAR @bar, restore it; *@is64 says it took the next slot too. */
static void check_bar(struct __test_metadata *_metadata, struct cfg_dev *d,
		      int bar, __u64 size, bool *is64)
{
	struct bar_view b = { .off = PCI_BASE_ADDRESS_0 + 4 * bar,
			      .size = size };
	__u64 rsize;

	snprintf(b.name, sizeof(b.name), "BAR%d", bar);
	b.lo = fd_get(_metadata, d->dev, b.off, 4);
	b.is64 = bar < PCI_STD_NUM_BARS - 1 && bar_is_64(b.lo);
	if (b.is64)
		b.hi = fd_get(_metadata, d->dev, b.off + 4, 4);
	*is64 = b.is64;
	ASSERT_EQ(0, region_size(d->dev, IOPASS_REGION_BAR0 + bar, &rsize));
	EXPECT_EQ(size, rsize)
		TH_LOG("%s: the host says 0x%llx bytes, region info 0x%llx",
		       b.name, (unsigned long long)size,
		       (unsigned long long)rsize);
	check_bar_sized(_metadata, d, &b);
	check_bar_restored(_metadata, d, &b);
}

/* The ROM sizes with 0xfffff800 and with ~0 (which sets the enable bit). */
static void check_rom(struct __test_metadata *_metadata,
		      struct cfg_dev *d, __u64 size)
{
	static const __u32 sizing[] = { PCI_ROM_ADDRESS_MASK, ~0U };
	__u32 orig = fd_get(_metadata, d->dev, PCI_ROM_ADDRESS, 4);
	__u32 mask = ~(__u32)(size - 1) & PCI_ROM_ADDRESS_MASK, got, want;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizing); i++) {
		fd_put(_metadata, d->dev, PCI_ROM_ADDRESS, 4, sizing[i]);
		got = fd_get(_metadata, d->dev, PCI_ROM_ADDRESS, 4);
		want = size ? mask | (sizing[i] & PCI_ROM_ADDRESS_ENABLE) : 0;
		EXPECT_EQ(want, got)
			TH_LOG("ROM (0x%llx bytes): 0x%08x written reads 0x%08x, not 0x%08x",
			       (unsigned long long)size, sizing[i], got, want);
		expect_host_kept(_metadata, d, "ROM", PCI_ROM_ADDRESS, 4);
	}
	fd_put(_metadata, d->dev, PCI_ROM_ADDRESS, 4, orig);
	got = fd_get(_metadata, d->dev, PCI_ROM_ADDRESS, 4);
	EXPECT_EQ(orig, got)
		TH_LOG("ROM: 0x%08x written back reads 0x%08x", orig, got);
}

/*
 * The owner sizes BARs as a driver or a VMM's guest does, and reads the
 * sizes the host assigned, while the hardware's BARs never move.
 */
TEST_F(config, bar_sizing)
{
	struct cfg_dev *d = &self->d;
	__u64 sizes[ROM_RESOURCE + 1] = { 0 };
	bool is64 = false;
	int bar;

	ASSERT_EQ(0, host_resources(d->bdf, sizes));
	for (bar = 0; bar < PCI_STD_NUM_BARS; bar += is64 ? 2 : 1)
		check_bar(_metadata, d, bar, sizes[bar], &is64);
	check_rom(_metadata, d, sizes[ROM_RESOURCE]);
}

/* ---- 3: virtualized registers read back what the owner wrote ---- */

/*
 * Flip @toggle in the register at @off twice through the fd (so it ends
 * as it began): each time the owner reads back, in @bits, what it wrote,
 * and the host sees the hardware's @bits unchanged.
 */
static void expect_virtualized(struct __test_metadata *_metadata,
			       struct cfg_dev *d, const char *name,
			       unsigned int off, int len, __u32 bits,
			       __u32 toggle)
{
	__u32 hw = host_get(_metadata, d->host, off, len), val, got, now;
	int i;

	for (i = 0; i < 2; i++) {
		val = fd_get(_metadata, d->dev, off, len) ^ toggle;
		fd_put(_metadata, d->dev, off, len, val);
		got = fd_get(_metadata, d->dev, off, len);
		EXPECT_EQ(val & bits, got & bits)
			TH_LOG("%s: the owner wrote 0x%x and reads 0x%x", name,
			       val, got);
		now = host_get(_metadata, d->host, off, len);
		EXPECT_EQ(hw & bits, now & bits)
			TH_LOG("%s: the hardware went 0x%x -> 0x%x", name, hw,
			       now);
	}
}

TEST_F(config, virtualized_reads)
{
	struct cfg_dev *d = &self->d;
	unsigned int msi = cap_pos(d, false, PCI_CAP_ID_MSI);
	unsigned int msix = cap_pos(d, false, PCI_CAP_ID_MSIX);
	unsigned int exp = cap_pos(d, false, PCI_CAP_ID_EXP);

	expect_virtualized(_metadata, d, "INTERRUPT_LINE",
			   PCI_INTERRUPT_LINE, 1, 0xff, 0xff);
	expect_virtualized(_metadata, d, "COMMAND INTX_DISABLE", PCI_COMMAND,
			   2, PCI_COMMAND_INTX_DISABLE, PCI_COMMAND_INTX_DISABLE);
	if (msi)
		expect_virtualized(_metadata, d, "MSI ENABLE",
				   msi + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE,
				   PCI_MSI_FLAGS_ENABLE);
	if (msix) {
		expect_virtualized(_metadata, d, "MSI-X ENABLE",
				   msix + PCI_MSIX_FLAGS, 2,
				   PCI_MSIX_FLAGS_ENABLE, PCI_MSIX_FLAGS_ENABLE);
		expect_virtualized(_metadata, d, "MSI-X MASKALL",
				   msix + PCI_MSIX_FLAGS, 2,
				   PCI_MSIX_FLAGS_MASKALL,
				   PCI_MSIX_FLAGS_MASKALL);
	}
	if (exp)
		expect_virtualized(_metadata, d, "DEVCTL MPS/MRRS",
				   exp + PCI_EXP_DEVCTL, 2, DEVCTL_VIRT,
				   DEVCTL_VIRT_STEP);
}

/* ---- 4: closing the fd gives the host back its config space ---- */

/* Flip every owner-writable bit, and the virtualized header registers. */
static void flip_owner_bits(struct __test_metadata *_metadata,
			    struct cfg_dev *d)
{
	unsigned int off;
	__u8 m;

	for (off = 0; off < d->size; off++) {
		m = d->pol.wr[off];
		if (off < PCI_STD_HEADER_SIZEOF)
			m |= d->pol.virt[off];
		if (m)
			fd_put(_metadata, d->dev, off, 1,
			       fd_get(_metadata, d->dev, off, 1) ^ m);
	}
}

/*
 * Bytes of @now that differ from the host's view before the first open,
 * beyond RW1C bits and, on a function iopass cannot reset, INTX_DISABLE
 * left set (iopass's way to keep such a function quiet).
 */
static int count_unrestored(struct __test_metadata *_metadata,
			    struct cfg_dev *d, const __u8 *now)
{
	bool reset = d->device_flags & IOPASS_DEVICE_FLAGS_RESET;
	unsigned int off;
	char where[64];
	__u8 may;
	int bad = 0;

	for (off = 0; off < d->size; off++) {
		may = d->pol.w1c[off];
		if (off == PCI_COMMAND + 1 && !reset)
			may |= now[off] & (PCI_COMMAND_INTX_DISABLE >> 8);
		if (!((now[off] ^ d->bound[off]) & ~may) ||
		    bad++ >= MAX_REPORTS)
			continue;
		cfg_where(d, off, where, sizeof(where));
		TH_LOG("0x%03x (%s): 0x%02x before the first open, 0x%02x after close",
		       off, where, d->bound[off], now[off]);
	}
	return bad;
}

TEST_F(config, restored_at_close)
{
	struct cfg_dev *d = &self->d;
	unsigned int off;
	__u8 now[CFG_MAX];
	int changed = 0;

	flip_owner_bits(_metadata, d);
	ASSERT_EQ(0, host_read(d->host, 0, now, d->size));
	for (off = 0; off < d->size; off++)
		changed += now[off] != d->owned[off];
	/* Otherwise there would be nothing for the close to restore. */
	ASSERT_LT(0, changed)
		TH_LOG("no owner write reached the hardware");

	close(d->dev);
	d->dev = -1;
	ASSERT_EQ(0, host_read(d->host, 0, now, d->size));
	EXPECT_EQ(0, count_unrestored(_metadata, d, now));
}

#include "iopass_main.h"
