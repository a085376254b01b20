/// An API failure that is answered with a `Status` object (`kind: Status`) and its HTTP code.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public let code: Int
    public let reason: String
    public let message: String
    public var details: JSON

    public init(code: Int, reason: String, message: String, details: JSON = .null) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
    }

    public var description: String { "\(code) \(reason): \(message)" }

    public var status: JSON {
        var status: JSON = [
            "kind": "Status", "apiVersion": "v1", "metadata": .emptyObject, "status": "Failure",
            "message": .string(message), "reason": .string(reason), "code": .int(Int64(code)),
        ]
        if !details.isNull { status["details"] = details }
        return status
    }

    static func details(_ resource: ResourceNaming?, name: String?) -> JSON {
        var details = JSON.emptyObject
        if let name { details["name"] = .string(name) }
        if let resource {
            if !resource.group.isEmpty { details["group"] = .string(resource.group) }
            details["kind"] = .string(resource.plural)
        }
        return details
    }

    public static func notFound(_ resource: ResourceNaming, name: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "\(resource.qualifiedPlural) \"\(name)\" not found", details: details(resource, name: name))
    }

    public static func alreadyExists(_ resource: ResourceNaming, name: String) -> APIError {
        APIError(code: 409, reason: "AlreadyExists", message: "\(resource.qualifiedPlural) \"\(name)\" already exists", details: details(resource, name: name))
    }

    public static func conflict(_ resource: ResourceNaming, name: String) -> APIError {
        APIError(
            code: 409, reason: "Conflict",
            message:
                "Operation cannot be fulfilled on \(resource.qualifiedPlural) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again",
            details: details(resource, name: name))
    }

    public static func badRequest(_ message: String) -> APIError { APIError(code: 400, reason: "BadRequest", message: message) }

    public static func invalid(kind: String, name: String, causes: [(field: String, message: String)]) -> APIError {
        let summary = causes.map { "\($0.field): \($0.message)" }.joined(separator: ", ")
        let details: JSON = [
            "name": .string(name), "kind": .string(kind),
            "causes": .array(causes.map { ["reason": "FieldValueInvalid", "message": .string($0.message), "field": .string($0.field)] }),
        ]
        return APIError(code: 422, reason: "Invalid", message: "\(kind) \"\(name)\" is invalid: \(summary)", details: details)
    }

    public static func methodNotAllowed(_ message: String) -> APIError { APIError(code: 405, reason: "MethodNotAllowed", message: message) }
    public static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")
    public static func forbidden(_ message: String) -> APIError { APIError(code: 403, reason: "Forbidden", message: message) }
    public static func gone(_ message: String) -> APIError { APIError(code: 410, reason: "Expired", message: message) }
    public static func unsupportedMediaType(_ type: String) -> APIError {
        APIError(
            code: 415, reason: "UnsupportedMediaType",
            message:
                "the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json, application/strategic-merge-patch+json, application/json-patch+json, application/apply-patch+yaml; got \(type)"
        )
    }
    public static func tooLarge(limit: Int) -> APIError {
        APIError(code: 413, reason: "RequestEntityTooLarge", message: "request body too large: limit is \(limit) bytes")
    }
    public static func internalError(_ message: String) -> APIError { APIError(code: 500, reason: "InternalError", message: message) }
}
