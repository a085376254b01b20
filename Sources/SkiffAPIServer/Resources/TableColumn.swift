import SkiffAPI

/// One column of a server-side `Table` (`kubectl get`); `priority > 0` shows only with `-o wide`.
public struct TableColumn: Sendable {
    public let name: String
    public let type: String
    public let format: String
    public let priority: Int
    public let cell: @Sendable (JSON) -> JSON

    public init(_ name: String, type: String = "string", format: String = "", priority: Int = 0, cell: @escaping @Sendable (JSON) -> JSON) {
        self.name = name
        self.type = type
        self.format = format
        self.priority = priority
        self.cell = cell
    }

    var definition: JSON {
        ["name": .string(name), "type": .string(type), "format": .string(format), "description": .string(name), "priority": .int(Int64(priority))]
    }

    static let name = TableColumn("Name", format: "name") { .string($0["metadata"]["name"].string ?? "") }
    static let age = TableColumn("Age") { .string(Timestamp.age(since: $0["metadata"]["creationTimestamp"].string)) }

    static func text(_ name: String, priority: Int = 0, _ value: @escaping @Sendable (JSON) -> String) -> TableColumn {
        TableColumn(name, priority: priority) { .string(value($0)) }
    }

    static func integer(_ name: String, priority: Int = 0, _ value: @escaping @Sendable (JSON) -> Int64) -> TableColumn {
        TableColumn(name, type: "integer", priority: priority) { .int(value($0)) }
    }
}
