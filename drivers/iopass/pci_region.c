// SPDX-License-Identifier: GPL-2.0
/*
 * Regions of a PCI function: configuration space and BARs, by pread/pwrite
 * at region offsets of the device fd, and BARs by mmap.
 *
 * Three things are never handed over:
 *  - the MSI-X table and PBA (the page-aligned "hole" around them): a write
 *    could aim the device's interrupts anywhere (invariant 5);
 *  - any config space bit the allowlist of pci_config.c does not give the
 *    owner: the BARs, the MSI and MSI-X capabilities, resets, power states
 *    and everything that changes how the IOMMU or the rest of the
 *    hierarchy sees the function;
 *  - access to memory the device is not decoding: a BAR access while
 *    memory decode is off fails with EIO, and mmaps are fault-based, so
 *    turning decode off (or resetting) zaps them and a later touch gets
 *    SIGBUS until decode is back (the CVE-2020-12888 class).
 *
 * memory_lock orders all of that: BAR accesses and faults hold it for
 * reading; command-register writes, resets and revocation for writing.  It
 * is never held while user memory is touched (device.c copies through a
 * kernel buffer), so a fault, which comes with mmap_lock held, can always
 * take it.
 */
#include <kunit/visibility.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/uaccess.h>

#include "iopass.h"

#define IOPASS_REGION_MASK	((1ULL << IOPASS_REGION_SHIFT) - 1)

/**
 * iopass_pci_regions_init() - find the MSI-X table and PBA
 * @ipdev: the device
 *
 * Each becomes a page-aligned hole in its BAR: never written or mapped.
 */
void iopass_pci_regions_init(struct iopass_pci_device *ipdev)
{
	struct pci_dev *pdev = ipdev->pdev;
	u32 reg[2], nvec;
	resource_size_t off, len[2];
	int i;

	ipdev->hole_bar[0] = -1;
	ipdev->hole_bar[1] = -1;
	if (!pdev->msix_cap)
		return;
	nvec = pci_msix_vec_count(pdev);
	pci_read_config_dword(pdev, pdev->msix_cap + PCI_MSIX_TABLE, &reg[0]);
	pci_read_config_dword(pdev, pdev->msix_cap + PCI_MSIX_PBA, &reg[1]);
	len[0] = nvec * PCI_MSIX_ENTRY_SIZE;
	len[1] = DIV_ROUND_UP(nvec, 64) * 8;
	for (i = 0; i < 2; i++) {
		off = reg[i] & PCI_MSIX_TABLE_OFFSET;
		ipdev->hole_bar[i] = reg[i] & PCI_MSIX_TABLE_BIR;
		ipdev->hole_start[i] = round_down(off, PAGE_SIZE);
		ipdev->hole_end[i] = round_up(off + len[i], PAGE_SIZE);
	}
}

/* Does [off, off + len) of BAR @bar touch the MSI-X table or PBA? */
static bool iopass_pci_in_hole(struct iopass_pci_device *ipdev, int bar,
			       u64 off, u64 len)
{
	int i;

	for (i = 0; i < 2; i++)
		if (bar == ipdev->hole_bar[i] && off < ipdev->hole_end[i] &&
		    off + len > ipdev->hole_start[i])
			return true;
	return false;
}

/*
 * A memory BAR of whole pages: mapping a smaller one would hand over the
 * rest of its page, which may be another device's registers.
 */
static bool iopass_pci_mappable(struct pci_dev *pdev, int bar)
{
	return (pci_resource_flags(pdev, bar) & IORESOURCE_MEM) &&
	       PAGE_ALIGNED(pci_resource_start(pdev, bar)) &&
	       PAGE_ALIGNED(pci_resource_len(pdev, bar));
}

/* The most mmappable areas a BAR can have: around two holes. */
#define IOPASS_PCI_MAX_AREAS	3

/*
 * The mmappable areas of BAR @bar: the BAR less its holes, ascending.
 * Returns how many (at most IOPASS_PCI_MAX_AREAS).
 */
static unsigned int iopass_pci_areas(struct iopass_pci_device *ipdev, int bar,
				     struct iopass_region_area *areas)
{
	u64 len = pci_resource_len(ipdev->pdev, bar), pos = 0, s, e;
	unsigned int n = 0;
	int h, first;

	if (!iopass_pci_mappable(ipdev->pdev, bar))
		return 0;
	/* Holes in ascending order: the table's first unless the PBA's is lower. */
	first = ipdev->hole_start[1] < ipdev->hole_start[0] ? 1 : 0;
	for (h = 0; h < 2; h++) {
		int i = h ? !first : first;

		if (ipdev->hole_bar[i] != bar)
			continue;
		s = min(ipdev->hole_start[i], len);
		e = min(ipdev->hole_end[i], len);
		if (s > pos) {
			areas[n].offset = pos;
			areas[n++].size = s - pos;
		}
		pos = max(pos, e);
	}
	if (pos < len) {
		areas[n].offset = pos;
		areas[n++].size = len - pos;
	}
	return n;
}

/* Fill @info for region @i; the areas go to @areas. */
static void iopass_pci_fill_region(struct iopass_pci_device *ipdev,
				   unsigned int i, struct iopass_region_info *info,
				   struct iopass_region_area *areas,
				   unsigned int *n_areas)
{
	struct pci_dev *pdev = ipdev->pdev;
	u64 start = 0, end = 0;
	int h;

	info->offset = IOPASS_REGION_OFFSET(i);
	info->hole_offset = 0;
	info->hole_size = 0;
	*n_areas = 0;
	if (i == IOPASS_REGION_CONFIG) {
		info->region_size = pdev->cfg_size;
		info->region_flags = IOPASS_REGION_READ | IOPASS_REGION_WRITE;
		return;
	}
	info->region_size = pci_resource_len(pdev, i);
	info->region_flags = 0;
	if (!info->region_size)
		return;
	info->region_flags = IOPASS_REGION_READ | IOPASS_REGION_WRITE;
	if (pci_resource_flags(pdev, i) & IORESOURCE_IO)
		info->region_flags |= IOPASS_REGION_IO_PORT;
	else if (iopass_pci_mappable(pdev, i))
		info->region_flags |= IOPASS_REGION_MMAP;
	for (h = 0; h < 2; h++) {
		if (ipdev->hole_bar[h] != (int)i)
			continue;
		/* Both in one BAR: one hole spanning them. */
		start = info->hole_size ? min_t(u64, start, ipdev->hole_start[h]) :
					  ipdev->hole_start[h];
		end = max_t(u64, end, ipdev->hole_end[h]);
		info->hole_offset = start;
		info->hole_size = end - start;
	}
	*n_areas = iopass_pci_areas(ipdev, i, areas);
}

/**
 * iopass_pci_region_info() - IOPASS_DEVICE_REGION_INFO
 * @priv: the &struct iopass_device
 * @arg: the &struct iopass_region_info
 *
 * The areas are copied out after the device is let go: no user memory is
 * touched while it is held (iopass_device_enter()).
 *
 * Return: 0, -EINVAL, -EFAULT or -ENODEV.
 */
int iopass_pci_region_info(void *priv, void *arg)
{
	struct iopass_region_area areas[IOPASS_PCI_MAX_AREAS];
	struct iopass_pci_device *ipdev = iopass_to_pci(priv);
	struct iopass_region_info *info = arg;
	unsigned int n;
	int ret;

	if (info->index >= IOPASS_NUM_REGIONS || info->__reserved)
		return -EINVAL;
	ret = iopass_device_enter(priv, false);
	if (ret)
		return ret;
	iopass_pci_fill_region(ipdev, info->index, info, areas, &n);
	iopass_device_exit(priv, false);
	if (info->num_areas &&
	    copy_to_user(u64_to_user_ptr(info->areas), areas,
			 min(n, info->num_areas) * sizeof(*areas)))
		return -EFAULT;
	info->num_areas = n;
	return 0;
}

/* Is decode of BAR @bar's kind on?  Under memory_lock. */
static bool iopass_pci_decoding(struct iopass_pci_device *ipdev, int bar)
{
	u16 cmd, bit = PCI_COMMAND_MEMORY;

	lockdep_assert_held(&ipdev->memory_lock);
	if (ipdev->revoked || !READ_ONCE(ipdev->idev->ioas))
		return false;
	if (pci_resource_flags(ipdev->pdev, bar) & IORESOURCE_IO)
		bit = PCI_COMMAND_IO;
	pci_read_config_word(ipdev->pdev, PCI_COMMAND, &cmd);
	return cmd & bit;
}

/* The largest natural access size at @off for @left bytes. */
static unsigned int iopass_pci_access_size(u64 off, size_t left, bool has8)
{
	if (has8 && IS_ALIGNED(off, 8) && left >= 8)
		return 8;
	if (IS_ALIGNED(off, 4) && left >= 4)
		return 4;
	if (IS_ALIGNED(off, 2) && left >= 2)
		return 2;
	return 1;
}

/* One access of @sz bytes (8 only for memory BARs) at @addr. */
static void iopass_pci_io(void __iomem *addr, unsigned int sz, u64 *val,
			  bool write)
{
	if (write) {
		switch (sz) {
		case 8:
			writeq(*val, addr);
			break;
		case 4:
			iowrite32(*val, addr);
			break;
		case 2:
			iowrite16(*val, addr);
			break;
		default:
			iowrite8(*val, addr);
		}
		return;
	}
	switch (sz) {
	case 8:
		*val = readq(addr);
		break;
	case 4:
		*val = ioread32(addr);
		break;
	case 2:
		*val = ioread16(addr);
		break;
	default:
		*val = ioread8(addr);
	}
}

static ssize_t iopass_pci_bar_rw(struct iopass_pci_device *ipdev, int bar,
				 u8 *buf, size_t count, u64 off, bool write)
{
	bool mem = pci_resource_flags(ipdev->pdev, bar) & IORESOURCE_MEM;
	u64 len = pci_resource_len(ipdev->pdev, bar);
	void __iomem *io = ipdev->bar[bar];
	size_t done = 0;
	unsigned int sz;
	ssize_t err = 0;
	u64 val = 0;

	if (!io)
		return -EINVAL;
	if (off >= len)
		return 0;
	count = min_t(u64, count, len - off);
	while (done < count) {
		sz = iopass_pci_access_size(off + done, count - done, mem);
		if (write) {
			if (iopass_pci_in_hole(ipdev, bar, off + done, sz)) {
				err = -EACCES;
				break;
			}
			memcpy(&val, buf + done, sz);
		}
		down_read(&ipdev->memory_lock);
		if (!iopass_pci_decoding(ipdev, bar)) {
			up_read(&ipdev->memory_lock);
			err = -EIO;
			break;
		}
		iopass_pci_io(io + off + done, sz, &val, write);
		up_read(&ipdev->memory_lock);
		if (!write)
			memcpy(buf + done, &val, sz);
		done += sz;
	}
	return done ? done : err;
}

/* The device's value (@write false) or a write to it, with user semantics. */
static int iopass_pci_cfg_hw(struct pci_dev *pdev, u64 off, unsigned int sz,
			     u32 *val, bool write)
{
	u16 v16;
	u8 v8;
	int ret;

	if (write)
		return sz == 4 ? pci_user_write_config_dword(pdev, off, *val) :
		       sz == 2 ? pci_user_write_config_word(pdev, off, *val) :
				 pci_user_write_config_byte(pdev, off, *val);
	if (sz == 4)
		return pci_user_read_config_dword(pdev, off, val);
	if (sz == 2) {
		ret = pci_user_read_config_word(pdev, off, &v16);
		*val = v16;
		return ret;
	}
	ret = pci_user_read_config_byte(pdev, off, &v8);
	*val = v8;
	return ret;
}

/* What a write of @val under @mask leaves in a register holding @hw. */
static u32 iopass_pci_cfg_merge(struct iopass_pci_device *ipdev, u64 off,
				unsigned int sz, u32 hw, u32 val, u32 mask)
{
	return (hw & ~mask & ~iopass_pci_config_rw1c(ipdev->cfg, off, sz)) |
	       (val & mask);
}

/*
 * A write that reaches PCI_COMMAND.  Decode may go off: no BAR access or
 * fault may run meanwhile (memory_lock), and the read-modify-write must not
 * undo the INTx disable bit the INTx handler sets (intx_spin): kernel
 * accessors, which do not sleep, under the spinlock.
 */
static int iopass_pci_cfg_write_command(struct iopass_pci_device *ipdev,
					u64 off, unsigned int sz, u32 val,
					u32 mask)
{
	struct pci_dev *pdev = ipdev->pdev;
	unsigned long flags;
	u16 cmd, hw16 = 0;
	u8 hw8 = 0;
	u32 hw = 0;
	int ret;

	down_write(&ipdev->memory_lock);
	spin_lock_irqsave(&ipdev->intx_spin, flags);
	if (sz == 4) {
		ret = pci_read_config_dword(pdev, off, &hw);
	} else if (sz == 2) {
		ret = pci_read_config_word(pdev, off, &hw16);
		hw = hw16;
	} else {
		ret = pci_read_config_byte(pdev, off, &hw8);
		hw = hw8;
	}
	if (!ret) {
		hw = iopass_pci_cfg_merge(ipdev, off, sz, hw, val, mask);
		ret = sz == 4 ? pci_write_config_dword(pdev, off, hw) :
		      sz == 2 ? pci_write_config_word(pdev, off, hw) :
				pci_write_config_byte(pdev, off, hw);
	}
	spin_unlock_irqrestore(&ipdev->intx_spin, flags);
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	if (!(cmd & PCI_COMMAND_MEMORY))
		iopass_pci_zap(ipdev);
	up_write(&ipdev->memory_lock);
	return ret;
}

/* One aligned access of @sz bytes, through the allowlist (pci_config.c). */
static int iopass_pci_cfg_access(struct iopass_pci_device *ipdev, u64 off,
				 unsigned int sz, u32 *val, bool write)
{
	struct pci_dev *pdev = ipdev->pdev;
	u32 mask, hw;
	int ret;

	if (!write) {
		ret = iopass_pci_cfg_hw(pdev, off, sz, val, false);
		if (!ret)
			*val = iopass_pci_config_read(ipdev->cfg, off, sz, *val);
		return ret;
	}
	mask = iopass_pci_config_write(ipdev->cfg, off, sz, *val);
	if (!mask)
		return 0;	/* read-only or virtualized: nothing reaches it */
	if (off < PCI_COMMAND + 2 && off + sz > PCI_COMMAND)
		return iopass_pci_cfg_write_command(ipdev, off, sz, *val, mask);
	ret = iopass_pci_cfg_hw(pdev, off, sz, &hw, false);
	if (ret)
		return ret;
	hw = iopass_pci_cfg_merge(ipdev, off, sz, hw, *val, mask);
	return iopass_pci_cfg_hw(pdev, off, sz, &hw, true);
}

static ssize_t iopass_pci_cfg_rw(struct iopass_pci_device *ipdev, u8 *buf,
				 size_t count, u64 off, bool write)
{
	unsigned int sz, b;
	size_t done = 0;
	u32 val = 0;
	int ret = 0;

	if (off >= ipdev->pdev->cfg_size)
		return 0;
	count = min_t(u64, count, ipdev->pdev->cfg_size - off);
	/* The owner's copy changes with each write: one writer at a time. */
	mutex_lock(&ipdev->cfg_lock);
	while (done < count) {
		sz = iopass_pci_access_size(off + done, count - done, false);
		/* Config space is little-endian, whatever the CPU is. */
		if (write)
			for (b = 0, val = 0; b < sz; b++)
				val |= (u32)buf[done + b] << (8 * b);
		ret = iopass_pci_cfg_access(ipdev, off + done, sz, &val, write);
		if (ret)
			break;
		if (!write)
			for (b = 0; b < sz; b++)
				buf[done + b] = val >> (8 * b);
		done += sz;
	}
	mutex_unlock(&ipdev->cfg_lock);
	return done ? done : pcibios_err_to_errno(ret);
}

/**
 * iopass_pci_rw() - pread/pwrite of a region
 * @idev: the device, live and attached
 * @buf: kernel buffer (device.c copies the user's in and out)
 * @count: bytes
 * @pos: fd offset: region index and offset in it
 * @write: direction
 *
 * Return: bytes done, 0 past the region's end, or a negative errno: -EINVAL
 * for no such region, -EACCES for a write into the MSI-X hole, -EIO for a
 * BAR access with decode off or a config access that failed.
 */
ssize_t iopass_pci_rw(struct iopass_device *idev, void *buf, size_t count,
		      loff_t pos, bool write)
{
	struct iopass_pci_device *ipdev = iopass_to_pci(idev);
	u64 index = (u64)pos >> IOPASS_REGION_SHIFT;
	u64 off = pos & IOPASS_REGION_MASK;

	if (pos < 0)
		return -EINVAL;
	if (index == IOPASS_REGION_CONFIG)
		return iopass_pci_cfg_rw(ipdev, buf, count, off, write);
	if (index < PCI_STD_NUM_BARS)
		return iopass_pci_bar_rw(ipdev, index, buf, count, off, write);
	return -EINVAL;
}

static vm_fault_t iopass_pci_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct iopass_pci_device *ipdev = vma->vm_private_data;
	unsigned long pgoff = vma->vm_pgoff +
			      ((vmf->address - vma->vm_start) >> PAGE_SHIFT);
	int bar = pgoff >> (IOPASS_REGION_SHIFT - PAGE_SHIFT);
	unsigned long off = pgoff & (IOPASS_REGION_MASK >> PAGE_SHIFT);
	vm_fault_t ret = VM_FAULT_SIGBUS;

	down_read(&ipdev->memory_lock);
	if (iopass_pci_decoding(ipdev, bar))
		ret = vmf_insert_pfn(vma, vmf->address,
				     (pci_resource_start(ipdev->pdev, bar) >>
				      PAGE_SHIFT) + off);
	up_read(&ipdev->memory_lock);
	return ret;
}

static const struct vm_operations_struct iopass_pci_vm_ops = {
	.fault = iopass_pci_fault,
};

/**
 * iopass_pci_mmap() - map part of a memory BAR
 * @idev: the device, live and attached
 * @vma: a shared mapping at a BAR's region offset
 *
 * Nothing is mapped now: pages fault in while decode is on.
 *
 * Return: 0, -EINVAL (not a mappable BAR, not shared, past its end),
 * -EACCES (overlaps the MSI-X table or PBA), -ENODEV (revoked).
 */
int iopass_pci_mmap(struct iopass_device *idev, struct vm_area_struct *vma)
{
	struct iopass_pci_device *ipdev = iopass_to_pci(idev);
	u64 bar = vma->vm_pgoff >> (IOPASS_REGION_SHIFT - PAGE_SHIFT);
	u64 start = (vma->vm_pgoff << PAGE_SHIFT) & IOPASS_REGION_MASK;
	u64 len = vma->vm_end - vma->vm_start;
	struct pci_dev *pdev = ipdev->pdev;
	int ret = 0;

	/* mmap_lock, then memory_lock: the order faults take them in too. */
	down_write(&ipdev->memory_lock);
	if (ipdev->revoked)
		ret = -ENODEV;
	else if (bar >= PCI_STD_NUM_BARS || !ipdev->bar[bar] ||
		 !(vma->vm_flags & VM_SHARED) || !iopass_pci_mappable(pdev, bar) ||
		 start + len > pci_resource_len(pdev, bar))
		ret = -EINVAL;
	else if (iopass_pci_in_hole(ipdev, bar, start, len))
		ret = -EACCES;
	if (ret) {
		up_write(&ipdev->memory_lock);
		return ret;
	}
	vma->vm_private_data = ipdev;
	vma->vm_ops = &iopass_pci_vm_ops;
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	iopass_compat_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND |
				   VM_DONTDUMP);
	ipdev->mapping = vma->vm_file->f_mapping;
	up_write(&ipdev->memory_lock);
	return 0;
}

/**
 * iopass_pci_zap() - remove every user mapping of the BARs
 * @ipdev: the device; memory_lock is held for writing
 *
 * They refault while decode is on and the device is not revoked.
 */
void iopass_pci_zap(struct iopass_pci_device *ipdev)
{
	lockdep_assert_held_write(&ipdev->memory_lock);
	if (ipdev->mapping)
		unmap_mapping_range(ipdev->mapping, 0, 0, true);
}
