import SkiffSystem

/// Builds a two-layer OCI layout with tar and sha256sum, the way an image builder would:
///
/// layer 1 (plain tar): etc/keep (owned by 1000:2000, mode 0640), etc/gone, data/old1, data/sub/old2, olddir/file, swap/inner
/// layer 2 (tar+gzip):  etc/.wh.gone, data/.wh..wh..opq, data/new, .wh.olddir, swap (a file),
///                      etc/added
///
/// so the unpacked rootfs must have etc/keep, etc/added, data/new only, no olddir, and swap as
/// a regular file.
enum SyntheticImage {
    /// `extra` is shell run after both layer tars exist and before layer 2 is compressed, with $W
    /// the work directory (layer trees in $W/l1 and $W/l2, tars in $W/layer1 and $W/layer2.tar).
    static func build(in parent: String, name: String = "example.com/test/layers:v1", extra: String = "") throws -> String {
        try shell(
            #"""
            W=\#(parent)/synthetic
            mkdir -p $W/l1/etc $W/l1/data/sub $W/l1/olddir $W/l1/swap $W/l2/etc $W/l2/data $W/layout/blobs/sha256
            echo keep > $W/l1/etc/keep; echo gone > $W/l1/etc/gone
            chown 1000:2000 $W/l1/etc/keep; chmod 0640 $W/l1/etc/keep
            echo 1 > $W/l1/data/old1; echo 2 > $W/l1/data/sub/old2
            echo f > $W/l1/olddir/file; echo i > $W/l1/swap/inner
            : > $W/l2/etc/.wh.gone; : > $W/l2/data/.wh..wh..opq; echo new > $W/l2/data/new
            : > $W/l2/.wh.olddir; echo now-a-file > $W/l2/swap; echo added > $W/l2/etc/added
            tar --sort=name --numeric-owner -C $W/l1 -cf $W/layer1 .
            tar --sort=name --numeric-owner --owner=0 --group=0 -C $W/l2 -cf $W/layer2.tar .
            \#(extra)
            gzip -n -c $W/layer2.tar > $W/layer2
            blob() { d=$(sha256sum "$1" | cut -d' ' -f1); cp "$1" $W/layout/blobs/sha256/$d; echo "$d $(stat -c %s "$1")"; }
            read l1 s1 <<EOF
            $(blob $W/layer1)
            EOF
            read l2 s2 <<EOF
            $(blob $W/layer2)
            EOF
            d1=$(sha256sum $W/layer1 | cut -d' ' -f1); d2=$(sha256sum $W/layer2.tar | cut -d' ' -f1)
            printf '%s' "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"A=1\"],\"Entrypoint\":[\"/bin/app\"],\"Cmd\":[\"--flag\"],\"WorkingDir\":\"/data\",\"User\":\"1000:1000\",\"ExposedPorts\":{\"8080/tcp\":{},\"53/udp\":{}}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$d1\",\"sha256:$d2\"]}}" > $W/config
            read c cs <<EOF
            $(blob $W/config)
            EOF
            printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$c\",\"size\":$cs},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$l1\",\"size\":$s1},{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$l2\",\"size\":$s2}]}" > $W/manifest
            read m ms <<EOF
            $(blob $W/manifest)
            EOF
            # A nested index: the top-level index points at an index listing arm64 and amd64.
            printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$c\",\"size\":$cs,\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}},{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$m\",\"size\":$ms,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}" > $W/nested
            read n ns <<EOF
            $(blob $W/nested)
            EOF
            printf '%s' '{"imageLayoutVersion":"1.0.0"}' > $W/layout/oci-layout
            printf '%s' "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"digest\":\"sha256:$n\",\"size\":$ns,\"annotations\":{\"org.opencontainers.image.ref.name\":\"\#(name)\"}}]}" > $W/layout/index.json
            """#)
        return parent + "/synthetic/layout"
    }
}
