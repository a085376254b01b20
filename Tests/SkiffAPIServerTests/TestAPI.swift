import Foundation
import SkiffAPI
import SkiffAPIServer
import SkiffStore
import Synchronization

/// A `KubeAPI` over a SQLite store in a temp dir, called in-process.
final class TestAPI: Sendable {
    static let adminToken = "admin-secret"
    static let joinToken = "join-secret"
    let directory: String
    let store: SQLiteStore
    let api: KubeAPI

    init(clusterCIDR: String? = nil, serviceAccountAdmission: Bool = false) async throws {
        directory = NSTemporaryDirectory() + "skiff-api-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try SQLiteStore(path: directory + "/state.db")
        var api = KubeAPI(
            store: store, authenticator: Authenticator(adminToken: Self.adminToken, joinToken: Self.joinToken),
            podCIDRAllocator: try clusterCIDR.map(PodCIDRAllocator.init(clusterCIDR:)))
        api.bookmarkInterval = .milliseconds(200)
        api.serviceAccountAdmission = serviceAccountAdmission
        self.api = api
        try await api.bootstrap()
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
    func eventually(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    deinit {
        store.closeWatches()
        try? FileManager.default.removeItem(atPath: directory)
    }

    struct Result {
        let status: Int
        let body: JSON
        let headers: [(String, String)]
    }

    func call(
        _ method: String, _ path: String, _ body: JSON? = nil, query: [String: String] = [:], contentType: String = "application/json",
        accept: String = "application/json", token: String? = TestAPI.adminToken, rawBody: [UInt8]? = nil
    ) async throws -> Result {
        var headers = ["accept": accept, "content-type": contentType]
        if let token { headers["authorization"] = "Bearer \(token)" }
        let response = await api.handle(APIRequest(method: method, path: path, query: query, headers: headers, body: rawBody ?? body?.bytes ?? []))
        let bytes = response.bodyBytes
        let json = bytes.isEmpty ? JSON.null : ((try? JSON(parsing: bytes)) ?? .string(String(decoding: bytes, as: UTF8.self)))
        return Result(status: response.status, body: json, headers: response.headers)
    }

    /// Runs a watch and collects its events until `count` arrived or `timeout` passed.
    func watch(_ path: String, query: [String: String], count: Int, timeout: Duration = .seconds(5), accept: String = "application/json") async throws -> [JSON]
    {
        var fullQuery = query
        fullQuery["watch"] = "true"
        let response = await api.handle(
            APIRequest(
                method: "GET", path: path, query: fullQuery,
                headers: ["authorization": "Bearer \(Self.adminToken)", "accept": accept]))
        guard case .stream(let produce) = response.body else {
            return response.bodyBytes.split(separator: UInt8(ascii: "\n")).compactMap { try? JSON(parsing: Array($0)) }
        }
        let events = Collected()
        struct Enough: Error {}
        try? await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await produce(
                    StreamWriter { bytes in
                        let lines = bytes.split(separator: UInt8(ascii: "\n")).compactMap { try? JSON(parsing: Array($0)) }
                        let total = events.lines.withLock {
                            $0 += lines
                            return $0.count
                        }
                        if total >= count { throw Enough() }
                    })
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw Enough()
            }
            _ = try await group.next()
            group.cancelAll()
        }
        return events.lines.withLock { $0 }
    }

    final class Collected: Sendable {
        let lines = Mutex<[JSON]>([])
    }

    static func pod(_ name: String, labels: [String: String] = [:], image: String = "busybox:1.36", node: String? = nil) -> JSON {
        var pod: JSON = [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "labels": JSON(stringMap: labels)],
            "spec": ["containers": [["name": "main", "image": .string(image)]]],
        ]
        if let node { pod["spec"]["nodeName"] = .string(node) }
        return pod
    }
}
