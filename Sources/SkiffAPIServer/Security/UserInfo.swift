/// Who a request acts as once authenticated (and after impersonation): the name, groups and UID
/// that authorization decides on, as Kubernetes' `user.Info`.
public struct UserInfo: Sendable, Hashable {
    public let name: String
    public let uid: String
    /// Always includes `system:authenticated`, which every authenticated request belongs to.
    public let groups: [String]

    /// Every authenticated user's group.
    public static let authenticatedGroup = "system:authenticated"
    /// The group that may do anything, without consulting RBAC (Kubernetes' privileged group).
    public static let mastersGroup = "system:masters"
    /// Nodes' group, which the node authorizer decides for.
    public static let nodesGroup = "system:nodes"

    public init(name: String, uid: String = "", groups: [String]) {
        self.name = name
        self.uid = uid
        self.groups = groups.contains(Self.authenticatedGroup) ? groups : groups + [Self.authenticatedGroup]
    }

    /// The holder of the admin token or certificate.
    public static let admin = UserInfo(name: "system:admin", groups: [mastersGroup])

    /// Members of `system:masters` are allowed everything before RBAC is asked, so the cluster
    /// stays manageable whatever the bindings say.
    public var isPrivileged: Bool { groups.contains(Self.mastersGroup) }
}
