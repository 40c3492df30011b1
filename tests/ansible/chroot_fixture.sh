# Throw-away Debian bookworm chroots for the playbook test (sourced, not run).
#
# A chroot is debootstrap --variant=minbase from the Debian mirror this machine's apt uses,
# plus what a real node has (python3 and python3-apt for Ansible's modules, systemd for
# systemctl and systemd-analyze, procps for sysctl), etcd, and the firehose package's
# runtime dependencies (apt-get satisfy of its Depends field). Building it takes minutes and
# downloads a few hundred MB, so the result is cached as a tarball outside the repository,
# keyed by everything that goes into it, and each run extracts fresh copies.
#
#   chroot_cache_tarball DEB        -> prints the tarball path (builds it when missing)
#   chroot_extract TARBALL DIR      -> a fresh chroot at DIR with /proc and /dev mounted
#   chroot_cleanup_all              -> unmounts and removes every chroot made (trap this)
#
# Safety: services never start inside (policy-rc.d exits 101, and there is no running
# systemd in the chroot); removal uses rm --one-file-system after unmounting, so a mount
# that did not go away cannot take the host's /dev or /proc with it.

CHROOT_SUITE=bookworm
CHROOT_CACHE_DIR=${FIREHOSE_TEST_CACHE:-/var/cache/firehose-tests}
# What every chroot gets besides minbase.
CHROOT_BASE_PACKAGES=(python3 python3-apt systemd procps etcd-server etcd-client)
CHROOT_DIRS=()

# The Debian mirror and security mirror apt uses here (deb822 or one-line sources),
# so the chroot fetches from the same registry with the same suites.
chroot_debian_sources() {
  local files=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources)
  /usr/bin/python3 - "${files[@]}" <<'EOF'
import os, re, sys
lines = []
for path in sys.argv[1:]:
    if not os.path.isfile(path):
        continue
    text = open(path).read()
    if path.endswith('.sources'):
        for stanza in re.split(r'\n\s*\n', text):
            fields = dict(re.findall(r'^(\w[\w-]*):\s*(.*)$', stanza, re.M))
            if 'deb' not in fields.get('Types', '').split():
                continue
            for uri in fields.get('URIs', '').split():
                for suite in fields.get('Suites', '').split():
                    lines.append((uri, suite))
    else:
        for line in text.splitlines():
            m = re.match(r'^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(\S+)', line)
            if m:
                lines.append((m.group(1), m.group(2)))
seen = set()
for uri, suite in lines:
    if not re.match(r'^bookworm(-updates|-security)?$', suite) or (uri, suite) in seen:
        continue
    seen.add((uri, suite))
    print(f'deb {uri} {suite} main')
EOF
}

chroot_mirror() {
  local mirror
  mirror=$(chroot_debian_sources | awk '$3 == "bookworm" {print $2; exit}')
  echo "${mirror:-http://deb.debian.org/debian}"
}

_chroot_mount() {
  local dir=$1
  mount -t proc proc "$dir/proc"
  mount --bind /dev "$dir/dev"
}

_chroot_umount() {
  local dir=$1 m
  # Deepest first; lazily if something still holds them.
  for m in "$dir/dev" "$dir/proc"; do
    if mountpoint -q "$m"; then umount "$m" 2>/dev/null || umount -l "$m"; fi
  done
}

chroot_cleanup_all() {
  local dir
  for dir in "${CHROOT_DIRS[@]}"; do
    [[ -d $dir ]] || continue
    _chroot_umount "$dir"
    if grep -q " $dir/" /proc/mounts; then
      echo "chroot_fixture: mounts left under $dir, not removing it" >&2
      continue
    fi
    rm -rf --one-file-system "$dir"
  done
  CHROOT_DIRS=()
}

# Prints the cached tarball for this package list, building it first when missing.
chroot_cache_tarball() {
  local deb=$1 depends key tarball
  depends=$(dpkg-deb -f "$deb" Depends)
  key=$( { echo "$CHROOT_SUITE minbase"; chroot_debian_sources; printf '%s\n' "${CHROOT_BASE_PACKAGES[@]}"; echo "$depends"; } \
    | sha256sum | cut -c1-16)
  tarball="$CHROOT_CACHE_DIR/$CHROOT_SUITE-minbase-$key.tar.zst"
  if [[ ! -s $tarball ]]; then
    _chroot_build "$tarball" "$depends" >&2 || return 1
  fi
  echo "$tarball"
}

_chroot_build() {
  local tarball=$1 depends=$2 dir start include
  mkdir -p "$CHROOT_CACHE_DIR"
  dir=$(mktemp -d "$CHROOT_CACHE_DIR/build.XXXXXX")
  CHROOT_DIRS+=("$dir")
  start=$(date +%s)
  include=$(IFS=,; echo "${CHROOT_BASE_PACKAGES[*]}")
  echo "chroot_fixture: building $tarball (debootstrap from $(chroot_mirror))"
  debootstrap --variant=minbase --include="$include" "$CHROOT_SUITE" "$dir/root" \
    "$(chroot_mirror)" >"$dir/debootstrap.log" 2>&1 \
    || { tail -20 "$dir/debootstrap.log"; return 1; }
  local root=$dir/root
  chroot_debian_sources >"$root/etc/apt/sources.list"
  printf '#!/bin/sh\n# Chroot: never start services.\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  CHROOT_DIRS+=("$root")
  _chroot_mount "$root"
  chroot "$root" apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get satisfy -y -qq \
      --no-install-recommends "$depends" >"$dir/satisfy.log" 2>&1 \
    || { tail -20 "$dir/satisfy.log"; _chroot_umount "$root"; return 1; }
  chroot "$root" apt-get clean
  _chroot_umount "$root"
  tar -C "$root" -cf - . | zstd -q -T0 -3 -o "$tarball.tmp" && mv "$tarball.tmp" "$tarball"
  echo "chroot_fixture: built in $(( $(date +%s) - start )) s: $(du -h "$tarball" | cut -f1)"
  rm -rf --one-file-system "$dir"
  # Chroots for package lists no longer in use (110 MB each) go after a week.
  find "$CHROOT_CACHE_DIR" -maxdepth 1 -name "$CHROOT_SUITE-minbase-*.tar.zst" \
    ! -path "$tarball" -mtime +7 -delete
}

# A fresh chroot at DIR from TARBALL, with /proc and /dev mounted.
chroot_extract() {
  local tarball=$1 dir=$2
  mkdir -p "$dir"
  CHROOT_DIRS+=("$dir")
  zstd -q -d -c "$tarball" | tar -C "$dir" -xf -
  _chroot_mount "$dir"
}
