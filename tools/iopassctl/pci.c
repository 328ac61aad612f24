// SPDX-License-Identifier: GPL-2.0
/*
 * iopassctl: the sysfs side.  list, bind and unbind: which PCI functions
 * there are, and handing them to iopass-pci the way vfio-pci users do
 * (driver_override, unbind, bind), with the group checks explained.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iopassctl.h"

static unsigned long sysfs_ul(const char *dir, const char *bdf,
			      const char *attr)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), "%s/%s/%s", dir, bdf, attr);
	if (sysfs_read(path, buf, sizeof(buf)))
		return 0;
	return strtoul(buf, NULL, 0);
}

/*
 * "0000:00:03.0" from "0000:00:03.0" or "00:03.0"; -EINVAL if it is not a
 * PCI address, -ENODEV if there is no such function.
 */
int pci_normalize(const char *in, char *bdf, size_t len)
{
	unsigned int dom = 0, bus, dev, fn;
	char path[PATH_MAX], tail;

	if (sscanf(in, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) != 4) {
		dom = 0;
		if (sscanf(in, "%x:%x.%x%c", &bus, &dev, &fn, &tail) != 3)
			return -EINVAL;
	}
	if (dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(bdf, len, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
	return access(path, F_OK) ? -ENODEV : 0;
}

/* The iopass device ("iopassN") of @bdf; -ENOENT if it has none. */
int iopass_node_of(const char *bdf, char *name, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	int ret = -ENOENT;
	DIR *dir;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		if (!strncmp(de->d_name, "iopass", 6) &&
		    strspn(de->d_name + 6, "0123456789") == strlen(de->d_name + 6) &&
		    de->d_name[6]) {
			snprintf(name, len, "%s", de->d_name);
			ret = 0;
			break;
		}
	closedir(dir);
	return ret;
}

/*
 * DEV on the command line: "iopass0", "/dev/iopass0", or the PCI function
 * bound to it.  Fills its node name and PCI address; on failure reports
 * why (and returns EXIT_FAIL or EXIT_USAGE).
 */
int resolve_dev(const char *arg, char *name, size_t nlen, char *bdf,
		size_t blen)
{
	char path[PATH_MAX], real[PATH_MAX], drv[64];
	int ret;

	if (!strncmp(arg, "/dev/", 5))
		arg += 5;
	if (!strncmp(arg, "iopass", 6) && arg[6] &&
	    strspn(arg + 6, "0123456789") == strlen(arg + 6)) {
		snprintf(path, sizeof(path), IOPASS_DEVICES "/%s", arg);
		if (!realpath(path, real))
			return fail(ENODEV, "'iopassctl list' shows the iopass devices",
				    "no iopass device %s", arg);
		snprintf(name, nlen, "%s", arg);
		snprintf(bdf, blen, "%s", basename(dirname(real)));
		return EXIT_OK;
	}
	ret = pci_normalize(arg, bdf, blen);
	if (ret == -EINVAL)
		return usage_error("'%s' is neither an iopass device nor a PCI address",
				   arg);
	if (ret)
		return fail(ENODEV, "'iopassctl list --all' shows the PCI functions",
			    "no PCI function %s", arg);
	if (iopass_node_of(bdf, name, nlen)) {
		char hint[128];

		pci_driver_of(bdf, drv, sizeof(drv));
		snprintf(hint, sizeof(hint), "hand it over first: iopassctl bind %s",
			 bdf);
		return fail(0, hint, "%s is not bound to iopass (driver: %s)", bdf,
			    drv[0] ? drv : "none");
	}
	return EXIT_OK;
}

/* ---- list ---- */

static const char *pci_kind(unsigned long vendor, unsigned long device,
			    unsigned long class)
{
	if (vendor == 0x1234 && device == 0x11e8)
		return "edu (QEMU test device)";
	switch (class >> 8) {
	case 0x0108:
		return "NVMe controller";
	case 0x0200:
		return "Ethernet controller";
	case 0x0300:
		return "VGA controller";
	case 0x0600:
		return "host bridge";
	case 0x0601:
		return "ISA bridge";
	case 0x0604:
		return "PCI bridge";
	case 0x0106:
		return "SATA controller";
	case 0x0c05:
		return "SMBus controller";
	}
	return "PCI function";
}

/*
 * Whether @bdf can be handed to iopass now: the kernel refuses a function
 * whose IOMMU group holds another function with a driver that does DMA
 * through the kernel.  Fills @why with the reason; true if nothing stands
 * in the way that sysfs can show.
 */
static bool group_viable(const char *bdf, char *why, size_t len)
{
	char path[PATH_MAX], drv[64];
	struct dirent *de;
	int group = pci_iommu_group(bdf);
	bool ok = true;
	DIR *dir;

	why[0] = 0;
	if (group < 0) {
		snprintf(why, len, "no IOMMU group: no IOMMU translates it");
		return false;
	}
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices", group);
	dir = opendir(path);
	if (!dir)
		return true;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, bdf))
			continue;
		pci_driver_of(de->d_name, drv, sizeof(drv));
		if (!drv[0] || !strcmp(drv, "iopass-pci") ||
		    !strcmp(drv, "pci-stub") || !strcmp(drv, "pcieport"))
			continue;
		snprintf(why, len, "IOMMU group %d also holds %s, bound to %s",
			 group, de->d_name, drv);
		ok = false;
		break;
	}
	closedir(dir);
	return ok;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ NULL }
	};
	char drv[64], node[32], why[160], path[PATH_MAX], dom[32], grp[12];
	struct dirent **ents;
	bool all = false;
	int c, i, n, shown = 0;

	while ((c = cmd_getopt(argc, argv, "a", opts)) != -1) {
		if (c != 'a')
			return bad_option(c, argv);
		all = true;
	}
	if (optind != argc)
		return usage_error("list takes no arguments");
	n = scandir(PCI_DEVICES, &ents, NULL, cmp_names);
	if (n < 0)
		return fail(errno, "is sysfs mounted?", "cannot read " PCI_DEVICES);
	if (access(IOPASS_DRIVER, F_OK))
		say("(iopass is not loaded: modprobe iopass)\n");
	out_arr("devices");
	for (i = 0; i < n; i++) {
		const char *bdf = ents[i]->d_name;
		unsigned long vendor, device, class;
		int group;

		if (bdf[0] == '.')
			continue;
		pci_driver_of(bdf, drv, sizeof(drv));
		node[0] = 0;
		iopass_node_of(bdf, node, sizeof(node));
		if (!all && !node[0])
			continue;
		vendor = sysfs_ul(PCI_DEVICES, bdf, "vendor");
		device = sysfs_ul(PCI_DEVICES, bdf, "device");
		class = sysfs_ul(PCI_DEVICES, bdf, "class");
		group = pci_iommu_group(bdf);
		dom[0] = 0;
		if (node[0]) {
			snprintf(path, sizeof(path), IOPASS_DEVICES "/%s/domain_type",
				 node);
			sysfs_read(path, dom, sizeof(dom));
		}
		if (!opt_json) {
			if (!shown++)
				printf("%-13s %-9s %-10s %-6s %-12s %s\n", "PCI", "ID",
				       "IOPASS", "GROUP", "DRIVER", "WHAT");
			snprintf(grp, sizeof(grp), "%d", group);
			printf("%-13s %04lx:%04lx %-10s %-6s %-12s %s", bdf,
			       vendor, device, node[0] ? node : "-",
			       group < 0 ? "-" : grp, drv[0] ? drv : "-",
			       pci_kind(vendor, device, class));
			if (all && !node[0] && !group_viable(bdf, why, sizeof(why)))
				printf(" [not bindable: %s]", why);
			else if (group >= 0 && iommu_group_size(group) > 1)
				printf(" [group of %d]", iommu_group_size(group));
			printf("\n");
			continue;
		}
		out_obj(NULL);
		out_str("pci", NULL, "%s", bdf);
		out_str("id", NULL, "%04lx:%04lx", vendor, device);
		out_hex("class", NULL, class);
		out_str("kind", NULL, "%s", pci_kind(vendor, device, class));
		out_str("driver", NULL, "%s", drv);
		out_str("iopass", NULL, "%s", node);
		if (group >= 0) {
			out_u64("iommu_group", NULL, group);
			out_u64("group_size", NULL, iommu_group_size(group));
		}
		if (dom[0])
			out_str("domain_type", NULL, "%s", dom);
		if (!node[0]) {
			bool ok = group_viable(bdf, why, sizeof(why));

			out_bool("bindable", NULL, ok);
			if (!ok)
				out_str("why_not", NULL, "%s", why);
		}
		out_close();
		shown++;
	}
	out_close();
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	if (!shown)
		say(all ? "no PCI functions\n" :
		    "no device is bound to iopass (iopassctl list --all shows the candidates)\n");
	return EXIT_OK;
}

/* ---- bind, unbind ---- */

/* Explain a refused bind of @bdf; the kernel says only an errno. */
static int bind_failed(const char *bdf, int err, const char *old)
{
	char why[160], hint[320];

	if (err == ENODEV || pci_iommu_group(bdf) < 0)
		return fail(ENODEV,
			    "no IOMMU translates this function: enable VT-d/AMD-Vi in the "
			    "firmware and boot with intel_iommu=on (see dmesg)",
			    "refused: %s cannot be isolated", bdf);
	if (!group_viable(bdf, why, sizeof(why))) {
		snprintf(hint, sizeof(hint),
			 "every function of an IOMMU group shares its DMA isolation, so all of "
			 "them must leave their kernel drivers: unbind the other one or bind it "
			 "to iopass too ('iopassctl list --all' shows the group)");
		return fail(err, hint, "refused: not viable: %s", why);
	}
	if (err == EPERM)
		return fail(err,
			    "the IOMMU has no interrupt remapping, so the device's MSIs could "
			    "reach any interrupt; enable it (intremap) or, on a machine you do "
			    "not care about, load iopass with allow_unsafe_interrupts=1",
			    "refused: MSIs of %s would not be isolated", bdf);
	(void)old;
	return fail(err, "the kernel log (dmesg) says why", "binding %s to iopass-pci failed",
		    bdf);
}

static int bind_one(const char *arg)
{
	char bdf[32], drv[64], node[32], path[PATH_MAX], dom[32];
	int ret, group;

	ret = pci_normalize(arg, bdf, sizeof(bdf));
	if (ret == -EINVAL)
		return usage_error("'%s' is not a PCI address (like 0000:00:03.0)",
				   arg);
	if (ret)
		return fail(ENODEV, "'iopassctl list --all' shows the PCI functions",
			    "no PCI function %s", arg);
	if (access(IOPASS_DRIVER, F_OK))
		return fail(ENOENT, "load it: modprobe iopass (or insmod iopass.ko)",
			    "the iopass-pci driver is not registered");
	pci_driver_of(bdf, drv, sizeof(drv));
	group = pci_iommu_group(bdf);
	if (strcmp(drv, "iopass-pci")) {
		if (group < 0)
			return bind_failed(bdf, ENODEV, drv);
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
		ret = sysfs_write(path, "iopass-pci");
		if (ret)
			return fail(-ret, "binding needs root (CAP_SYS_ADMIN)",
				    "cannot write %s", path);
		if (drv[0]) {
			snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver/unbind", bdf);
			ret = sysfs_write(path, bdf);
			if (ret) {
				snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override",
					 bdf);
				sysfs_write(path, "\n");
				return fail(-ret, NULL, "cannot unbind %s from %s", bdf, drv);
			}
		}
		ret = sysfs_write(IOPASS_DRIVER "/bind", bdf);
		if (ret) {
			/* Leave it as it was: no override, its driver back. */
			snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override",
				 bdf);
			sysfs_write(path, "\n");
			if (drv[0])
				sysfs_write("/sys/bus/pci/drivers_probe", bdf);
			return bind_failed(bdf, -ret, drv);
		}
	}
	if (iopass_node_of(bdf, node, sizeof(node)))
		return fail(ENODEV, "the kernel log (dmesg) says why",
			    "%s is bound but has no iopass device", bdf);
	snprintf(path, sizeof(path), IOPASS_DEVICES "/%s/domain_type", node);
	sysfs_read(path, dom, sizeof(dom));
	if (!strcmp(drv, "iopass-pci"))
		say("%s was already bound to iopass\n", bdf);
	else
		say("%s: bound to iopass-pci (was: %s)\n", bdf, drv[0] ? drv : "no driver");
	out_str("pci", "PCI:", "%s", bdf);
	out_str("device", "device:", "/dev/%s", node);
	out_u64("iommu_group", "IOMMU group:", group);
	out_str("domain_type", "domain:", "%s", dom);
	out_str("previous_driver", NULL, "%s", strcmp(drv, "iopass-pci") ? drv : "");
	return EXIT_OK;
}

static int cmd_bind(int argc, char **argv)
{
	int i, ret = EXIT_OK;

	int c = cmd_getopt(argc, argv, "", NULL);

	if (c != -1)
		return bad_option(c, argv);
	if (optind == argc)
		return usage_error("which PCI function?");
	out_arr("bound");
	for (i = optind; i < argc && !ret; i++) {
		out_obj(NULL);
		ret = bind_one(argv[i]);
		out_close();
	}
	out_close();
	return ret;
}

static int unbind_one(const char *arg, bool probe)
{
	char bdf[32], node[32], drv[64], path[PATH_MAX];
	int ret;

	ret = pci_normalize(arg, bdf, sizeof(bdf));
	if (ret == -EINVAL) {
		ret = resolve_dev(arg, node, sizeof(node), bdf, sizeof(bdf));
		if (ret)
			return ret;
	} else if (ret) {
		return fail(ENODEV, "'iopassctl list' shows the bound functions",
			    "no PCI function %s", arg);
	}
	pci_driver_of(bdf, drv, sizeof(drv));
	if (strcmp(drv, "iopass-pci"))
		return fail(0, "'iopassctl list' shows what iopass holds",
			    "%s is not bound to iopass (driver: %s)", bdf,
			    drv[0] ? drv : "none");
	/*
	 * Blocks while an owner holds it, up to iopass's release_timeout_ms:
	 * not for this session's own hold, which goes first.
	 */
	session_close_dev(bdf);
	ret = sysfs_write(IOPASS_DRIVER "/unbind", bdf);
	if (ret)
		return fail(-ret, "unbinding needs root", "cannot unbind %s", bdf);
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	sysfs_write(path, "\n");
	if (probe)
		sysfs_write("/sys/bus/pci/drivers_probe", bdf);
	pci_driver_of(bdf, drv, sizeof(drv));
	say("%s: released from iopass; driver now: %s\n", bdf, drv[0] ? drv : "none");
	out_str("pci", NULL, "%s", bdf);
	out_str("driver", NULL, "%s", drv);
	return EXIT_OK;
}

static int cmd_unbind(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-probe", no_argument, NULL, 'n' },
		{ NULL }
	};
	bool probe = true;
	int c, i, ret = EXIT_OK;

	while ((c = cmd_getopt(argc, argv, "n", opts)) != -1) {
		if (c != 'n')
			return bad_option(c, argv);
		probe = false;
	}
	if (optind == argc)
		return usage_error("which device?");
	out_arr("unbound");
	for (i = optind; i < argc && !ret; i++) {
		out_obj(NULL);
		ret = unbind_one(argv[i], probe);
		out_close();
	}
	out_close();
	return ret;
}

const struct cmd pci_cmds[] = {
	{ "list", cmd_list, "[--all]", "list the devices bound to iopass",
	  "With --all, every PCI function: its IOMMU group, its driver, and\n"
	  "whether it can be bound (a function whose IOMMU group also holds a\n"
	  "function with a kernel driver cannot).\n"
	  "  -a, --all   every PCI function, not only iopass's\n" },
	{ "bind", cmd_bind, "PCI...", "hand PCI functions to iopass",
	  "For each function: set driver_override to iopass-pci, unbind the\n"
	  "driver it has, and bind it to iopass-pci, which takes DMA ownership\n"
	  "of its IOMMU group and gives the device a translated domain of its\n"
	  "own, empty until its owner maps memory.  A refusal is explained: a\n"
	  "group that is not viable, no interrupt remapping, no IOMMU.  On a\n"
	  "refusal the function gets its old driver back.  Binding a function\n"
	  "already bound is not an error.\n" },
	{ "unbind", cmd_unbind, "[--no-probe] DEV...", "give devices back to the kernel",
	  "Unbind from iopass-pci, clear driver_override and let the kernel\n"
	  "probe its own driver again.  If a process holds the device, iopass\n"
	  "signals its REQ eventfd, waits release_timeout_ms, then revokes it.\n"
	  "  -n, --no-probe   leave the function with no driver\n" },
	{ NULL }
};
