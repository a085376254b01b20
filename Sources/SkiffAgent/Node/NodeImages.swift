import SkiffAPI
import SkiffImages

/// The Node's `status.images`, as the kubelet's node status setter writes it: the largest images
/// first, at most `--node-status-max-images` of them (-1: all), each with its repo digests then
/// its tags, at most 5 names, and its size.
enum NodeImages {
    /// The kubelet's MaxNamesPerImageInNodeStatus.
    static let maxNamesPerImage = 5

    static func status(_ images: [ImageRecord], maxImages: Int) -> JSON {
        var sorted = images.sorted { ($0.size, $0.id) > ($1.size, $1.id) }
        if maxImages >= 0 && sorted.count > maxImages { sorted = Array(sorted.prefix(maxImages)) }
        return .array(
            sorted.map { image in
                let references = image.names.compactMap { try? ImageReference(parsing: $0) }
                var digests: [String] = []
                for reference in references where !digests.contains("\(reference.repository)@\(image.digest)") {
                    digests.append("\(reference.repository)@\(image.digest)")
                }
                let tags = references.filter { $0.tag != nil }.map(\.description)
                let names = Array((digests + tags).prefix(maxNamesPerImage))
                return .object(["names": .array(names.map { .string($0) }), "sizeBytes": .int(image.size)])
            })
    }
}
