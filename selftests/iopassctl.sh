#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# iopassctl against the real module in the rig's VM: every subcommand on
# the edu and the nvme, the errors it explains, --json, and runs.  TAP.
# Every JSON line a command printed is echoed as "rig: json ..." for the
# host (report.py) to parse.
T=/tmp/iopassctl-test
rm -rf $T && mkdir -p $T
JSON=$T/all.json
: >$JSON
. /iopass/tap.sh	# result, from the rig (tools/testing/vm/tap.sh)
echo "TAP version 13"
echo "1..34"

# A result; a failure shows the end of the command's output.
ok() {
	result "$1" "$2"
	[ "$1" = 0 ] || sed 's/^/# /' $T/out 2>/dev/null | tail -n 30
}

# c RC CMD...: run iopassctl; true if it exited RC.  Output in $T/out.
c() {
	want=$1; shift
	iopassctl "$@" >$T/out 2>&1
	rc=$?
	[ "$rc" = "$want" ] || { echo "iopassctl $*: exit $rc, wanted $want" >>$T/out; return 1; }
}

# j RC CMD...: the same with --json; stdout only in $T/out, kept for the host.
j() {
	want=$1; shift
	iopassctl --json "$@" >$T/out 2>$T/err
	rc=$?
	cat $T/out >>$JSON
	[ "$rc" = "$want" ] || { cat $T/err >>$T/out; echo "exit $rc, wanted $want" >>$T/out; return 1; }
}

has() { grep -q -- "$1" $T/out || { echo "output lacks: $1" >>$T/out; return 1; }; }

find_pci() {	# VENDOR DEVICE alone|shared
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat $d/vendor)" = "$1" ] && [ "$(cat $d/device)" = "$2" ] || continue
		s=$(ls $d/iommu_group/devices | wc -l)
		{ [ "$3" = alone ] && [ "$s" = 1 ]; } || { [ "$3" = shared ] && [ "$s" != 1 ]; } ||
			continue
		echo "${d##*/}"
		return
	done
}
EDU=$(find_pci 0x1234 0x11e8 alone)
SHARED=$(find_pci 0x1234 0x11e8 shared)
NVME=$(find_pci 0x1b36 0x0010 alone)
E1000=$(find_pci 0x8086 0x100e shared)
echo "# edu $EDU, shared edu $SHARED, its group mate $E1000, nvme $NVME"

# The shared edu's group mate back on its kernel driver (other tests may
# have left it with none), so that the group is not viable.
mate_driver() {
	echo "$1" >/sys/bus/pci/devices/$E1000/driver_override
	[ -e /sys/bus/pci/devices/$E1000/driver ] &&
		echo $E1000 >/sys/bus/pci/devices/$E1000/driver/unbind
	[ -n "$1" ] && echo $E1000 >/sys/bus/pci/drivers/$1/bind
}
mate_driver e1000

# ---- the command line itself
c 2; ok $? no_arguments_is_a_usage_error

r=0
c 0 help || r=1
for cmd in list bind unbind info ranges ioas attach detach map unmap dump read \
	   write reset irq irq-wait stats sriov vf-token dma-test run help; do
	grep -q "^  $cmd " $T/out || { echo "help lacks $cmd" >>$T/out; r=1; }
	iopassctl $cmd --help >$T/h 2>&1 && head -n1 $T/h | grep -q "^usage: iopassctl $cmd" ||
		{ echo "$cmd --help" >>$T/out; r=1; }
done
ok $r help_lists_every_command_and_each_has_its_own

c 2 frobnicate && c 2 bind zz && has "not a PCI address" &&
	c 2 map --size 0 && c 2 map --size 4K --prot x && c 2 read $EDU bar9 0 &&
	c 2 write $EDU bar0 0 1 --width 3 && c 2 irq $EDU --type foo
ok $? bad_command_lines_are_usage_errors

c 1 info 00:1f.7 && has "no PCI function" && has "hint:"
ok $? a_missing_device_is_explained

c 1 info $EDU && has "not bound to iopass" && has "iopassctl bind $EDU"
ok $? an_unbound_device_says_how_to_bind_it

# ---- bind, list, info, ranges
c 0 bind $EDU && has "/dev/iopass" && c 0 bind $EDU && has "already bound" &&
	[ "$(basename "$(readlink /sys/bus/pci/devices/$EDU/driver)")" = iopass-pci ]
ok $? bind_hands_over_and_is_idempotent

j 0 list && has "\"pci\":\"$EDU\"" && has '"domain_type":"paging"' &&
	j 0 list --all && has "\"pci\":\"$SHARED\"" && has '"bindable":false' &&
	has '"why_not":"IOMMU group'
ok $? list_shows_devices_and_why_some_cannot_be_bound

j 0 info $EDU && has '"domain_type":"paging"' && has '"reset":false' &&
	has '"name":"bar0","index":0,"size":1048576' && has '"name":"msi","count":1'
ok $? info_describes_the_edu

# The nvme's BAR0 holds its MSI-X table: a hole that is never mappable.
c 0 bind $NVME && j 0 info $NVME && has '"reset":true' && has '"name":"msix"' &&
	grep -q '"name":"bar0"[^}]*"hole_size":[1-9]' $T/out
ok $? info_shows_the_nvme_msix_hole

j 0 ranges $EDU && has '"ranges":\[{"start":0,"last":4276092927},{"start":4277141504,'
ok $? ranges_leave_out_the_msi_window

# ---- map, in every backing, and the counters
dd if=/dev/zero of=/tmp/iopassctl-file bs=4096 count=2 2>/dev/null
touch /dev/hugepages/iopassctl-huge
cat >$T/map.run <<EOF
attach $EDU
map --size 64K --fill 0xa5
map --size 2M --hugetlb
map --file /tmp/iopassctl-file
map --file /dev/hugepages/iopassctl-huge --size 2M
stats $EDU
unmap --all
stats $EDU
EOF
j 0 run $T/map.run && has '"backing":"anon"' && has '"backing":"hugetlb"' &&
	has '"backing":"file"' &&
	grep '"command":"stats"' $T/out | head -n1 | grep -q '"mapped_bytes":4268032' &&
	grep '"command":"stats"' $T/out | tail -n1 | grep -q '"mapped_bytes":0,"pinned_pages":0'
ok $? map_anon_hugetlb_tmpfs_and_hugetlbfs_then_unmap_all
rm -f /dev/hugepages/iopassctl-huge /tmp/iopassctl-file

# ---- NUMA: where the device and its memory are, in words and JSON.  The
# rig's default machine has one node and no _PXM: the device's node is
# unknown, so --local refuses nothing (the numa machine tests the rest).
cat >$T/numa.run <<EOF
attach $EDU
map --size 64K --node 0 --local
stats $EDU
EOF
j 0 run $T/numa.run && has '"numa_node":-1' && has '"pinned_pages_by_node":{"0":16}' &&
	has '"locality":"the firmware does not say which NUMA node the device is on; 100% of the memory it can reach is on node 0"' &&
	c 0 info $EDU && has "NUMA:" && has "local CPUs:" &&
	c 1 map --size 4K --node 7 && has "cannot bind the buffer to NUMA node 7"
ok $? numa_locality_in_words_and_json

# ---- SR-IOV: the edu has none; each command says so
TOKEN=12345678-9abc-def0-0123-456789abcdef
c 1 sriov $EDU && has "cannot have virtual functions" && has "no SR-IOV capability" &&
	c 1 vf-token $EDU $TOKEN && has "not an SR-IOV physical function" &&
	c 2 vf-token $EDU 1234 && has "bad VF token" &&
	c 1 attach --vf-token $TOKEN $EDU && has "(EINVAL)" && has "no VF token applies"
ok $? sriov_commands_explain_a_device_without_it

cat >$T/err.run <<EOF
attach $EDU
map --size 4K --iova 0x100000
map --size 4K --iova 0x100000
map --size 4K --iova 0xfee00000
map --size 4K --iova 0x200000000000000
map --size 8K --iova 0x300000
unmap --iova 0x300000 --size 4K
unmap --iova 0x700000 --size 4K
EOF
c 1 run -k $T/err.run && has "(EEXIST)" && has "(EADDRINUSE)" && has "(ERANGE)" &&
	has "(EINVAL)" && has "cover whole mappings" && has "(ENOENT)" &&
	[ "$(grep -c 'hint:' $T/out)" -ge 5 ]
ok $? map_and_unmap_errors_name_the_errno_and_a_hint

c 1 run $T/no-such-script && has "cannot open"
ok $? a_missing_script_is_reported

printf 'ioas\nbogus\nioas\n' >$T/stop.run
c 2 run $T/stop.run && has "line 2" && [ "$(grep -c 'allocated' $T/out)" = 1 ] &&
	c 2 run -k $T/stop.run && [ "$(grep -c 'allocated' $T/out)" = 2 ]
ok $? a_run_stops_at_the_first_failure_unless_told_not_to

# ---- regions
c 0 read $EDU bar0 0 && has ": 0x010000ed" && c 0 read $EDU config 0 && has "0x11e81234" &&
	c 0 write $EDU bar0 4 0x12345678 && c 0 run -x - <<EOF && has "0xedcba987"
write $EDU bar0 4 0x12345678
read $EDU bar0 4
EOF
ok $? edu_registers_read_and_write

# The example in Documentation/cli.rst, on this machine's edu.
sed "s/00:02.0/$EDU/g" /iopass/examples/edu-dma.run >$T/edu-dma.run
c 0 run $T/edu-dma.run && has "00200000: 5a 5a 5a 5a" && has "msi vector 0: 2 events" &&
	! grep -q "^00200030:.* 00" $T/out
ok $? the_documented_edu_dma_script_works

# dma-test in the same session fails (its IOVAs are taken) but leaves the
# script's mappings alone; a session recycles the buffers it unmaps (70 >
# its 64 slots).
cp $T/edu-dma.run $T/reuse.run
printf '%s\n' "dma-test $EDU" "unmap --iova 0x200000" "unmap --iova 0x100000" >>$T/reuse.run
i=0
while [ $i -lt 70 ]; do
	printf '%s\n' "map --size 4K --iova 0x800000" "unmap --iova 0x800000" >>$T/reuse.run
	i=$((i + 1))
done
c 1 run -k $T/reuse.run && has "(EEXIST)" && ! grep -q "(ENOENT)" $T/out &&
	[ "$(grep -c '^unmapped 4096 bytes' $T/out)" = 72 ]
ok $? dma_test_and_recycled_buffers_leave_the_session_intact

c 0 read $EDU config 0 --len 16 && has "^00000000: 34 12 e8 11"
ok $? config_space_hex_dump

hole=$(j 0 info $NVME; sed 's/.*"name":"bar0"[^}]*"hole_offset":\([0-9]*\).*/\1/' $T/out)
c 1 write $NVME bar0 "$hole" 0 && has "(EACCES)" && has "MSI-X table"
ok $? the_msix_table_is_refused_with_a_hint

# ---- interrupts
# An MSI is a DMA write: bus mastering must be on (memory decode too).
cat >$T/msi.run <<EOF
write $EDU config 4 0x6 --width 2
irq $EDU --type msi
write $EDU bar0 0x60 1
irq-wait $EDU
write $EDU bar0 0x64 1
write $EDU bar0 0x60 1
irq-wait $EDU
write $EDU bar0 0x64 1
EOF
c 0 run $T/msi.run && has "msi vector 0: 2 events"
ok $? msi_raises_arrive_on_the_eventfd

cat >$T/intx.run <<EOF
irq $EDU --type intx
write $EDU bar0 0x60 1
irq-wait $EDU
write $EDU bar0 0x64 1
irq $EDU --unmask
write $EDU bar0 0x60 1
irq-wait $EDU
write $EDU bar0 0x64 1
irq $EDU --off
EOF
c 0 run $T/intx.run && has "intx vector 0: 2 events"
ok $? intx_is_delivered_and_unmasked

# Masked, a raise waits; the unmask finds it asserted and reports it.
cat >$T/intxmask.run <<EOF
irq $EDU --type intx
irq $EDU --mask
write $EDU bar0 0x60 1
irq-wait $EDU --timeout 300
irq $EDU --unmask
irq-wait $EDU
write $EDU bar0 0x64 1
irq $EDU --off
EOF
c 1 run --keep-going $T/intxmask.run && has "INTx masked" &&
	has "(ETIMEDOUT)" && has "intx vector 0: 1 event$"
ok $? intx_mask_holds_a_raise_until_the_unmask

c 1 irq $EDU --type msi --wait 1 --timeout 300 && has "(ETIMEDOUT)" && has "got 0"
ok $? waiting_for_an_interrupt_that_never_comes_times_out

# ---- reset
c 1 reset $EDU && has "(EOPNOTSUPP)" && c 0 reset $NVME
ok $? reset_works_where_the_pci_core_can_and_says_why_not

# ---- the edu's DMA test
echo "iopass-rig: expect dmar" >/dev/kmsg
j 0 dma-test $EDU --irq --stale && has '"round_trip":true' && has '"msi_events":2' &&
	has '"stale_blocked":true' && has "fault addr 0x200000"
r=$?
echo "iopass-rig: expect-end" >/dev/kmsg
ok $r dma_test_round_trip_msi_and_a_blocked_stale_dma

c 1 dma-test $NVME && has "not an edu"
ok $? dma_test_refuses_other_devices

# ---- exclusivity and viability
sleep 3 | iopassctl map --size 4K --attach $EDU --hold >/dev/null 2>&1 &
sleep 1
c 1 info $EDU && has "(EBUSY)" && has "another process holds it"
r=$?
wait
ok $r a_held_device_is_busy_for_others

c 1 bind $SHARED && has "not viable" && has "e1000" &&
	[ "$(basename "$(readlink /sys/bus/pci/devices/$SHARED/driver)")" != iopass-pci ]
ok $? a_group_that_is_not_viable_is_refused_and_explained

mate_driver ""

# ---- unbind
c 0 unbind $EDU $NVME && c 0 list && has "no device is bound" &&
	c 1 unbind $EDU && has "not bound to iopass"
ok $? unbind_gives_the_devices_back

rmmod iopass
c 1 map --size 4K && has "modprobe iopass" && c 1 bind $EDU && has "not registered"
r=$?
insmod $IOPASS_KO
ok $r without_the_module_it_says_to_load_it

# ---- JSON for help and for what is not a command, too
j 0 help && has '"command":"help","text":"usage: iopassctl' &&
	j 0 map --help && has '"text":"usage: iopassctl map' &&
	j 2 frobnicate && has '"error":"no command' &&
	j 1 info 00:1f.7 --json && has '"errno":"ENODEV"'
ok $? help_and_errors_are_json_objects_too

# ---- every JSON line is one object per command
r=0
while read -r line; do
	case "$line" in
	'{"command":"'*'}') ;;
	*) echo "not a JSON object: $line" >>$T/out; r=1 ;;
	esac
	echo "rig: json $line"
done <$JSON
[ -s $JSON ] || r=1
ok $r json_output_is_one_object_per_command

[ $failed = 0 ]
