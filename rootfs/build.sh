#!/usr/bin/env bash
# Builds the busybox image the tests and examples use, from Debian's busybox-static:
#   OUTDIR/busybox/         a plain root filesystem
#   OUTDIR/busybox.oci/     an OCI image layout (image-spec v1.0), tagged busybox:latest
#   OUTDIR/busybox.oci.tar  the same layout as a tarball (for `ctr image import`)
# Reproducible: the same busybox binary gives the same digests.
set -euo pipefail
out=${1:?usage: rootfs/build.sh OUTDIR}
busybox=$(command -v busybox || true)
if [ -z "$busybox" ] || ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
  busybox=/bin/busybox
fi
[ -x "$busybox" ] || { echo "rootfs/build.sh: busybox-static is not installed (run scripts/setup)" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

root="$work/busybox"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,dev,proc,sys,tmp,root,home,var/tmp,run}
chmod 1777 "$root/tmp" "$root/var/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list-full); do
  [ "$applet" = bin/busybox ] && continue
  ln -sf /bin/busybox "$root/$applet"
done
cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
user:x:1000:1000:user:/home/user:/bin/sh
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
tty:x:5:
users:x:100:
nogroup:x:65534:
user:x:1000:
GROUP
mkdir -p "$root/home/user" && chown 1000:1000 "$root/home/user"
echo "busybox" > "$root/etc/hostname"
: > "$root/etc/hosts"
: > "$root/etc/resolv.conf"

# The OCI image layout: one gzip'd layer, a config, a manifest, an index.
layout="$work/busybox.oci"
blobs="$layout/blobs/sha256"
mkdir -p "$blobs"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$work/layer.tar" .
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -9 -c "$work/layer.tar" > "$work/layer.tar.gz"
layer_digest=$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1)
layer_size=$(stat -c %s "$work/layer.tar.gz")
mv "$work/layer.tar.gz" "$blobs/$layer_digest"

blob() { # writes stdin as a blob; prints "digest size"
  local tmp="$work/blob" digest
  cat > "$tmp"
  digest=$(sha256sum "$tmp" | cut -d' ' -f1)
  mv "$tmp" "$blobs/$digest"
  echo "$digest $(stat -c %s "$blobs/$digest")"
}

read -r config_digest config_size < <(printf '%s' "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":[\"sh\"],\"WorkingDir\":\"/\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diff_id\"]},\"history\":[{\"created_by\":\"skiff rootfs/build.sh from Debian busybox-static\"}]}" | blob)
read -r manifest_digest manifest_size < <(printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$config_digest\",\"size\":$config_size},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$layer_digest\",\"size\":$layer_size}]}" | blob)
printf '%s' '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$manifest_digest\",\"size\":$manifest_size,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"},\"annotations\":{\"org.opencontainers.image.ref.name\":\"latest\",\"io.containerd.image.name\":\"docker.io/library/busybox:latest\"}}]}" > "$layout/index.json"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$layout" -cf "$work/busybox.oci.tar" .

rm -rf "$out/busybox" "$out/busybox.oci" "$out/busybox.oci.tar"
mv "$root" "$out/busybox"
mv "$layout" "$out/busybox.oci"
mv "$work/busybox.oci.tar" "$out/busybox.oci.tar"
echo "rootfs/build.sh: $out/busybox, $out/busybox.oci (busybox:latest, manifest sha256:$manifest_digest)"
