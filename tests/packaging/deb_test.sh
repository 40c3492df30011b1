#!/usr/bin/env bash
# The Debian package as tools/make_deb.sh builds it, from the binaries Bazel provides
# to this test (fastbuild; `make deb` packages release builds the same way): control
# fields, Depends against the binaries' real ELF needs, conffiles, file modes,
# maintainer scripts, the default config loading, and `systemd-analyze verify` of the
# shipped units against the extracted package, so ExecStart paths really resolve.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

binaries=(ingestd controld ingestctl firehose-relay)
deb=$(tools/make_deb.sh --bin-dir="$PWD" --out="$tmp/out" --version=1.2.3+test)
[[ -f "$deb" && "$(basename "$deb")" == firehose_1.2.3+test_amd64.deb ]] || fail "no .deb: $deb"

# --- control fields
field() { dpkg-deb -f "$deb" "$1"; }
[[ "$(field Package)" == firehose ]] || fail "Package: $(field Package)"
[[ "$(field Version)" == 1.2.3+test ]] || fail "Version: $(field Version)"
[[ "$(field Architecture)" == amd64 ]] || fail "Architecture: $(field Architecture)"
depends=$(field Depends)
for want in 'libc6 (>= ' 'libstdc++6 (>= ' 'librte-eal23 (>= ' 'libgrpc++1.51 (>= ' \
  libsystemd0 'librte-bus-pci23 (>= ' 'librte-bus-vdev23 (>= ' 'librte-mempool-ring23 (>= ' \
  adduser; do
  [[ "$depends" == *"$want"* ]] || fail "Depends lacks '$want': $depends"
done
[[ "$(field Recommends)" == *'librte-net-ixgbe23 (>= '* ]] || fail "Recommends: $(field Recommends)"
# The package installs here: apt's resolver finds every Depends (real or virtual)
# at a satisfying version. A simulation: nothing is installed.
sim=$(apt-get install -s --no-install-recommends "$deb" 2>&1) || fail "apt-get -s install:\n$sim"
grep -q '^Inst firehose ' <<<"$sim" || fail "apt would not install the package:\n$sim"
if grep '^Inst ' <<<"$sim" | grep -v '^Inst firehose '; then
  fail "Depends pull in packages the build host lacks (above)"
fi

# --- files and modes
listing=$(dpkg-deb -c "$deb")
expect_entry() {  # MODE PATH
  grep -qE "^$1 root/root +[0-9]+ [0-9-]+ [0-9:]+ \./$2\$" <<<"$listing" ||
    fail "no $1 root/root ./$2 in the package:\n$listing"
}
for b in "${binaries[@]}"; do expect_entry -rwxr-xr-x "usr/bin/$b"; done
for u in firehose-controld firehose-ingestd; do expect_entry -rw-r--r-- "lib/systemd/system/$u.service"; done
expect_entry -rw-r--r-- lib/systemd/system/firehose-relay.service
expect_entry -rw-r--r-- usr/share/doc/firehose/examples/relay.yaml
expect_entry -rw-r--r-- etc/firehose/ingestd.yaml
expect_entry -rw-r--r-- etc/default/firehose
expect_entry -rw-r--r-- lib/udev/rules.d/60-firehose-vfio.rules
expect_entry -rw-r--r-- usr/share/doc/firehose/copyright
expect_entry -rw-r--r-- usr/share/doc/firehose/changelog.gz
if grep -v ' root/root ' <<<"$listing"; then fail "entries not owned by root/root"; fi

# --- control archive: conffiles and maintainer scripts
ctl="$tmp/ctl"
dpkg-deb -e "$deb" "$ctl"
[[ "$(cat "$ctl/conffiles")" == $'/etc/firehose/ingestd.yaml\n/etc/default/firehose' ]] ||
  fail "conffiles: $(cat "$ctl/conffiles")"
for s in postinst prerm postrm; do
  [[ -x "$ctl/$s" ]] || fail "$s not executable"
  sh -n "$ctl/$s" || fail "$s: shell syntax error"
done
grep -q 'adduser --quiet --system' "$ctl/postinst" || fail "postinst creates no system user"
(cd "$tmp" && mkdir -p x && dpkg-deb -x "$deb" x && cd x && md5sum --quiet -c "$ctl/md5sums") ||
  fail "md5sums do not match the files"
root="$tmp/x"

# --- the binaries: every NEEDED library resolves, and the package owning it (dpkg -S,
# independent of dpkg-shlibdeps) is in Depends
for b in "${binaries[@]}"; do
  resolved=$(ldd "$root/usr/bin/$b")
  if grep 'not found' <<<"$resolved"; then fail "$b: unresolved libraries"; fi
  needed=$(objdump -p "$root/usr/bin/$b" | awk '/NEEDED/ {print $2}')
  [[ -n "$needed" ]] || fail "$b: no NEEDED entries (not dynamically linked?)"
  # "libfoo.so.1 => /lib/.../libfoo.so.1 (0x...)", or the loader's own "/lib64/ld-... (0x...)"
  paths=$(awk 'NR == FNR {want[$1] = 1; next}
               $2 == "=>" && ($1 in want) {print $3}
               $2 != "=>" {n = split($1, p, "/"); if (p[n] in want) print $1}' \
    <(echo "$needed") <(echo "$resolved"))
  [[ $(wc -l <<<"$paths") == $(wc -l <<<"$needed") ]] || fail "$b: NEEDED $needed vs ldd $paths"
  # dpkg knows each library under /lib or /usr/lib (usrmerge): ask for both spellings.
  owners=$(dpkg-query -S $(for p in $paths; do
    echo "$p"; [[ $p == /usr/* ]] && echo "${p#/usr}" || echo "/usr$p"; done) 2>/dev/null || true)
  for lib in $needed; do
    owner=$(awk -F': ' -v l="$lib" '{n = split($2, p, "/"); if (p[n] == l) print $1}' \
      <<<"$owners" | head -1 | cut -d: -f1)
    [[ -n "$owner" ]] || fail "$b: no Debian package owns $lib"
    # Depends may name the owner or a virtual package it provides (its shlibs file says).
    names=" $owner $(dpkg-query -W -f='${Provides}' "$owner" | tr -d ',') "
    found=""
    for dep in $(tr -d ' ' <<<"$depends" | tr ',' '\n' | sed 's/(.*//'); do
      [[ "$names" == *" $dep "* ]] && found=$dep
    done
    [[ -n "$found" ]] || fail "$b needs $lib from $owner, which Depends lacks"
  done
done
"$root/usr/bin/ingestctl" --help >/dev/null || fail "packaged ingestctl does not run"

# --- the default config loads: preflight on an empty tree fails its checks (exit 1),
# never the config itself (exit 2)
mkdir -p "$tmp/empty"
set +e
"$root/usr/bin/ingestctl" preflight --config="$root/etc/firehose/ingestd.yaml" --root="$tmp/empty" \
  >"$tmp/preflight.out" 2>&1
code=$?
set -e
[[ $code == 1 ]] || fail "default config: ingestctl preflight exit $code: $(cat "$tmp/preflight.out")"

# The relay's example parses: the only complaint is the TLS file the operator provides.
set +e
relay_out=$(timeout 10 "$root/usr/bin/firehose-relay" \
  --config="$root/usr/share/doc/firehose/examples/relay.yaml" 2>&1)
code=$?
set -e
[[ $code != 0 && $code != 124 && "$relay_out" == *"grpc.tls.cert: cannot read"* ]] ||
  fail "relay example config: exit $code: $relay_out"

# --- systemd-analyze verify of the shipped units in the extracted package, with the
# host's own units (targets etc.) beside them. Clean means exit 0 and no output.
mkdir -p "$root/usr/lib/systemd"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
units=$(cd "$root/lib/systemd/system" && ls firehose-*.service)
verify() { (cd "$tmp" && systemd-analyze verify --root="$1" $2 2>&1); }
out=$(verify "$root" "$units") || fail "systemd-analyze verify failed:\n$out"
[[ -z "$out" ]] || fail "systemd-analyze verify is not clean:\n$out"
# The check can fail: a unit with a typo and one whose binary is absent are reported.
cp -a "$root" "$tmp/bad"
echo "WatchdogSecs=5" >>"$tmp/bad/lib/systemd/system/firehose-controld.service"
rm "$tmp/bad/usr/bin/ingestd"
out=$(verify "$tmp/bad" "firehose-controld.service firehose-ingestd.service") || true
[[ "$out" == *"Unknown key"*"WatchdogSecs"* ]] || fail "verify missed an unknown key: $out"
[[ "$out" == *"/usr/bin/ingestd is not executable"* ]] || fail "verify missed a missing binary: $out"

echo "PASS: $(basename "$deb") $(stat -c %s "$deb") bytes, units: $(echo $units)"
