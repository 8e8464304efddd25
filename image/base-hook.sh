#!/bin/sh
# mmdebstrap --customize-hook of image/build.sh: runs on the fresh tree ($1) while mmdebstrap has
# /proc, /sys and /dev set up, and builds the generic initramfs with image/dracut.conf.
set -eu
root=$1
kver=$(ls "$root/lib/modules")
chroot "$root" dracut --quiet --force --no-hostonly --reproducible --kver "$kver" /boot/initrd.img-sipha
rm -f "$root/boot/initrd.img-$kver"
