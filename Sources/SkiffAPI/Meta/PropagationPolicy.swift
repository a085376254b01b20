/// What happens to an object's dependents (objects naming it in `ownerReferences`) when it is
/// deleted; `DeleteOptions.propagationPolicy`. The garbage collector carries it out.
public enum PropagationPolicy: String, Sendable {
    /// Dependents lose the owner reference and stay; the owner waits for that (`orphan` finalizer).
    case orphan = "Orphan"
    /// The owner goes at once and the garbage collector deletes the dependents afterwards.
    case background = "Background"
    /// Dependents go first; the owner stays (`foregroundDeletion` finalizer) until those with
    /// `blockOwnerDeletion: true` are gone.
    case foreground = "Foreground"

    /// The finalizer that holds the owner while the garbage collector works.
    public var finalizer: String? {
        switch self {
        case .orphan: Self.orphanFinalizer
        case .foreground: Self.foregroundFinalizer
        case .background: nil
        }
    }

    /// Held by an owner deleted with Orphan until its dependents no longer name it.
    public static let orphanFinalizer = "orphan"
    /// Held by an owner deleted with Foreground until its blocking dependents are gone.
    public static let foregroundFinalizer = "foregroundDeletion"
}
