// SPDX-License-Identifier: GPL-2.0
/*
 * Regions of a PCI function: configuration space and BARs, by pread/pwrite
 * at region offsets of the device fd, and BARs by mmap.
 *
 * Three things are never handed over:
 *  - the MSI-X table and PBA (the page-aligned "hole" around them): a write
 *    could aim the device's interrupts anywhere (invariant 5);
 *  - writes to the BARs and the ROM BAR: they would move the device's
 *    decode over someone else's; and to the MSI and MSI-X capabilities:
 *    interrupts are set up through IOPASS_DEVICE_SET_IRQS only.  Those
 *    writes are dropped, as a device ignores writes to read-only bits; and
 *    the "initiate FLR" bits (PCIe and Advanced Features) and the PM
 *    power-state bits are stripped from writes, since a reset or D3 would
 *    stop decode unseen; writes to Resizable BAR and SR-IOV capabilities
 *    are dropped too;
 *  - access to memory the device is not decoding: a BAR access while
 *    memory decode is off fails with EIO, and mmaps are fault-based, so
 *    turning decode off (or resetting) zaps them and a later touch gets
 *    SIGBUS until decode is back (the CVE-2020-12888 class).
 *
 * memory_lock orders all of that: BAR accesses and faults hold it for
 * reading; command-register writes, resets and revocation for writing.  It
 * is never held while user memory is touched (accesses go through a
 * bounce variable), so a fault, which comes with mmap_lock held, can
 * always take it.
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

/**
 * iopass_pci_region_info() - IOPASS_DEVICE_REGION_INFO
 * @priv: the &struct iopass_device
 * @arg: the &struct iopass_region_info
 *
 * Return: 0 or -EINVAL.
 */
int iopass_pci_region_info(void *priv, void *arg)
{
	struct iopass_pci_device *ipdev = iopass_to_pci(priv);
	struct iopass_region_info *info = arg;
	struct pci_dev *pdev = ipdev->pdev;
	unsigned int i = info->index;
	u64 start = 0, end = 0;
	int h;

	if (i >= IOPASS_NUM_REGIONS)
		return -EINVAL;
	info->offset = IOPASS_REGION_OFFSET(i);
	info->hole_offset = 0;
	info->hole_size = 0;
	if (i == IOPASS_REGION_CONFIG) {
		info->region_size = pdev->cfg_size;
		info->region_flags = IOPASS_REGION_READ | IOPASS_REGION_WRITE;
		return 0;
	}
	info->region_size = pci_resource_len(pdev, i);
	info->region_flags = 0;
	if (!info->region_size)
		return 0;
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
				 char __user *buf, size_t count, u64 off,
				 bool write)
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
			if (copy_from_user(&val, buf + done, sz)) {
				err = -EFAULT;
				break;
			}
		}
		down_read(&ipdev->memory_lock);
		if (!iopass_pci_decoding(ipdev, bar)) {
			up_read(&ipdev->memory_lock);
			err = -EIO;
			break;
		}
		iopass_pci_io(io + off + done, sz, &val, write);
		up_read(&ipdev->memory_lock);
		if (!write && copy_to_user(buf + done, &val, sz)) {
			err = -EFAULT;
			break;
		}
		done += sz;
	}
	return done ? done : err;
}

/* Does [off, off + sz) overlap extended capability @id (@len bytes)? */
static bool iopass_pci_in_ext_cap(struct pci_dev *pdev, int id, int len,
				  u64 off, unsigned int sz)
{
	int cap;

	if (off + sz <= PCI_CFG_SPACE_SIZE)
		return false;
	cap = pci_find_ext_capability(pdev, id);
	return cap && off < cap + len && off + sz > cap;
}

/*
 * Writes iopass drops: BARs, ROM BAR, MSI and MSI-X capabilities, and the
 * Resizable BAR and SR-IOV capabilities (they resize or add what the
 * device decodes).
 */
static bool iopass_pci_cfg_protected(struct pci_dev *pdev, u64 off,
				     unsigned int sz)
{
	u64 end = off + sz;
	u16 flags;
	int len;

	if (iopass_pci_in_ext_cap(pdev, PCI_EXT_CAP_ID_REBAR,
				  PCI_REBAR_CTRL + 8 * PCI_STD_NUM_BARS, off, sz) ||
	    iopass_pci_in_ext_cap(pdev, PCI_EXT_CAP_ID_SRIOV,
				  PCI_EXT_CAP_SRIOV_SIZEOF, off, sz))
		return true;

	if (off < PCI_BASE_ADDRESS_5 + 4 && end > PCI_BASE_ADDRESS_0)
		return true;
	if (off < PCI_ROM_ADDRESS + 4 && end > PCI_ROM_ADDRESS)
		return true;
	if (pdev->msix_cap && off < pdev->msix_cap + PCI_CAP_MSIX_SIZEOF &&
	    end > pdev->msix_cap)
		return true;
	if (pdev->msi_cap) {
		pci_read_config_word(pdev, pdev->msi_cap + PCI_MSI_FLAGS, &flags);
		len = flags & PCI_MSI_FLAGS_64BIT ? 14 : 10;
		if (flags & PCI_MSI_FLAGS_MASKBIT)
			len += 10;
		if (off < pdev->msi_cap + len && end > pdev->msi_cap)
			return true;
	}
	return false;
}

/**
 * iopass_pci_strip() - clear bits of a 16-bit register in a config write
 * @off: config offset the write starts at
 * @sz: its size (1, 2 or 4)
 * @val: the value written, little-endian as config space is
 * @reg: the register's offset
 * @bits: the register's bits to clear, wherever the write overlaps them
 */
VISIBLE_IF_KUNIT void iopass_pci_strip(u64 off, unsigned int sz, u32 *val,
				       int reg, u16 bits)
{
	int b;

	for (b = 0; b < 2; b++)
		if (reg + b >= off && reg + b < off + sz)
			*val &= ~((u32)((bits >> (8 * b)) & 0xff) <<
				  (8 * (reg + b - off)));
}
EXPORT_SYMBOL_IF_KUNIT(iopass_pci_strip);

/*
 * Bits the owner may not set: a function-level reset and a power-state
 * change both stop memory decode behind iopass's back (the mappings would
 * not be zapped); resets go through IOPASS_DEVICE_RESET instead.  And the
 * INTx disable bit stays as iopass set it (pci_irq.c).
 */
static void iopass_pci_cfg_sanitize(struct pci_dev *pdev, u64 off,
				    unsigned int sz, u32 *val)
{
	u16 cmd;
	int af;

	if (off <= PCI_COMMAND + 1 && off + sz > PCI_COMMAND + 1) {
		pci_read_config_word(pdev, PCI_COMMAND, &cmd);
		iopass_pci_strip(off, sz, val, PCI_COMMAND,
				 PCI_COMMAND_INTX_DISABLE);
		*val |= (u32)((cmd & PCI_COMMAND_INTX_DISABLE) >> 8)
			<< (8 * (PCI_COMMAND + 1 - off));
	}
	if (pdev->pcie_cap)
		iopass_pci_strip(off, sz, val, pdev->pcie_cap + PCI_EXP_DEVCTL,
				 PCI_EXP_DEVCTL_BCR_FLR);
	if (pdev->pm_cap)
		iopass_pci_strip(off, sz, val, pdev->pm_cap + PCI_PM_CTRL,
				 PCI_PM_CTRL_STATE_MASK);
	af = pci_find_capability(pdev, PCI_CAP_ID_AF);
	if (af)
		iopass_pci_strip(off, sz, val, af + PCI_AF_CTRL,
				 PCI_AF_CTRL_FLR);
}

static int iopass_pci_cfg_access(struct iopass_pci_device *ipdev, u64 off,
				 unsigned int sz, u32 *val, bool write)
{
	struct pci_dev *pdev = ipdev->pdev;
	bool command = off < PCI_COMMAND + 2 && off + sz > PCI_COMMAND;
	u16 cmd;
	u8 v8;
	u16 v16;
	int ret;

	if (!write) {
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
	if (iopass_pci_cfg_protected(pdev, off, sz))
		return 0;	/* dropped */
	iopass_pci_cfg_sanitize(pdev, off, sz, val);
	/* Decode may go off: no BAR access or fault may run meanwhile. */
	if (command)
		down_write(&ipdev->memory_lock);
	if (sz == 4)
		ret = pci_user_write_config_dword(pdev, off, *val);
	else if (sz == 2)
		ret = pci_user_write_config_word(pdev, off, *val);
	else
		ret = pci_user_write_config_byte(pdev, off, *val);
	if (command) {
		pci_read_config_word(pdev, PCI_COMMAND, &cmd);
		if (!(cmd & PCI_COMMAND_MEMORY))
			iopass_pci_zap(ipdev);
		up_write(&ipdev->memory_lock);
	}
	return ret;
}

static ssize_t iopass_pci_cfg_rw(struct iopass_pci_device *ipdev,
				 char __user *buf, size_t count, u64 off,
				 bool write)
{
	size_t done = 0;
	unsigned int sz;
	u32 val = 0;
	int ret;

	if (off >= ipdev->pdev->cfg_size)
		return 0;
	count = min_t(u64, count, ipdev->pdev->cfg_size - off);
	while (done < count) {
		sz = iopass_pci_access_size(off + done, count - done, false);
		if (write && copy_from_user(&val, buf + done, sz))
			return done ? done : -EFAULT;
		ret = iopass_pci_cfg_access(ipdev, off + done, sz, &val, write);
		if (ret)
			return done ? done : pcibios_err_to_errno(ret);
		if (!write && copy_to_user(buf + done, &val, sz))
			return done ? done : -EFAULT;
		done += sz;
	}
	return done;
}

/**
 * iopass_pci_rw() - pread/pwrite of a region
 * @idev: the device, live and attached
 * @buf: user buffer
 * @count: bytes
 * @pos: fd offset: region index and offset in it
 * @write: direction
 *
 * Return: bytes done, 0 past the region's end, or a negative errno: -EINVAL
 * for no such region, -EACCES for a write into the MSI-X hole, -EIO for a
 * BAR access with decode off, -EFAULT.
 */
ssize_t iopass_pci_rw(struct iopass_device *idev, char __user *buf,
		      size_t count, loff_t pos, bool write)
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
