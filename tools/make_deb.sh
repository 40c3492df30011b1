#!/usr/bin/env bash
# Builds the firehose Debian package with dpkg-deb (no debhelper): ingestd, controld,
# ingestctl and the relay, the systemd units, the udev rule for vfio devices and the
# commented default config. See docs/packaging.md.
#
#   tools/make_deb.sh                      release build (bazel --config=release), then
#                                          build/deb/firehose_<version>_amd64.deb
#   tools/make_deb.sh --bin-dir=DIR        package binaries already built under DIR in
#                                          bazel-bin layout (node/ingestd, ...); the
#                                          packaging test does this with fastbuild ones
#   --out=DIR          where the .deb goes (default build/deb)
#   --version=V        package version (default: packaging/VERSION + git revision)
#   --without-relay    leave firehose-relay out (only while //relay:relay cannot build);
#                      without it a missing relay is an error
#
# Depends: dpkg-shlibdeps over the binaries (a throw-away debian/ directory gives it
# the context it wants), plus the DPDK drivers ingestd dlopen()s at run time, which no
# ELF header names, mapped to their Debian packages with dpkg -S.
set -euo pipefail

die() { echo "make_deb: $*" >&2; exit 1; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin_dir=""
out="$here/build/deb"
version=""
with_relay=1
for arg in "$@"; do
  case "$arg" in
    --bin-dir=*) bin_dir=${arg#*=} ;;
    --out=*) out=${arg#*=} ;;
    --version=*) version=${arg#*=} ;;
    --without-relay) with_relay=0 ;;
    -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $arg (see --help)" ;;
  esac
done
for tool in dpkg-deb dpkg-shlibdeps dpkg-query strip; do
  command -v "$tool" >/dev/null || die "$tool not found: run tools/bootstrap.sh (dpkg-dev, binutils)"
done

# bazel label -> path under bazel-bin -> installed name
targets=("//node:ingestd" "//controlplane/controld:controld" "//controlplane/ingestctl:ingestctl")
paths=("node/ingestd" "controlplane/controld/controld" "controlplane/ingestctl/ingestctl")
names=("ingestd" "controld" "ingestctl")
if [[ $with_relay == 1 ]]; then
  targets+=("//relay:relay"); paths+=("relay/relay"); names+=("firehose-relay")
fi

if [[ -z "$bin_dir" ]]; then
  cd "$here"
  if [[ $with_relay == 1 && ! -f relay/BUILD.bazel ]]; then
    die "//relay:relay does not exist (no relay/BUILD.bazel); the package ships the relay." \
        "Build a node-only package with --without-relay."
  fi
  bazel=${BAZEL:-bazel}
  "$bazel" build --config=release "${targets[@]}" || die "release build of ${targets[*]} failed"
  bin_dir=$("$bazel" info --config=release bazel-bin)
fi
for i in "${!paths[@]}"; do
  [[ -x "$bin_dir/${paths[$i]}" ]] ||
    die "${targets[$i]}: $bin_dir/${paths[$i]} missing or not executable"
done

if [[ -z "$version" ]]; then
  base=$(tr -d ' \n' <"$here/packaging/VERSION")
  if rev=$(git -C "$here" rev-list --count HEAD 2>/dev/null); then
    # Monotonic on main, so apt sees each build as an upgrade of the one before.
    version="$base+git$rev.$(git -C "$here" rev-parse --short=8 HEAD)"
  else
    version="$base"
  fi
fi
[[ "$version" =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || die "--version=$version is not a Debian version"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# dpkg-shlibdeps wants the binaries inside a source tree's debian/<package>/ and reads
# debian/control for the package list: a minimal throw-away one serves.
stage="$work/src/debian/firehose"
pkg="$here/packaging"
install -d -m 0755 "$stage/DEBIAN" "$stage/usr/bin" "$stage/lib/systemd/system" \
  "$stage/lib/udev/rules.d" "$stage/etc/firehose" "$stage/etc/default" \
  "$stage/usr/share/doc/firehose/examples"

for i in "${!paths[@]}"; do
  # Stripped like any Debian binary (bazel's opt build keeps symbols).
  strip --strip-unneeded -o "$stage/usr/bin/${names[$i]}" "$bin_dir/${paths[$i]}"
  chmod 0755 "$stage/usr/bin/${names[$i]}"
done
install -m 0644 "$pkg"/systemd/firehose-controld.service "$pkg"/systemd/firehose-ingestd.service \
  "$stage/lib/systemd/system/"
[[ $with_relay == 1 ]] && install -m 0644 "$pkg/systemd/firehose-relay.service" "$stage/lib/systemd/system/"
install -m 0644 "$pkg/udev/60-firehose-vfio.rules" "$stage/lib/udev/rules.d/"
install -m 0644 "$pkg/etc/ingestd.yaml" "$stage/etc/firehose/ingestd.yaml"
install -m 0644 "$pkg/etc/default-firehose" "$stage/etc/default/firehose"
install -m 0644 "$here/docs/packaging.md" "$stage/usr/share/doc/firehose/packaging.md"
install -m 0644 "$here/node/config/example.yaml" "$stage/usr/share/doc/firehose/examples/ingestd-demo.yaml"
install -m 0644 "$pkg/debian/copyright" "$stage/usr/share/doc/firehose/copyright"
[[ -f "$pkg/etc/relay.yaml" && $with_relay == 1 ]] &&
  install -m 0644 "$pkg/etc/relay.yaml" "$stage/usr/share/doc/firehose/examples/relay.yaml"
# A native package's changelog: one entry for this build (lintian: no-changelog).
{
  echo "firehose ($version) unstable; urgency=medium"
  echo
  echo "  * Built from $(git -C "$here" describe --always --dirty 2>/dev/null || echo "a source tree")."
  echo
  echo " -- firehose maintainers <firehose-maintainers@example.org>  $(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}")"
} | gzip -9n >"$stage/usr/share/doc/firehose/changelog.gz"
chmod 0644 "$stage/usr/share/doc/firehose/changelog.gz"
install -m 0644 "$pkg/debian/conffiles" "$stage/DEBIAN/conffiles"
install -m 0755 "$pkg/debian/postinst" "$pkg/debian/prerm" "$pkg/debian/postrm" "$stage/DEBIAN/"

# Linked libraries, from each binary's NEEDED entries and the libraries' shlibs/symbols.
printf 'Source: firehose\n\nPackage: firehose\nArchitecture: amd64\n' >"$work/src/debian/control"
shlibs=$(cd "$work/src" && dpkg-shlibdeps -O --warnings=0 "$stage"/usr/bin/*) ||
  die "dpkg-shlibdeps failed"
depends=${shlibs#shlibs:Depends=}
[[ -n "$depends" && "$depends" != "$shlibs" ]] || die "dpkg-shlibdeps printed no Depends"

# Drivers EAL loads from its plugin directory: without the PCI and vdev buses and the
# ring mempool no port comes up at all (hard Depends); NIC drivers are Recommends.
pmd_dir=""
[[ -n "$pmd_dir" ]] || pmd_dir=$(ls -d /usr/lib/x86_64-linux-gnu/dpdk/pmds-* | head -1)
plugin_packages() {
  local out=() so deb ver
  for so in "$@"; do
    deb=$(dpkg-query -S "$pmd_dir/librte_$so.so.*.*" 2>/dev/null | head -1 | cut -d: -f1) ||
      true
    [[ -n "$deb" ]] || die "no Debian package provides $pmd_dir/librte_$so.so (install it)"
    ver=$(dpkg-query -W -f='${Version}' "$deb")
    out+=("$deb (>= ${ver%%-*})")
  done
  local IFS=,; echo "${out[*]}" | sed 's/,/, /g'
}
depends="$depends, $(plugin_packages bus_pci bus_vdev mempool_ring), adduser"
recommends=$(plugin_packages net_ixgbe net_i40e net_ice net_mlx5 net_af_packet net_af_xdp net_pcap)

installed_kb=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@INSTALLED_SIZE@|$installed_kb|" \
  -e "s|@DEPENDS@|$depends|" -e "s|@RECOMMENDS@|$recommends|" \
  "$pkg/debian/control.in" >"$stage/DEBIAN/control"
(cd "$stage" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' |
  sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"

mkdir -p "$out"
deb="$out/firehose_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
