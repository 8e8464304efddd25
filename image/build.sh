#!/usr/bin/env bash
# image/build.sh BUILD_DIR BINARY... — the firmware image (docs/image.md, issue 5).
#
# BINARY...: the sipha programs to install in /usr/bin, sipd first, e.g. build/bin/sipd
# build/bin/sipha-netcfg build/bin/sipha-agent build/bin/siphactl. A daemon's unit ships and is
# enabled only when its binary is given (image/services.list); a tool (siphactl) has no unit.
#
# Builds BUILD_DIR/image/sipha-<version>-x86_64.img from Debian 12 packages and the given sipha
# binaries, from files only (no loop device, no mount, no container): mmdebstrap into a directory
# (cached, keyed by the package set), mkfs.erofs, veritysetup on plain files, mkfs.vfat + mcopy
# for the ESP, sfdisk on the image file and dd of each piece. The data partition (/var) is left
# empty: the first boot creates its file system.
# Reproducible: SOURCE_DATE_EPOCH (default: the last commit's time) pins every timestamp and all
# UUIDs and salts are fixed, so the same package set and binaries give the same bytes.
#
# Environment: SOURCE_DATE_EPOCH, SIPHA_IMAGE_CACHE (mmdebstrap cache dir, default
# BUILD_DIR/image-cache), SIPHA_SB_KEY/SIPHA_SB_CERT (sign BOOTX64.EFI and the UKI with sbsign).
set -euo pipefail
export LC_ALL=C TZ=UTC

if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR SIPD_BINARY [OTHER_SIPHA_BINARY...]" >&2
  exit 2
fi
if [ "$(id -u)" != 0 ]; then
  echo "$0: needs root (mmdebstrap --mode=root)" >&2
  exit 1
fi

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/.." && pwd)
build_dir=$(realpath -m "$1")
shift
binaries=()
given=" "
for binary in "$@"; do
  binaries+=("$(realpath "$binary")")
  given+="$(basename "$binary") "
done
# sipha-agent's unit asks `siphactl pair-mode` whether to start it (ExecCondition); without
# siphactl systemd would count the missing program as "condition failed" and skip the agent
# without a word.
if [[ "$given" == *" sipha-agent "* && "$given" != *" siphactl "* ]]; then
  echo "$0: sipha-agent needs siphactl in the image (its unit's ExecCondition): give both" >&2
  exit 2
fi

# shellcheck source=image/layout.sh
. "$here/layout.sh"

version=$(sed -n 's/^project(sipha VERSION \([0-9.]*\).*/\1/p' "$source_dir/CMakeLists.txt")
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$source_dir" log -1 --format=%ct)}
out_dir=$build_dir/image
work=$out_dir/work
cache_root=${SIPHA_IMAGE_CACHE:-$build_dir/image-cache}
image=$out_dir/sipha-$version-x86_64.img
started=$(date +%s)

step() { printf '== %s (%ss)\n' "$*" "$(($(date +%s) - started))"; }
heavy() { nice -n 10 "$@"; }

needTools() {
  local missing=()
  for tool in mmdebstrap mkfs.erofs veritysetup mkfs.vfat mcopy faketime sfdisk objcopy \
    objdump systemd-sysusers systemctl dpkg-query; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "$0: missing tools: ${missing[*]} (see docs/image.md for the packages)" >&2
    exit 1
  fi
}

# The package set: image/packages.list plus the Debian packages that provide the binaries'
# shared libraries on this (Debian 12) build host.
packageSet() {
  {
    sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/packages.list" | grep -v '^$'
    for binary in "${binaries[@]}"; do
      ldd "$binary" | awk '/=> \//{print $3}' | while read -r lib; do
        dpkg -S "$(realpath "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null || true
      done | sed 's/:.*//; s/,.*//' | sed 's/:amd64$//'
    done
  } | sort -u
}

# mmdebstrap into a directory, the initramfs built inside it (dracut needs the tree's kernel
# modules). Cached: the key covers the package set, the dracut configuration and this hook.
baseTree() {
  local packages key dir
  packages=$(packageSet)
  # The tree's own epoch (initramfs timestamps) follows the files that define it, so a commit
  # elsewhere in the repository does not invalidate the cache.
  local epoch
  epoch=$(git -C "$source_dir" log -1 --format=%ct -- image/packages.list image/dracut.conf \
    image/base-hook.sh 2>/dev/null || true)
  epoch=${epoch:-$SOURCE_DATE_EPOCH}
  key=$( {
    echo "$packages"
    cat "$here/dracut.conf" "$here/base-hook.sh"
    echo "$epoch"
  } | sha256sum | cut -c1-16)
  dir=$cache_root/base-$key
  if [ ! -f "$dir.done" ]; then
    step "mmdebstrap (cache miss, key $key)"
    rm -rf "$dir" "$dir.tmp"
    mkdir -p "$cache_root"
    SOURCE_DATE_EPOCH=$epoch heavy mmdebstrap --mode=root --variant=essential --quiet \
      --include="$(echo "$packages" | paste -sd,)" \
      --aptopt='Acquire::Check-Valid-Until "false"' \
      --aptopt='APT::Install-Recommends "false"' \
      --dpkgopt='path-exclude=/usr/share/man/*' \
      --dpkgopt='path-exclude=/usr/share/info/*' \
      --dpkgopt='path-exclude=/usr/share/doc/*' \
      --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --dpkgopt='path-exclude=/usr/share/locale/*' \
      --setup-hook='mkdir -p "$1/etc/dracut.conf.d"' \
      --setup-hook="cp '$here/dracut.conf' \"\$1/etc/dracut.conf.d/50-sipha.conf\"" \
      --customize-hook="'$here/base-hook.sh' \"\$1\"" \
      bookworm "$dir.tmp" /etc/apt/sources.list.d/debian.sources
    mv "$dir.tmp" "$dir"
    echo "$packages" >"$dir.packages"
    touch "$dir.done"
    # keep only this tree: each one is about 1 GB
    find "$cache_root" -mindepth 1 -maxdepth 1 -name 'base-*' ! -name "base-$key*" \
      -exec rm -rf {} +
  else
    step "mmdebstrap cache hit (key $key)"
  fi
  base=$dir
}

# The appliance root: the cached tree, rootfs/ from the repository, the binaries and their units.
applianceTree() {
  local root=$work/root name unit
  step "root tree"
  cp -a "$base" "$root"
  mv "$root/boot/vmlinuz-"* "$work/vmlinuz"
  mv "$root/boot/initrd.img-sipha" "$work/initrd"
  rm -f "$root/boot/"* "$root/vmlinuz"* "$root/initrd.img"*

  (cd "$source_dir/rootfs" && tar --exclude=./etc/sipha/demo.ini -cf - .) |
    tar -C "$root" --no-same-owner -xf -

  mkdir -p "$root/usr/lib/sipha"
  : >"$root/usr/lib/sipha/services"
  for binary in "${binaries[@]}"; do
    install -m 0755 "$binary" "$root/usr/bin/$(basename "$binary")"
    strip --strip-unneeded "$root/usr/bin/$(basename "$binary")"
  done
  # image/services.list is the one list of sipha services: a unit ships only with its binary.
  while read -r name unit; do
    case "$name" in '' | '#'*) continue ;; esac
    if [ -x "$root/usr/bin/$name" ]; then
      echo "$unit" >>"$root/usr/lib/sipha/services"
    else
      rm -f "$root/usr/lib/systemd/system/$unit"
    fi
  done <"$here/services.list"

  step "users, units"
  systemd-sysusers --root="$root" >/dev/null
  # shellcheck disable=SC2046
  systemctl --root="$root" --quiet enable $(cat "$root/usr/lib/sipha/services") \
    systemd-networkd.service systemd-timesyncd.service nftables.service \
    sipha-firstboot.service sipha-test-console.service
  systemctl --root="$root" --quiet disable systemd-networkd-wait-online.service 2>/dev/null || true
  systemctl --root="$root" --quiet mask systemd-networkd-wait-online.service \
    apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
    fstrim.timer 2>/dev/null || true
  systemctl --root="$root" set-default multi-user.target >/dev/null

  # Read-only root: identity and state live on the data partition (/var).
  rm -f "$root/etc/machine-id" "$root/var/lib/dbus/machine-id"
  ln -s ../var/lib/sipha/identity/machine-id "$root/etc/machine-id"
  echo sipha >"$root/etc/hostname"
  rm -rf "$root/var/cache/apt/"* "$root/var/lib/apt/lists/"* "$root/var/log/"*
  rm -f "$root/etc/ssh/"*_key* "$root/var/cache/ldconfig/aux-cache"
  rm -f "$root/etc/resolv.conf"
  ln -s ../run/systemd/netif/resolv.conf "$root/etc/resolv.conf"
  printf 'BUILD_ID=%s\nIMAGE_ID=sipha\nIMAGE_VERSION=%s\n' "$SOURCE_DATE_EPOCH" "$version" \
    >>"$root/usr/lib/os-release"

  # /var is the data partition, created empty at first boot (x-systemd.makefs): the root keeps
  # an empty mount point, and the package database, read-only, for dpkg-query and audits
  # (tmpfiles links /var/lib/dpkg to it).
  mkdir -p "$root/usr/share/sipha"
  mv "$root/var/lib/dpkg" "$root/usr/share/sipha/dpkg"
  rm -rf "$root/var"
  mkdir -m 0755 "$root/var"
  find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

rootPartition() {
  step "erofs"
  heavy mkfs.erofs --quiet -zlz4hc -T "$SOURCE_DATE_EPOCH" -U "$FS_UUID_ROOT" \
    "$work/root.erofs" "$work/root" >/dev/null
  step "verity"
  veritysetup format --data-block-size=4096 --hash-block-size=4096 \
    --salt="$VERITY_SALT" --uuid="$VERITY_UUID" \
    "$work/root.erofs" "$work/root.verity" >"$work/verity.txt"
  roothash=$(awk '/^Root hash:/{print $3}' "$work/verity.txt")
  [ -n "$roothash" ]
}

# A unified kernel image: the systemd-boot stub with .osrel, .cmdline, .linux and .initrd
# sections (UAPI "Unified Kernel Image" spec), placed after the stub's last section.
kernelImage() {
  local stub=$base/usr/lib/systemd/boot/efi/linuxx64.efi.stub
  local cmdline="root=/dev/mapper/root roothash=$roothash"
  cmdline+=" systemd.verity_root_data=PARTUUID=$PART_UUID_ROOT_A"
  cmdline+=" systemd.verity_root_hash=PARTUUID=$PART_UUID_VERITY_A"
  cmdline+=" systemd.verity_root_options=restart-on-corruption"
  cmdline+=" rootfstype=erofs ro systemd.gpt_auto=0 rd.shell=0 rd.emergency=reboot"
  cmdline+=" console=tty0 console=ttyS0,115200 quiet loglevel=3 lockdown=integrity"
  step "UKI"
  printf '%s' "$cmdline" >"$work/cmdline"
  cp "$work/root/usr/lib/os-release" "$work/osrel"
  local align=4096 offset name file args=()
  local vma size
  read -r vma size < <(objdump -h "$stub" | awk 'NF==7 && $1 ~ /^[0-9]+$/ {v=$4; s=$3} END{print v, s}')
  offset=$((0x$vma + 0x$size))
  for pair in osrel:osrel cmdline:cmdline linux:vmlinuz initrd:initrd; do
    name=${pair%%:*}
    file=$work/${pair#*:}
    offset=$(((offset + align - 1) / align * align))
    args+=(--add-section ".$name=$file" --change-section-vma ".$name=$(printf '0x%x' "$offset")")
    offset=$((offset + $(stat -c %s "$file")))
  done
  objcopy "${args[@]}" "$stub" "$work/uki.efi"
  pinPeTimestamp "$work/uki.efi"
  cp "$base/usr/lib/systemd/boot/efi/systemd-bootx64.efi" "$work/bootx64.efi"
  if [ -n "${SIPHA_SB_KEY:-}" ]; then
    for efi in "$work/uki.efi" "$work/bootx64.efi"; do
      sbsign --key "$SIPHA_SB_KEY" --cert "$SIPHA_SB_CERT" --output "$efi.signed" "$efi"
      mv "$efi.signed" "$efi"
    done
  fi
}

# objcopy writes the build time into the PE header (COFF TimeDateStamp, 8 bytes after "PE\0\0")
# and a checksum over it: pin the first to SOURCE_DATE_EPOCH and recompute the second.
pinPeTimestamp() {
  python3 - "$1" "$SOURCE_DATE_EPOCH" <<'PY'
import struct, sys
path, epoch = sys.argv[1], int(sys.argv[2])
data = bytearray(open(path, "rb").read())
pe = struct.unpack_from("<I", data, 0x3C)[0]
struct.pack_into("<I", data, pe + 8, epoch)
checksum_at = pe + 24 + 64
struct.pack_into("<I", data, checksum_at, 0)
total = 0
padded = data + b"\0" * (len(data) % 2)
for (word,) in struct.iter_unpack("<H", padded):
    total += word
    total = (total & 0xFFFF) + (total >> 16)
struct.pack_into("<I", data, checksum_at, ((total & 0xFFFF) + len(data)) & 0xFFFFFFFF)
open(path, "wb").write(data)
PY
}

espPartition() {
  step "ESP (vfat)"
  local esp=$work/esp.vfat
  rm -f "$esp"
  mkfs.vfat --invariant -i "$ESP_VOLUME_ID" -n SIPHA-ESP -F 32 -C "$esp" $((ESP_MIB * 1024)) >/dev/null
  mkdir -p "$work/esp/EFI/BOOT" "$work/esp/EFI/Linux" "$work/esp/loader"
  cp "$work/bootx64.efi" "$work/esp/EFI/BOOT/BOOTX64.EFI"
  cp "$work/uki.efi" "$work/esp/EFI/Linux/sipha-$version.efi"
  printf 'timeout 0\neditor no\ndefault sipha-*\n' >"$work/esp/loader/loader.conf"
  find "$work/esp" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  # mtools stamps directories with the current time (to 10 ms): frozen at SOURCE_DATE_EPOCH
  MTOOLS_SKIP_CHECK=1 faketime -f "$(date -u -d "@$SOURCE_DATE_EPOCH" '+%Y-%m-%d %H:%M:%S')" \
    mcopy -s -m -i "$esp" "$work/esp/EFI" "$work/esp/loader" ::/
}

assemble() {
  step "GPT and partitions"
  local tmp=$image.tmp
  rm -f "$tmp"
  truncate -s $((DISK_MIB * 1024 * 1024)) "$tmp"
  gptScript | sfdisk --quiet --no-reread --no-tell-kernel "$tmp" >/dev/null
  putPartition "$tmp" "$work/esp.vfat" "$ESP_START_MIB"
  putPartition "$tmp" "$work/root.erofs" "$ROOT_A_START_MIB"
  putPartition "$tmp" "$work/root.verity" "$VERITY_A_START_MIB"
  mv "$tmp" "$image"
}

putPartition() {
  dd if="$2" of="$1" bs=1M seek="$3" conv=notrunc,sparse status=none
}

main() {
  needTools
  rm -rf "$work"
  mkdir -p "$work"
  baseTree
  applianceTree
  rootPartition
  checkSizes
  kernelImage
  espPartition
  assemble
  (cd "$out_dir" && sha256sum "$(basename "$image")" >"$(basename "$image").sha256")
  echo "$roothash" >"$out_dir/sipha-$version-x86_64.roothash"
  dpkg-query --admindir="$work/root/usr/share/sipha/dpkg" -W -f '${Package} ${Version}\n' \
    >"$out_dir/sipha-$version-x86_64.packages"
  cp "$work/uki.efi" "$out_dir/sipha-$version-x86_64.efi"
  step "done"
  echo "image:     $image ($(du -h --apparent-size "$image" | cut -f1) raw, $(du -h "$image" | cut -f1) allocated)"
  echo "root:      $(stat -c %s "$work/root.erofs") bytes erofs, UKI $(stat -c %s "$work/uki.efi") bytes"
  echo "root hash: $roothash"
  echo "sha256:    $(cut -d' ' -f1 "$image.sha256")"
  echo "services:  $(paste -sd' ' "$work/root/usr/lib/sipha/services")"
  rm -rf "$work"
}

main
