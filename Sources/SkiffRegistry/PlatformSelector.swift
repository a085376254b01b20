import SkiffImages

/// Picks the manifest of an image index (or Docker manifest list) that a node of `platform` runs.
enum PlatformSelector {
    /// The entry for `platform`'s os and architecture; among several, the one whose variant
    /// matches (an entry without a variant counts as matching, as containerd's matcher treats
    /// amd64 and arm64's default v8). Entries without a platform (attestations) never match.
    static func select(from index: ImageIndex, for platform: Platform) -> Descriptor? {
        let candidates = index.manifests.filter { entry in
            guard let entryPlatform = entry.platform else { return false }
            return entryPlatform.os == platform.os && entryPlatform.architecture == platform.architecture
                && (entry.mediaType == nil || MediaType.isManifest(entry.mediaType))
        }
        if let exact = candidates.first(where: { $0.platform?.variant == platform.variant }) { return exact }
        return candidates.first { entry in
            guard let variant = entry.platform?.variant else { return true }
            return platform.variant == nil && variant == defaultVariant(platform.architecture)
        }
    }

    /// The variant an architecture means when none is named.
    static func defaultVariant(_ architecture: String) -> String? {
        switch architecture {
        case "arm64": "v8"
        case "amd64": "v1"
        default: nil
        }
    }

    /// "linux/amd64", "linux/arm/v7", for messages.
    static func describe(_ platform: Platform) -> String {
        [platform.os, platform.architecture, platform.variant].compactMap { $0 }.joined(separator: "/")
    }
}
