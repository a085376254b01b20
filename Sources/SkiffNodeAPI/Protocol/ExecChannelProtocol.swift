import Foundation
import SkiffAPI

/// Kubernetes' websocket stream protocol for exec (`v4.channel.k8s.io` / `v5.channel.k8s.io`):
/// each binary message starts with a channel byte.
public enum ExecChannelProtocol {
    public static let v5 = "v5.channel.k8s.io"
    public static let v4 = "v4.channel.k8s.io"
    /// Subprotocols we speak, best first.
    public static let supported = [v5, v4]

    public static let stdin: UInt8 = 0
    public static let stdout: UInt8 = 1
    public static let stderr: UInt8 = 2
    /// The final metav1.Status of the command.
    public static let error: UInt8 = 3
    /// `{"Width":W,"Height":H}` from the client.
    public static let resize: UInt8 = 4
    /// v5: `[255, channel]` closes that stream (the client's stdin).
    public static let close: UInt8 = 255

    /// The subprotocol to answer with, from a `Sec-WebSocket-Protocol` request header
    /// (comma-separated, possibly several header lines joined).
    public static func negotiate(_ header: String?) -> String? {
        let offered = (header ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return supported.first { offered.contains($0) }
    }

    /// The status kubelet sends when an attach session ends normally.
    public static let success: JSON = ["metadata": .emptyObject, "status": "Success"]

    /// The status message sent on the error channel when the command has exited.
    public static func exitStatus(code: Int32, command: [String]) -> JSON {
        if code == 0 { return success }
        return [
            "metadata": .emptyObject, "status": "Failure",
            "message": .string("command terminated with non-zero exit code: error executing command [\(command.joined(separator: " "))], exit code \(code)"),
            "reason": "NonZeroExitCode",
            "details": ["causes": [["reason": "ExitCode", "message": .string(String(code))]]],
        ]
    }

    /// A failure that is not an exit code (the command could not start, for example).
    public static func failureStatus(_ message: String, reason: String = "InternalError", code: Int = 500) -> JSON {
        ["metadata": .emptyObject, "status": "Failure", "message": .string(message), "reason": .string(reason), "code": .int(Int64(code))]
    }

    /// Decodes a resize message's `{"Width":W,"Height":H}`.
    public static func parseResize(_ payload: some Collection<UInt8>) -> (width: UInt16, height: UInt16)? {
        guard let json = try? JSON(parsing: Array(payload)), let width = json["Width"].int, let height = json["Height"].int,
            let w = UInt16(exactly: width), let h = UInt16(exactly: height)
        else { return nil }
        return (w, h)
    }
}
