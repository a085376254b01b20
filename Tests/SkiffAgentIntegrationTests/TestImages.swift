import Foundation
import SkiffTestSupport

/// OCI layouts for image tests, made from rootfs/build.sh's busybox.
enum TestImages {
    /// busybox plus an uncompressed layer of `payloadMebibytes` MiB of random bytes, as an OCI layout
    /// `<work>/<name>` per name.
    static func build(_ names: [String], payloadMebibytes: Int, in work: String) async throws {
        var script = "set -e\n"
        for name in names {
            script += """
                W=\(work); L=$W/\(name); rm -rf $L; cp -r \(AgentCluster.busyboxLayout) $L; cd $L
                blob() { d=$(sha256sum "$1" | cut -d' ' -f1); cp "$1" blobs/sha256/$d; echo "$d $(stat -c %s "$1")"; }
                mkdir -p $W/payload-\(name)/data; head -c \(payloadMebibytes)M /dev/urandom > $W/payload-\(name)/data/payload
                tar --numeric-owner --owner=0 --group=0 -C $W/payload-\(name) -cf $W/layer-\(name) .
                read l ls <<< "$(blob $W/layer-\(name))"
                m=$(jq -r '.manifests[0].digest' index.json | cut -d: -f2)
                c=$(jq -r '.config.digest' blobs/sha256/$m | cut -d: -f2)
                jq -c --arg d "sha256:$l" '.rootfs.diff_ids += [$d]' blobs/sha256/$c > $W/config-\(name)
                read c2 cs <<< "$(blob $W/config-\(name))"
                jq -c --arg d "sha256:$c2" --argjson s $cs --arg l "sha256:$l" --argjson ls $ls \\
                  '.config.digest=$d | .config.size=$s | .layers += [{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":$l,"size":$ls}]' \\
                  blobs/sha256/$m > $W/manifest-\(name)
                read m2 ms <<< "$(blob $W/manifest-\(name))"
                jq -c --arg d "sha256:$m2" --argjson s $ms '.manifests[0].digest=$d | .manifests[0].size=$s' index.json > $W/index-\(name)
                cp $W/index-\(name) index.json

                """
        }
        let built = try await Tools.run("/bin/bash", ["-c", script])
        guard built.status == 0 else { throw Tools.Failure("building the test images failed: \(built.stderr)") }
    }
}
