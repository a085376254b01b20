import SkiffSystem

/// The images the pods an agent keeps name, read from their saved state (`pods/<uid>/state.json`)
/// so `skiff image rm|prune` can refuse them while no agent runs: every container's image in
/// the spec (init containers included) and the image each container last ran.
public enum SavedPodImages {
    /// One pod's use of an image.
    public struct Use: Sendable, Equatable {
        /// namespace/name of the pod.
        public var pod: String
        public var container: String
        /// The reference as the pod gives it, or the `repo@sha256:…` the container ran.
        public var reference: String
    }

    public static func uses(dataDirectory: String) -> [Use] {
        let podsDirectory = dataDirectory + "/pods"
        var uses: [Use] = []
        for uid in ((try? FileSystem.listDirectory(podsDirectory)) ?? []).sorted() {
            guard let saved = PodRecord.load(podsDirectory: podsDirectory, uid: uid) else { continue }
            let pod = "\(saved.pod.namespace)/\(saved.pod.name)"
            for spec in saved.pod.spec.allContainers where spec.image != hostProcessImage {
                uses.append(Use(pod: pod, container: spec.name, reference: spec.image))
            }
            for state in saved.containers where !state.imageID.isEmpty {
                uses.append(Use(pod: pod, container: state.name, reference: state.imageID))
            }
        }
        return uses
    }
}
