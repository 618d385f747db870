#!/bin/sh
# debian12-kernel.sh [t_NAME] - run one integration test (default t_cp)
# of this tree's build/ on Debian 12's own kernel (6.1), booted by qemu
# with the host's /usr, /etc and this tree (at its own path) shared
# read-only (9p) and a tmpfs for the rest.  For what `make test` cannot see on a newer host
# kernel (cp through a stopped container's mounts was one).  Not part of
# `make test`: it installs qemu-system-x86 and fetches the kernel package
# with apt, and an emulated run is slow (t_cp takes 9 to 13 minutes;
# timing checks such as "/_ping answered fast" fail there).  The test's
# long-running containers get a longer sleep, or they end midway.  Tests
# that run make in the tree (t_sdk) cannot run there: it is read-only.
# VM_ACCEL="-enable-kvm -cpu host" where nested KVM works.  Runs as root.
set -eu
t=${1:-t_cp}
tree=$(cd "$(dirname "$0")/.." && pwd)
work=${VM_DIR:-/tmp/berth-debian12-kernel}
[ -x "$tree/build/berthd" ] || { echo "build first (make)" >&2; exit 1; }
[ -f "$tree/tests/integration/$t.sh" ] || { echo "no test $t" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null 2>&1 ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends qemu-system-x86
mkdir -p "$work"
cd "$work"
if [ ! -d x/boot ]; then
	pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' |
	    awk '{ print $1 }' | sort -V | tail -n 1)
	[ -n "$pkg" ] || { echo "no linux-image-6.1.0-*-amd64 in apt" >&2; exit 1; }
	apt-get download "$pkg"
	dpkg -x "$pkg"_*.deb x
fi
kver=$(ls x/lib/modules | head -n 1)

# want MODULE - add MODULE to $mods after what it depends on.
mods=""
want()
{
	local f d

	case " $mods " in *" $1 "*) return 0 ;; esac
	f=$(find "x/lib/modules/$kver" -name "$1.ko")
	for d in $(strings "$f" | sed -n 's/^depends=//p' | tr , ' '); do
		want "$d"
	done
	mods="$mods $1"
}
for m in virtio_pci 9pnet_virtio 9p overlay; do
	want "$m"
done

# The initramfs: busybox, the modules for 9p and overlay, an init that
# builds the guest's root on a tmpfs and runs the test there.
rm -rf ir
mkdir -p ir/bin ir/mods ir/proc ir/dev ir/host ir/newroot
cp "$(command -v busybox)" ir/bin/busybox
for a in sh mount insmod switch_root mkdir ln chmod cat cp umount; do
	ln -s busybox "ir/bin/$a"
done
for m in $mods; do
	cp "$(find "x/lib/modules/$kver" -name "$m.ko")" ir/mods/
done
cat >ir/init <<EOF
#!/bin/sh
mount -t proc proc /proc
mount -t devtmpfs dev /dev
for m in$mods; do insmod /mods/\$m.ko; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000 hostroot /host
mount -t tmpfs -o mode=755 tmpfs /newroot
cd /newroot
mkdir -p usr etc .$tree proc sys dev tmp run var/lib root
chmod 1777 tmp
for l in bin sbin lib lib64; do ln -s usr/\$l \$l; done
mount --bind /host/usr usr
mount --bind /host/etc etc
mount --bind /host$tree .$tree
mount -t proc proc proc
mount -t sysfs sys sys
mount -t devtmpfs dev dev
mkdir -p dev/pts dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts dev/pts
mount -t tmpfs tmpfs dev/shm
mount -t tmpfs tmpfs sys/fs/cgroup
for c in cpu cpuacct cpuset memory devices freezer blkio pids; do
	mkdir -p sys/fs/cgroup/\$c
	mount -t cgroup -o \$c cgroup sys/fs/cgroup/\$c
done
cp /run.sh tmp/run.sh
umount /proc
exec switch_root /newroot /bin/bash /tmp/run.sh
EOF
cat >ir/run.sh <<EOF
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin HOME=/tmp
echo "=== kernel \$(uname -r)"
cp -r $tree/tests/integration /tmp/ti
sed -i 's/sleep 300\$/sleep 5000/; s/sleep 300 /sleep 5000 /' /tmp/ti/$t.sh
BUILD=$tree/build bash /tmp/ti/$t.sh 2>&1
echo "=== exit \$?"
echo o >/proc/sysrq-trigger
EOF
chmod +x ir/init
(cd ir && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 >initrd.gz
timeout "${VM_TIMEOUT:-2400}" qemu-system-x86_64 ${VM_ACCEL:--accel tcg -cpu max} \
    -m 4G -smp 2 -kernel x/boot/vmlinuz-"$kver" -initrd initrd.gz \
    -append "console=ttyS0 quiet loglevel=3 panic=-1 sysrq_always_enabled" \
    -nographic -no-reboot -net none \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on |
    tee "$work/$t.log" | grep -E '^(=== |ok |not ok |#|[0-9]+ passed)'
grep -q '^=== exit 0' "$work/$t.log"
