import SkiffAPI
import SkiffClient

extension APIResource {
    public static let cronJobs = APIResource(group: "batch", plural: "cronjobs")
    public static let cronJobStatus = APIResource(group: "batch", plural: "cronjobs", subresource: "status")
}

extension SharedInformers {
    /// batch/v1 CronJobs, read by the cronjob controller.
    public var cronJobs: Informer<CronJob> { informer(.cronJobs) { try CronJob(json: $0) } }
}
