# The disk layout of the image (sourced by image/build.sh and the tests; docs/image.md).
# Partition types are the Discoverable Partitions Specification's for x86-64; the GUIDs are fixed
# so PARTUUIDs (used on the kernel command line) are stable across builds and updates.
# shellcheck shell=bash disable=SC2034
DISK_GUID=5ec1a000-0000-4000-8000-000000000000
TYPE_ESP=c12a7328-f81f-11d2-ba4b-00a0c93ec93b
TYPE_ROOT=4f68bce3-e8cd-4db1-96e7-fbcaf984b709        # root, x86-64
TYPE_ROOT_VERITY=2c7357ed-ebd2-46d9-aec1-23d437ec2bf5 # root verity, x86-64
TYPE_VAR=4d21b016-b534-45c2-a9fb-5c16e091fd2d         # /var
PART_UUID_ESP=5ec1a000-0000-4000-8000-000000000001
PART_UUID_ROOT_A=5ec1a000-0000-4000-8000-00000000000a
PART_UUID_VERITY_A=5ec1a000-0000-4000-8000-0000000000a1
PART_UUID_ROOT_B=5ec1a000-0000-4000-8000-00000000000b
PART_UUID_VERITY_B=5ec1a000-0000-4000-8000-0000000000b1
PART_UUID_DATA=5ec1a000-0000-4000-8000-00000000da7a
FS_UUID_ROOT=5ec1a000-0000-4000-8000-0000000f5a00
FS_UUID_DATA=5ec1a000-0000-4000-8000-0000000f5da7
VERITY_UUID=5ec1a000-0000-4000-8000-00000000ae21
VERITY_SALT=73697068612d726f6f742d7665726974792d73616c742d76312d000000000000
ESP_VOLUME_ID=51FA0001

# sizes in MiB; 1 MiB alignment
ESP_MIB=256
ROOT_MIB=1024
VERITY_MIB=64
DATA_MIB=512
ESP_START_MIB=1
ROOT_A_START_MIB=$((ESP_START_MIB + ESP_MIB))
VERITY_A_START_MIB=$((ROOT_A_START_MIB + ROOT_MIB))
ROOT_B_START_MIB=$((VERITY_A_START_MIB + VERITY_MIB))
VERITY_B_START_MIB=$((ROOT_B_START_MIB + ROOT_MIB))
DATA_START_MIB=$((VERITY_B_START_MIB + VERITY_MIB))
DISK_MIB=$((DATA_START_MIB + DATA_MIB + 1))

# sfdisk input (sectors of 512 bytes)
gptScript() {
  local mib=2048
  cat <<GPT
label: gpt
label-id: $DISK_GUID
unit: sectors
sector-size: 512
first-lba: 2048
start=$((ESP_START_MIB * mib)), size=$((ESP_MIB * mib)), type=$TYPE_ESP, uuid=$PART_UUID_ESP, name="esp"
start=$((ROOT_A_START_MIB * mib)), size=$((ROOT_MIB * mib)), type=$TYPE_ROOT, uuid=$PART_UUID_ROOT_A, name="root-a"
start=$((VERITY_A_START_MIB * mib)), size=$((VERITY_MIB * mib)), type=$TYPE_ROOT_VERITY, uuid=$PART_UUID_VERITY_A, name="root-a-verity"
start=$((ROOT_B_START_MIB * mib)), size=$((ROOT_MIB * mib)), type=$TYPE_ROOT, uuid=$PART_UUID_ROOT_B, name="root-b"
start=$((VERITY_B_START_MIB * mib)), size=$((VERITY_MIB * mib)), type=$TYPE_ROOT_VERITY, uuid=$PART_UUID_VERITY_B, name="root-b-verity"
start=$((DATA_START_MIB * mib)), size=$((DATA_MIB * mib)), type=$TYPE_VAR, uuid=$PART_UUID_DATA, name="sipha-data"
GPT
}

# Refuses a root or hash tree that outgrew its slot.
checkSizes() {
  local erofs verity
  erofs=$(stat -c %s "$work/root.erofs")
  verity=$(stat -c %s "$work/root.verity")
  if [ "$erofs" -gt $((ROOT_MIB * 1048576)) ] || [ "$verity" -gt $((VERITY_MIB * 1048576)) ]; then
    echo "root ($erofs bytes) or verity ($verity bytes) exceeds its slot" >&2
    exit 1
  fi
}
