// SPDX-License-Identifier: GPL-2.0
/*
 * Configuration space, as the owner sees it: an allowlist.
 *
 * Every bit of config space is one of three kinds:
 *  - writable: the owner's write reaches the device;
 *  - virtualized: the owner writes and reads back a copy iopass keeps
 *    (vconfig); the device never sees it;
 *  - read-only: writes are dropped, as a device drops writes to read-only
 *    bits, and reads come from the device.
 * A bit is read-only unless the table below says otherwise: a capability
 * iopass does not know, or a register of one it knows but does not list,
 * cannot be changed by the owner.  That is the rule vfio-pci follows too;
 * a denylist would hand over every bit a new spec revision adds.
 *
 * What stays the host's, and why:
 *  - BARs and the ROM BAR (virtualized: sizing works, the decode address
 *    never moves), the MSI and MSI-X capabilities (virtualized: interrupts
 *    are set up by IOPASS_DEVICE_SET_IRQS only);
 *  - PCI_COMMAND's INTx disable (virtualized: iopass masks INTx in its
 *    handler, pci_irq.c);
 *  - resets and power states (FLR bits, PM state): decode would stop
 *    behind iopass's back; resets go through IOPASS_DEVICE_RESET;
 *  - Max_Payload_Size and Max_Read_Request (virtualized): a payload larger
 *    than the link partner's makes malformed TLPs and fatal errors;
 *  - phantom functions, ARI, ATS, PRI, PASID, ACS, Enhanced Allocation,
 *    SR-IOV, Resizable BAR: they change which requester IDs and addresses
 *    the IOMMU sees, whether peer-to-peer requests reach it at all, or
 *    what the function decodes;
 *  - link, slot and root control, AER severity, VC, L1 PM substates, DPC,
 *    LTR: shared with the rest of the hierarchy.
 *
 * The host's config is saved at open and restored at close and at unbind
 * (pci.c), so what the owner did write does not outlive it.
 */
#include <linux/pci.h>
#include <linux/slab.h>

#include "iopass.h"

/**
 * struct iopass_cfg_reg - the owner's rights to one register
 * @off: offset in the capability (or in the header)
 * @size: bytes (1, 2 or 4)
 * @write: bits whose writes reach the device
 * @virt: bits kept in vconfig
 * @rw1c: bits the device clears when a 1 is written: never written back
 *	as they were read (a write to a neighbour must not clear them)
 */
struct iopass_cfg_reg {
	u16 off;
	u8 size;
	u32 write;
	u32 virt;
	u32 rw1c;
};

#define REG(_off, _size, _write, _virt, _rw1c)				\
	{ .off = _off, .size = _size, .write = _write, .virt = _virt,	\
	  .rw1c = _rw1c }

/* Type 0 header. */
static const struct iopass_cfg_reg iopass_cfg_header[] = {
	REG(PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
	    PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR,
	    PCI_COMMAND_INTX_DISABLE, 0),
	REG(PCI_STATUS, 2, 0xf900, 0, 0xf900),	/* error bits: RW1C */
	REG(PCI_CACHE_LINE_SIZE, 1, 0xff, 0, 0),
	REG(PCI_LATENCY_TIMER, 1, 0xff, 0, 0),
	REG(PCI_BASE_ADDRESS_0, 4, 0, ~0U, 0),
	REG(PCI_BASE_ADDRESS_1, 4, 0, ~0U, 0),
	REG(PCI_BASE_ADDRESS_2, 4, 0, ~0U, 0),
	REG(PCI_BASE_ADDRESS_3, 4, 0, ~0U, 0),
	REG(PCI_BASE_ADDRESS_4, 4, 0, ~0U, 0),
	REG(PCI_BASE_ADDRESS_5, 4, 0, ~0U, 0),
	REG(PCI_ROM_ADDRESS, 4, 0, ~0U, 0),
	REG(PCI_INTERRUPT_LINE, 1, 0, 0xff, 0),
};

static const struct iopass_cfg_reg iopass_cfg_pm[] = {
	REG(PCI_PM_CTRL, 2, PCI_PM_CTRL_PME_ENABLE | PCI_PM_CTRL_PME_STATUS,
	    0, PCI_PM_CTRL_PME_STATUS),
};

/* The whole MSI capability is virtualized past its header (see below). */
static const struct iopass_cfg_reg iopass_cfg_msi[] = {
	REG(PCI_MSI_FLAGS, 2, 0, PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE, 0),
};

static const struct iopass_cfg_reg iopass_cfg_msix[] = {
	REG(PCI_MSIX_FLAGS, 2, 0, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL,
	    0),
};

static const struct iopass_cfg_reg iopass_cfg_exp[] = {
	REG(PCI_EXP_DEVCTL, 2, PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE |
	    PCI_EXP_DEVCTL_FERE | PCI_EXP_DEVCTL_URRE | PCI_EXP_DEVCTL_RELAX_EN |
	    PCI_EXP_DEVCTL_EXT_TAG | PCI_EXP_DEVCTL_AUX_PME |
	    PCI_EXP_DEVCTL_NOSNOOP_EN,
	    PCI_EXP_DEVCTL_PAYLOAD | PCI_EXP_DEVCTL_READRQ, 0),
	REG(PCI_EXP_DEVSTA, 2, 0x000f, 0, 0x000f),	/* error bits: RW1C */
	REG(PCI_EXP_LNKSTA, 2, 0, 0, PCI_EXP_LNKSTA_LBMS | PCI_EXP_LNKSTA_LABS),
	REG(PCI_EXP_SLTSTA, 2, 0, 0, 0x011f),
	REG(PCI_EXP_DEVCTL2, 2, PCI_EXP_DEVCTL2_COMP_TIMEOUT | 0x0010 |
	    PCI_EXP_DEVCTL2_ATOMIC_REQ | PCI_EXP_DEVCTL2_IDO_REQ_EN |
	    PCI_EXP_DEVCTL2_IDO_CMP_EN, 0, 0),
};

static const struct iopass_cfg_reg iopass_cfg_aer[] = {
	REG(PCI_ERR_UNCOR_STATUS, 4, ~0U, 0, ~0U),
	REG(PCI_ERR_UNCOR_MASK, 4, ~0U, 0, 0),
	REG(PCI_ERR_COR_STATUS, 4, ~0U, 0, ~0U),
	REG(PCI_ERR_COR_MASK, 4, ~0U, 0, 0),
};

/* The rest of a capability, past the registers a table lists. */
enum iopass_cfg_body {
	IOPASS_CFG_BODY_RO,		/* read-only */
	IOPASS_CFG_BODY_VIRT,		/* virtualized from byte 2 (MSI) */
	IOPASS_CFG_BODY_WRITE,		/* writable from byte 3 (vendor) */
};

/**
 * struct iopass_cfg_cap - a capability iopass gives the owner rights in
 * @id: its ID
 * @ext: an extended capability (at 0x100 and above)
 * @regs: the registers the owner may touch; every other bit is read-only
 * @n_regs: how many
 * @body: the rest of it, where it is not read-only
 *
 * Capabilities not here (ACS, ATS, PRI, PASID, SR-IOV, ReBAR, VC, L1SS,
 * DPC, LTR, ARI, DSN, EA, AF, VPD and any unknown one) are read-only.
 */
struct iopass_cfg_cap {
	u16 id;
	bool ext;
	const struct iopass_cfg_reg *regs;
	unsigned int n_regs;
	enum iopass_cfg_body body;
};

static const struct iopass_cfg_cap iopass_cfg_caps[] = {
	{ .id = PCI_CAP_ID_PM, .regs = iopass_cfg_pm,
	  .n_regs = ARRAY_SIZE(iopass_cfg_pm) },
	{ .id = PCI_CAP_ID_MSI, .regs = iopass_cfg_msi,
	  .n_regs = ARRAY_SIZE(iopass_cfg_msi), .body = IOPASS_CFG_BODY_VIRT },
	{ .id = PCI_CAP_ID_MSIX, .regs = iopass_cfg_msix,
	  .n_regs = ARRAY_SIZE(iopass_cfg_msix) },
	{ .id = PCI_CAP_ID_EXP, .regs = iopass_cfg_exp,
	  .n_regs = ARRAY_SIZE(iopass_cfg_exp) },
	/* The function's own registers, as its BARs are: vfio agrees. */
	{ .id = PCI_CAP_ID_VNDR, .body = IOPASS_CFG_BODY_WRITE },
	{ .id = PCI_EXT_CAP_ID_ERR, .ext = true, .regs = iopass_cfg_aer,
	  .n_regs = ARRAY_SIZE(iopass_cfg_aer) },
};

/**
 * struct iopass_pci_config - the owner's view of a function's config space
 * @size: bytes of config space (256 or 4096)
 * @bar_mask: per BAR dword (and the ROM, [6]): the address bits a sizing
 *	write keeps; 0 for a BAR the function does not implement
 * @bar_flags: per BAR dword: the read-only low bits (space, type, prefetch)
 * @write: per byte, &struct iopass_cfg_reg.write
 * @virt: per byte, &struct iopass_cfg_reg.virt
 * @rw1c: per byte, &struct iopass_cfg_reg.rw1c
 * @vconfig: the virtualized bits' values; reloaded from the device at open
 */
struct iopass_pci_config {
	unsigned int size;
	u32 bar_mask[PCI_STD_NUM_BARS + 1];
	u32 bar_flags[PCI_STD_NUM_BARS + 1];
	u8 write[PCI_CFG_SPACE_EXP_SIZE];
	u8 virt[PCI_CFG_SPACE_EXP_SIZE];
	u8 rw1c[PCI_CFG_SPACE_EXP_SIZE];
	u8 vconfig[PCI_CFG_SPACE_EXP_SIZE];
};

/* Give the owner @reg's rights, at @base in config space. */
static void iopass_cfg_grant(struct iopass_pci_config *cfg, unsigned int base,
			     const struct iopass_cfg_reg *reg)
{
	unsigned int b, at;

	for (b = 0; b < reg->size; b++) {
		at = base + reg->off + b;
		if (at >= cfg->size)
			return;
		cfg->write[at] |= reg->write >> (8 * b);
		cfg->virt[at] |= reg->virt >> (8 * b);
		cfg->rw1c[at] |= reg->rw1c >> (8 * b);
	}
}

/* The length of the MSI capability at @pos: it depends on its flags. */
static unsigned int iopass_cfg_msi_len(struct pci_dev *pdev, int pos)
{
	unsigned int len = 10;
	u16 flags;

	pci_read_config_word(pdev, pos + PCI_MSI_FLAGS, &flags);
	if (flags & PCI_MSI_FLAGS_64BIT)
		len += 4;
	if (flags & PCI_MSI_FLAGS_MASKBIT)
		len += 10;
	return len;
}

/* Grant what the table says for capability @id at @pos, if it lists it. */
static void iopass_cfg_grant_cap(struct iopass_pci_config *cfg,
				 struct pci_dev *pdev, u16 id, bool ext, int pos)
{
	const struct iopass_cfg_cap *cap;
	unsigned int i, len, from;
	u8 vlen;
	u8 *map;

	for (cap = iopass_cfg_caps;
	     cap < iopass_cfg_caps + ARRAY_SIZE(iopass_cfg_caps); cap++)
		if (cap->id == id && cap->ext == ext)
			break;
	if (cap == iopass_cfg_caps + ARRAY_SIZE(iopass_cfg_caps))
		return;
	for (i = 0; i < cap->n_regs; i++)
		iopass_cfg_grant(cfg, pos, &cap->regs[i]);
	switch (cap->body) {
	case IOPASS_CFG_BODY_VIRT:
		/* The flags' read-only bits stay the device's: from byte 4. */
		from = PCI_MSI_ADDRESS_LO;
		len = iopass_cfg_msi_len(pdev, pos);
		map = cfg->virt;
		break;
	case IOPASS_CFG_BODY_WRITE:
		pci_read_config_byte(pdev, pos + PCI_CAP_FLAGS, &vlen);
		from = 3;
		len = vlen;
		map = cfg->write;
		break;
	default:
		return;
	}
	for (i = from; i < len && pos + i < cfg->size; i++)
		map[pos + i] = 0xff;
}

/* Walk the function's capability lists, granting what the table lists. */
static void iopass_cfg_walk(struct iopass_pci_config *cfg, struct pci_dev *pdev)
{
	int ttl = (PCI_CFG_SPACE_SIZE - PCI_STD_HEADER_SIZEOF) / PCI_CAP_SIZEOF;
	u8 id, next = 0;
	u16 status;
	int pos;
	u32 hdr;

	pci_read_config_word(pdev, PCI_STATUS, &status);
	if (status & PCI_STATUS_CAP_LIST)
		pci_read_config_byte(pdev, PCI_CAPABILITY_LIST, &next);
	/* Bounded, as the PCI core's walk is: a looped list must not hang us. */
	while (next >= PCI_STD_HEADER_SIZEOF && ttl--) {
		pos = next & ~3;
		pci_read_config_byte(pdev, pos + PCI_CAP_LIST_ID, &id);
		iopass_cfg_grant_cap(cfg, pdev, id, false, pos);
		pci_read_config_byte(pdev, pos + PCI_CAP_LIST_NEXT, &next);
	}

	if (cfg->size <= PCI_CFG_SPACE_SIZE)
		return;
	ttl = (PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 8;
	pos = PCI_CFG_SPACE_SIZE;
	while (pos >= PCI_CFG_SPACE_SIZE && ttl--) {
		if (pci_read_config_dword(pdev, pos, &hdr) || !hdr || hdr == ~0U)
			return;
		iopass_cfg_grant_cap(cfg, pdev, PCI_EXT_CAP_ID(hdr), true, pos);
		pos = PCI_EXT_CAP_NEXT(hdr);
	}
}

/* The address bits each BAR keeps when sized, and its read-only low bits. */
static void iopass_cfg_bar_masks(struct iopass_pci_config *cfg,
				 struct pci_dev *pdev)
{
	resource_size_t len;
	unsigned long flags;
	u32 hw;
	int i;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		len = pci_resource_len(pdev, i);
		flags = pci_resource_flags(pdev, i);
		if (!len)
			continue;
		pci_read_config_dword(pdev, PCI_BASE_ADDRESS_0 + 4 * i, &hw);
		if (flags & IORESOURCE_IO) {
			cfg->bar_mask[i] = ~(u32)(len - 1) & PCI_BASE_ADDRESS_IO_MASK;
			cfg->bar_flags[i] = hw & ~PCI_BASE_ADDRESS_IO_MASK;
			continue;
		}
		cfg->bar_mask[i] = ~(u32)(len - 1) & PCI_BASE_ADDRESS_MEM_MASK;
		cfg->bar_flags[i] = hw & ~PCI_BASE_ADDRESS_MEM_MASK;
		if ((flags & IORESOURCE_MEM_64) && i + 1 < PCI_STD_NUM_BARS)
			cfg->bar_mask[++i] = ~upper_32_bits(len - 1);
	}
	len = pci_resource_len(pdev, PCI_ROM_RESOURCE);
	if (len)
		cfg->bar_mask[PCI_STD_NUM_BARS] =
			(~(u32)(len - 1) & PCI_ROM_ADDRESS_MASK) |
			PCI_ROM_ADDRESS_ENABLE;
}

/**
 * iopass_pci_config_alloc() - build the owner's view of @pdev's config space
 * @pdev: the function, bound to iopass-pci
 *
 * Return: the view, or an ERR_PTR(-ENOMEM).
 */
struct iopass_pci_config *iopass_pci_config_alloc(struct pci_dev *pdev)
{
	struct iopass_pci_config *cfg;
	unsigned int i;

	cfg = kvzalloc(sizeof(*cfg), GFP_KERNEL_ACCOUNT);
	if (!cfg)
		return ERR_PTR(-ENOMEM);
	cfg->size = min_t(unsigned int, pdev->cfg_size, PCI_CFG_SPACE_EXP_SIZE);
	for (i = 0; i < ARRAY_SIZE(iopass_cfg_header); i++)
		iopass_cfg_grant(cfg, 0, &iopass_cfg_header[i]);
	iopass_cfg_walk(cfg, pdev);
	iopass_cfg_bar_masks(cfg, pdev);
	return cfg;
}

/**
 * iopass_pci_config_free() - free what iopass_pci_config_alloc() built
 * @cfg: the view, or NULL
 */
void iopass_pci_config_free(struct iopass_pci_config *cfg)
{
	kvfree(cfg);
}

/* @sz bytes of @cfg's per-byte @map at @off, as a little-endian value. */
static u32 iopass_cfg_bits(const u8 *map, unsigned int off, unsigned int sz)
{
	u32 v = 0;
	unsigned int b;

	for (b = 0; b < sz; b++)
		v |= (u32)map[off + b] << (8 * b);
	return v;
}

/* Store @v, little-endian, at @off of vconfig. */
static void iopass_cfg_put32(struct iopass_pci_config *cfg, unsigned int off,
			     u32 v)
{
	unsigned int b;

	for (b = 0; b < 4; b++)
		cfg->vconfig[off + b] = v >> (8 * b);
}

/**
 * iopass_pci_config_reset() - start the owner's copy from the device's values
 * @cfg: the view
 * @pdev: the function
 *
 * Called at open, so that each owner starts from what the device holds.
 */
void iopass_pci_config_reset(struct iopass_pci_config *cfg,
			     struct pci_dev *pdev)
{
	unsigned int off;
	u32 v;

	for (off = 0; off < cfg->size; off += 4) {
		if (pci_read_config_dword(pdev, off, &v))
			v = 0;
		iopass_cfg_put32(cfg, off, v);
	}
}

/* A sizing write keeps only the bits a BAR decodes; its low bits are fixed. */
static void iopass_cfg_fix_bars(struct iopass_pci_config *cfg)
{
	unsigned int i, off;
	u32 v;

	for (i = 0; i <= PCI_STD_NUM_BARS; i++) {
		off = i < PCI_STD_NUM_BARS ? PCI_BASE_ADDRESS_0 + 4 * i :
					     PCI_ROM_ADDRESS;
		v = iopass_cfg_bits(cfg->vconfig, off, 4);
		iopass_cfg_put32(cfg, off, (v & cfg->bar_mask[i]) |
				 cfg->bar_flags[i]);
	}
}

/**
 * iopass_pci_config_read() - merge the device's value with the owner's copy
 * @cfg: the view
 * @off: offset of an aligned access of @sz bytes within config space
 * @sz: 1, 2 or 4
 * @hw: the device's value there
 *
 * Return: what the owner reads.
 */
u32 iopass_pci_config_read(struct iopass_pci_config *cfg, unsigned int off,
			   unsigned int sz, u32 hw)
{
	u32 virt = iopass_cfg_bits(cfg->virt, off, sz);

	return (hw & ~virt) | (iopass_cfg_bits(cfg->vconfig, off, sz) & virt);
}

/**
 * iopass_pci_config_write() - apply the owner's write to the copy
 * @cfg: the view
 * @off: offset of an aligned access of @sz bytes within config space
 * @sz: 1, 2 or 4
 * @val: the value written
 *
 * Return: the mask of bits whose write must reach the device (0: none);
 * the caller writes (device value & ~mask & ~iopass_pci_config_rw1c())
 * | (@val & mask).
 */
u32 iopass_pci_config_write(struct iopass_pci_config *cfg, unsigned int off,
			    unsigned int sz, u32 val)
{
	u32 virt = iopass_cfg_bits(cfg->virt, off, sz);
	unsigned int b;

	if (virt) {
		for (b = 0; b < sz; b++)
			cfg->vconfig[off + b] =
				(cfg->vconfig[off + b] & ~cfg->virt[off + b]) |
				((val >> (8 * b)) & cfg->virt[off + b]);
		if (off < PCI_ROM_ADDRESS + 4 && off + sz > PCI_BASE_ADDRESS_0)
			iopass_cfg_fix_bars(cfg);
	}
	return iopass_cfg_bits(cfg->write, off, sz);
}

/**
 * iopass_pci_config_rw1c() - the write-1-to-clear bits of an access
 * @cfg: the view
 * @off: offset
 * @sz: bytes
 *
 * Return: the bits that must be written as 0 unless the owner wrote a 1.
 */
u32 iopass_pci_config_rw1c(struct iopass_pci_config *cfg, unsigned int off,
			   unsigned int sz)
{
	return iopass_cfg_bits(cfg->rw1c, off, sz);
}
