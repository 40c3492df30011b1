#!/usr/bin/env bash
# A real run of ansible/site.yml against throw-away Debian bookworm chroots, one node of
# the example pair (edge1-a) and one member of the example etcd cluster (etcd-1), reached
# through the community.general.chroot connection and limited to those two hosts (the
# inventory still describes the whole pair and the three-member cluster, so the rendered
# member lists and endpoints are the real ones).
#
#   1. --check on the bare chroots: check mode must not fail on a new host.
#   2. First run: installs the firehose .deb (apt, runtime dependencies already in the
#      cached chroot), renders config and units, records "reboot required".
#   3. Second run: changed=0.   4. --check on the converged chroots: changed=0.
#      Also: site.yml itself calls a chroot an image (not live), and a wrong variable
#      (hugepage size 3M) stops a run at the role's argument spec.
#   5. The rendered files: the GRUB drop-in (sourced as update-grub does), ingestd.yaml
#      loaded by the installed `ingestctl preflight` against a fixture sysfs/procfs tree of
#      the machine as it boots with those kernel arguments (must pass; and must fail once
#      the NIC is on a kernel driver), sysctl.d, modules-load.d, fstab, the units
#      (enabled, and `systemd-analyze verify --root`), /etc/default/etcd and the daemons'
#      flags.
#
# Needs root (chroot, mount) and, on a fresh machine, the Debian mirror once to build the
# cached chroot (tests/ansible/chroot_fixture.sh). Every chroot and mount is removed on exit.
#
# Usage: playbook_test.sh SITE_YML [DEB]
# Without DEB (under Bazel) the package is built with tools/make_deb.sh from the binaries
# in the runfiles, as tests/packaging does.
set -euo pipefail

SITE=$(realpath -s "$1")
# Bazel's PATH lacks the sbin directories dpkg and the chroot's tools need.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# shellcheck source=tests/ansible/chroot_fixture.sh
source "$(dirname "$0")/chroot_fixture.sh"

if [[ $(id -u) -ne 0 ]]; then
  echo "playbook_test: needs root (chroot and mount)" >&2
  exit 1
fi

WORK=$(mktemp -d "${TEST_TMPDIR:-/tmp}/playbook.XXXXXX")
cleanup() {
  chroot_cleanup_all
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

if [[ -n ${2:-} ]]; then
  DEB=$(realpath "$2")
else
  relay_flag=--without-relay
  [[ -x relay/relay ]] && relay_flag=""
  DEB=$(tools/make_deb.sh --bin-dir="$PWD" --out="$WORK/deb" --version=1.0.0+test $relay_flag)
fi

# --- The target chroots ---------------------------------------------------------------
t0=$(date +%s)
TARBALL=$(chroot_cache_tarball "$DEB")
t1=$(date +%s)
NODE=$WORK/edge1-a
ETCD=$WORK/etcd-1
chroot_extract "$TARBALL" "$NODE"
chroot_extract "$TARBALL" "$ETCD"
t2=$(date +%s)
echo "chroots: cache $((t1 - t0)) s ($TARBALL), two extracted in $((t2 - t1)) s"

# --- The playbook and its inventory -----------------------------------------------------
# A copy of ansible/ (dereferenced from the runfiles); the inventory is the example's
# group_vars with the hosts pointed at the chroots.
cp -rL "$(dirname "$SITE")" "$WORK/ansible"
INV=$WORK/ansible/inventory/test
mkdir -p "$INV"
cp -r "$WORK/ansible/inventory/example/group_vars" "$INV/"
cat >"$INV/hosts.yml" <<EOF
all:
  children:
    firehose_nodes:
      hosts:
        edge1-a: {ansible_host: "$NODE", firehose_node_id: edge1-a}
        edge1-b: {ansible_host: /nonexistent, firehose_node_id: edge1-b}
    etcd:
      hosts:
        etcd-1: {ansible_host: "$ETCD", etcd_address: 10.0.0.21}
        etcd-2: {ansible_host: /nonexistent, etcd_address: 10.0.0.22}
        etcd-3: {ansible_host: /nonexistent, etcd_address: 10.0.0.23}
EOF
# Extra vars: how to reach the chroots, and that they are images, not live systems (no
# sysctl -p, hugepage reservations, mounts, modprobe or service starts on this host).
# apt's lists in the cached chroot are used as they are: no network during the runs.
cat >"$WORK/extra.yml" <<EOF
ansible_connection: community.general.chroot
ansible_become: false
ansible_python_interpreter: /usr/bin/python3
firehose_live_system: false
firehose_deb: "$DEB"
firehose_apt_cache_valid_time: 315360000
etcd_apt_cache_valid_time: 315360000
EOF

export ANSIBLE_CONFIG=$WORK/ansible/ansible.cfg ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
export ANSIBLE_LOCAL_TEMP=$WORK/ansible-tmp ANSIBLE_HOME=$WORK/ansible-home
export ANSIBLE_STDOUT_CALLBACK=default ANSIBLE_DISPLAY_SKIPPED_HOSTS=false

# Runs the playbook (extra args passed on), prints its log on failure, and leaves the PLAY
# RECAP's "host changed" pairs in $WORK/recap.
run_playbook() {
  local name=$1 start
  shift
  start=$(date +%s)
  if ! (cd "$WORK/ansible" && ansible-playbook -i "$INV" site.yml -e "@$WORK/extra.yml" \
        --limit edge1-a,etcd-1 "$@") >"$WORK/$name.log" 2>&1; then
    cat "$WORK/$name.log" >&2
    fail "ansible-playbook $name failed"
  fi
  sed -n '/^PLAY RECAP/,$p' "$WORK/$name.log" \
    | awk '/ok=/ {h=$1; for (i = 2; i <= NF; i++) if ($i ~ /^(changed|failed|unreachable)=/) r = r " " $i; print h r; r = ""}' \
    >"$WORK/recap"
  echo "$name: $(($(date +%s) - start)) s;" $(cat "$WORK/recap")
  [[ $(grep -c . "$WORK/recap") -eq 2 ]] || { cat "$WORK/$name.log" >&2; fail "$name: recap lacks a host"; }
  if grep -v 'failed=0' "$WORK/recap" | grep -q . || grep -v 'unreachable=0' "$WORK/recap" | grep -q .; then
    cat "$WORK/$name.log" >&2
    fail "$name: failed or unreachable hosts"
  fi
}

changed_of() { awk -v h="$1" '$1 == h {for (i = 2; i <= NF; i++) if ($i ~ /^changed=/) {sub("changed=", "", $i); print $i}}' "$WORK/recap"; }

expect_unchanged() {
  local host
  for host in edge1-a etcd-1; do
    [[ $(changed_of "$host") == 0 ]] || {
      grep -E '^(changed|TASK)' "$WORK/$1.log" | grep -B1 '^changed' >&2
      fail "$1: $host reported changed=$(changed_of "$host"), want 0"
    }
  done
}

# site.yml's own decision, without the extra var: a chroot is an image, not a live system.
# --tags with a tag no role carries runs only the always-tagged facts play.
grep -v '^firehose_live_system:' "$WORK/extra.yml" >"$WORK/extra-detect.yml"
(cd "$WORK/ansible" && ansible-playbook -i "$INV" site.yml -e "@$WORK/extra-detect.yml" \
  --limit edge1-a,etcd-1 --tags detect-only) >"$WORK/detect.log" 2>&1 || { cat "$WORK/detect.log" >&2; fail "detect run"; }
for host in edge1-a etcd-1; do
  grep -q "\"$host: image (files only" "$WORK/detect.log" || { cat "$WORK/detect.log" >&2; fail "$host not detected as an image"; }
done

run_playbook check-bare --check
[[ ! -e $NODE/etc/firehose/ingestd.yaml ]] || fail "--check wrote ingestd.yaml"
run_playbook first
[[ $(changed_of edge1-a) -gt 0 && $(changed_of etcd-1) -gt 0 ]] || fail "first run changed nothing"
grep -q 'REBOOT REQUIRED on edge1-a' "$WORK/first.log" || fail "first run did not say REBOOT REQUIRED"
[[ -s $NODE/run/reboot-required ]] || fail "no /var/run/reboot-required after new kernel arguments"
grep -qx firehose "$NODE/run/reboot-required.pkgs" || fail "reboot-required.pkgs does not name firehose"
run_playbook second
expect_unchanged second
run_playbook check-converged --check
expect_unchanged check-converged

# A wrong variable stops the run at the role's argument check, before any task.
if (cd "$WORK/ansible" && ansible-playbook -i "$INV" site.yml -e "@$WORK/extra.yml" \
    -e '{"firehose_hugepages": [{"size": "3M", "count": 1}]}' --limit edge1-a \
    --tags kernel_args) >"$WORK/bad-arg.log" 2>&1; then
  fail "a hugepage size of 3M was accepted"
fi
grep -q "value of size must be one of: 2M, 1G" "$WORK/bad-arg.log" \
  || { cat "$WORK/bad-arg.log" >&2; fail "no argument-spec message for size 3M"; }

# --- The rendered files ---------------------------------------------------------------
in_node() { chroot "$NODE" "$@"; }

# The package, installed through apt from the controller's .deb.
want_version=$(dpkg-deb -f "$DEB" Version)
got_version=$(in_node dpkg-query -W -f='${Status} ${Version}' firehose)
[[ $got_version == "install ok installed $want_version" ]] || fail "firehose package: $got_version"

# GRUB: what update-grub gets after sourcing /etc/default/grub and then the drop-in.
cmdline=$(GRUB_CMDLINE_LINUX="quiet" bash -c '. "$1"; echo "$GRUB_CMDLINE_LINUX"' _ \
  "$NODE/etc/default/grub.d/firehose.cfg")
want="quiet intel_iommu=on iommu=pt default_hugepagesz=1G hugepagesz=1G hugepages=4"
want+=" isolcpus=managed_irq,domain,2,3,4,5 nohz_full=2,3,4,5 rcu_nocbs=2,3,4,5"
[[ $cmdline == "$want" ]] || fail "GRUB_CMDLINE_LINUX: got '$cmdline', want '$want'"

grep -qx 'net.core.rmem_max=33554432' "$NODE/etc/sysctl.d/60-firehose.conf" \
  || fail "sysctl.d: $(cat "$NODE/etc/sysctl.d/60-firehose.conf")"
grep -qx 'net.core.netdev_max_backlog=250000' "$NODE/etc/sysctl.d/60-firehose.conf" \
  || fail "sysctl.d lacks netdev_max_backlog"
[[ $(grep -v '^#' "$NODE/etc/modules-load.d/firehose-vfio.conf" | paste -sd' ') == \
   "vfio vfio_iommu_type1 vfio_pci" ]] || fail "modules-load.d: $(cat "$NODE/etc/modules-load.d/firehose-vfio.conf")"
gid=$(in_node getent group firehose | cut -d: -f3)
grep -qE "^hugetlbfs +/dev/hugepages-1G +hugetlbfs +pagesize=1G,gid=$gid,mode=1770 " "$NODE/etc/fstab" \
  || fail "fstab (group firehose is $gid): $(cat "$NODE/etc/fstab")"
[[ $(in_node stat -c "%U:%G %a" /etc/firehose/ingestd.yaml) == "root:firehose 640" ]] \
  || fail "ingestd.yaml: $(in_node stat -c "%U:%G %a" /etc/firehose/ingestd.yaml)"

# Units: the NIC binding unit runs the installed ingestctl for the example's NIC and is
# required by ingestd; the package's units are enabled.
unit=$NODE/etc/systemd/system/firehose-nic-bind.service
grep -qx 'ExecStart=/usr/bin/ingestctl nic bind --driver vfio-pci 0000:3b:00.0' "$unit" \
  || fail "firehose-nic-bind.service: $(grep ExecStart "$unit")"
[[ -L $NODE/etc/systemd/system/firehose-ingestd.service.requires/firehose-nic-bind.service ]] \
  || fail "firehose-ingestd.service does not require firehose-nic-bind.service"
for u in firehose-nic-bind firehose-controld firehose-ingestd; do
  [[ $(in_node systemctl is-enabled "$u.service" 2>/dev/null) == enabled ]] \
    || fail "$u.service is not enabled"
done
if ! systemd-analyze verify --root="$NODE" firehose-nic-bind.service firehose-controld.service \
     firehose-ingestd.service >"$WORK/verify.log" 2>&1; then
  cat "$WORK/verify.log" >&2
  fail "systemd-analyze verify --root"
fi

# The daemons' options, as their units' EnvironmentFile= reads them: controld campaigns in
# the example's three-member etcd cluster under the pair's key.
opts=$(bash -c '. "$1"; echo "$CONTROLD_OPTS|$INGESTD_OPTS"' _ "$NODE/etc/default/firehose")
want="--etcd=ipv4:10.0.0.21:2379,10.0.0.22:2379,10.0.0.23:2379 --election=/firehose/pairs/edge1/leader"
want+=" --lease_ttl_ms=2000 --metrics_listen=0.0.0.0:9101 --log_level=info"
want+="|--service_ip=10.0.1.10 --log_level=info"
[[ $opts == "$want" ]] || fail "/etc/default/firehose: got '$opts', want '$want'"

# etcd: one member of the whole cluster.
etcd_default=$ETCD/etc/default/etcd
grep -qx 'ETCD_NAME="etcd-1"' "$etcd_default" || fail "ETCD_NAME: $(cat "$etcd_default")"
grep -qx 'ETCD_INITIAL_CLUSTER="etcd-1=http://10.0.0.21:2380,etcd-2=http://10.0.0.22:2380,etcd-3=http://10.0.0.23:2380"' \
  "$etcd_default" || fail "ETCD_INITIAL_CLUSTER: $(grep INITIAL_CLUSTER= "$etcd_default")"
[[ $(chroot "$ETCD" systemctl is-enabled etcd.service 2>/dev/null) == enabled ]] || fail "etcd not enabled"

# ingestd.yaml through ingestd's own loader (the installed ingestctl), against the machine
# as it will boot: /proc/cmdline from the drop-in, the 1G pages it reserves, the NIC on
# vfio-pci in its own IOMMU group, the vfio modules loaded, the hugetlbfs mount.
FIX=$NODE/tmp/fixture
mkdir -p "$FIX"/{proc,sys/devices/system/cpu,sys/devices/system/node/node0,sys/module/vfio_pci}
echo "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro $cmdline" >"$FIX/proc/cmdline"
echo "hugetlbfs /mnt/huge-1G hugetlbfs rw,relatime,pagesize=1G 0 0" >"$FIX/proc/mounts"
echo "0-7" >"$FIX/sys/devices/system/cpu/online"
echo "2-5" >"$FIX/sys/devices/system/cpu/isolated"
echo "0-7" >"$FIX/sys/devices/system/node/node0/cpulist"
for cpu in 0 1 2 3 4 5 6 7; do
  mkdir -p "$FIX/sys/devices/system/cpu/cpu$cpu"
  ln -s ../../node/node0 "$FIX/sys/devices/system/cpu/cpu$cpu/node0"
done
for dir in sys/devices/system/node/node0/hugepages sys/kernel/mm/hugepages; do
  mkdir -p "$FIX/$dir/hugepages-1048576kB"
  echo 4 >"$FIX/$dir/hugepages-1048576kB/nr_hugepages"
  echo 4 >"$FIX/$dir/hugepages-1048576kB/free_hugepages"
done
mkdir -p "$FIX/sys/module/vfio/parameters" "$FIX/sys/bus/pci/drivers/vfio-pci" \
  "$FIX/sys/bus/pci/drivers/ixgbe" "$FIX/sys/kernel/iommu_groups/40/devices"
echo N >"$FIX/sys/module/vfio/parameters/enable_unsafe_noiommu_mode"
pci=$FIX/sys/bus/pci/devices/0000:3b:00.0
mkdir -p "$pci"
echo 0x020000 >"$pci/class"
echo 0 >"$pci/numa_node"
ln -s ../../../../kernel/iommu_groups/40 "$pci/iommu_group"
ln -s ../../../../bus/pci/devices/0000:3b:00.0 "$FIX/sys/kernel/iommu_groups/40/devices/0000:3b:00.0"
ln -s ../../../../bus/pci/drivers/vfio-pci "$pci/driver"

if ! in_node ingestctl preflight --config=/etc/firehose/ingestd.yaml --root=/tmp/fixture \
     >"$WORK/preflight.txt" 2>&1; then
  cat "$WORK/preflight.txt" >&2
  fail "preflight of the rendered ingestd.yaml on the booted-machine fixture"
fi
for check in hugepages driver vfio_module iommu_group lcore_isolated; do
  grep -qE "^pass +$check " "$WORK/preflight.txt" || { cat "$WORK/preflight.txt" >&2; fail "preflight: $check did not pass"; }
done
# The same config with the NIC still on its kernel driver: preflight must say so.
ln -sfn ../../../../bus/pci/drivers/ixgbe "$pci/driver"
if in_node ingestctl preflight --config=/etc/firehose/ingestd.yaml --root=/tmp/fixture \
     >"$WORK/preflight-bad.txt" 2>&1; then
  fail "preflight passed with the NIC on ixgbe"
fi
grep -q 'ingestctl nic bind 0000:3b:00.0' "$WORK/preflight-bad.txt" \
  || { cat "$WORK/preflight-bad.txt" >&2; fail "preflight did not name the fix"; }

echo "PASS: site.yml converged edge1-a and etcd-1 in chroots; second run and --check changed nothing"
