import SkiffAPI
import SkiffClient

extension APIResource {
    public static let jobs = APIResource(group: "batch", plural: "jobs")
    public static let jobStatus = APIResource(group: "batch", plural: "jobs", subresource: "status")
}

extension SharedInformers {
    /// batch/v1 Jobs, read by the job and cronjob controllers.
    public var jobs: Informer<Job> { informer(.jobs) { try Job(json: $0) } }
}

extension Job {
    /// The Job as the owner of its pods and the subject of its events.
    var owner: ControllerOwner { ControllerOwner(apiVersion: "batch/v1", kind: "Job", metadata: metadata) }

    /// The key (`namespace/name`) of the Job that controls `pod`, if a Job does.
    static func key(controlling pod: Pod) -> String? {
        guard let ref = pod.controllerRef, ref.kind == "Job", ref.apiVersion.hasPrefix("batch/") else { return nil }
        return "\(pod.namespace)/\(ref.name)"
    }
}

extension Pod {
    /// An Indexed Job pod's completion index, from its annotation (nil when missing or not a number).
    var completionIndex: Int? { annotations[Job.completionIndexKey].flatMap { Int($0) }.flatMap { $0 >= 0 ? $0 : nil } }

    var hasJobTrackingFinalizer: Bool { finalizers.contains(Job.trackingFinalizer) }

    /// When the pod's last container ended, if it reported one.
    var finishedAt: String? { terminatedContainers.compactMap(\.finishedAt).max() }
}
