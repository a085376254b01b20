import Foundation
import SkiffAPI
import SkiffClient

extension JobController {
    /// What `manage` did: the change in active pods, and when to look again (a back-off ending).
    struct PodChange {
        var delta = 0
        var requeue: Duration?
    }

    /// Creates or deletes pods so the Job runs as many as it wants now: parallelism, capped by
    /// the completions (or indexes) still to go; no new pods while a failure back-off runs.
    func manage(_ job: Job, ledger: JobLedger, outcomes: [(Pod, JobPodOutcome)], record: JobBackoff.Record, now: Date) async throws -> PodChange {
        let active = outcomes.filter { $0.1 == .active }.map(\.0)
        var change = PodChange()
        var excess: [Pod] = []
        var create: [Int?] = []
        if ledger.isIndexed, let completions = job.spec.completions {
            // Succeeded pods' indexes too, as Kubernetes: the status may not show them yet.
            let succeededPods = outcomes.filter { $0.1 == .succeeded }.compactMap(\.0.completionIndex).filter { $0 < completions }
            let ended = ledger.succeededIndexes.union(ledger.failedIndexes).union(IndexRanges(succeededPods))
            // One pod per pending index: the ready (then older) one stays, the others go.
            var byIndex: [Int: Pod] = [:]
            for pod in Self.deletionOrder(active).reversed() {
                guard let index = pod.completionIndex, index < completions, !ended.contains(index), byIndex[index] == nil else {
                    excess.append(pod)
                    continue
                }
                byIndex[index] = pod
            }
            let want = max(0, min(job.spec.parallelism, completions - ended.count))
            let running = byIndex.keys.sorted()
            for index in running.dropFirst(want) { excess.append(byIndex[index]!) }
            if running.count < want {
                var candidates: [Int] = []
                let pending = IndexRanges.missing(below: completions, from: [ended, IndexRanges(running)], count: completions)
                for index in pending where candidates.count < want - running.count {
                    let wait = indexBackoff(index, job: job, outcomes: outcomes, record: record, now: now)
                    if wait > .zero {
                        change.requeue = min(change.requeue ?? wait, wait)
                    } else {
                        candidates.append(index)
                    }
                }
                create = candidates
            }
        } else {
            let want: Int
            if let completions = job.spec.completions {
                want = max(0, min(job.spec.parallelism, completions - ledger.succeeded))
            } else {
                // The work queue: after one success no new pods, the rest finish on their own.
                want = ledger.succeeded > 0 ? min(active.count, job.spec.parallelism) : job.spec.parallelism
            }
            if active.count > want {
                excess = Array(Self.deletionOrder(active).prefix(active.count - want))
            } else if active.count < want {
                let wait = backoff.remaining(failures: record.failuresAfterLastSuccess, lastFailure: record.lastFailure, now: now)
                if wait > .zero {
                    change.requeue = wait
                } else {
                    create = Array(repeating: nil, count: want - active.count)
                }
            }
        }
        if !excess.isEmpty {
            try await delete(excess, of: job, expect: true)
            change.delta -= excess.count
        } else if !create.isEmpty {
            change.delta += try await createPods(job, indexes: create, outcomes: outcomes)
        }
        return change
    }

    /// How long index `index` must still wait after its failures: its own back-off with
    /// backoffLimitPerIndex (from its last failed pod), else the Job's.
    private func indexBackoff(_ index: Int, job: Job, outcomes: [(Pod, JobPodOutcome)], record: JobBackoff.Record, now: Date) -> Duration {
        guard job.spec.backoffLimitPerIndex != nil else {
            return backoff.remaining(failures: record.failuresAfterLastSuccess, lastFailure: record.lastFailure, now: now)
        }
        let failed = outcomes.filter { $0.1 == .failed && $0.0.completionIndex == index }.map(\.0)
        guard let last = failed.max(by: { $0.indexFailureCount < $1.indexFailureCount }) else { return .zero }
        return backoff.remaining(failures: last.indexFailureCount + 1, lastFailure: last.finishedAt.flatMap(Timestamp.parse), now: now)
    }

    /// Failures so far of `index` (the annotation its next pod carries).
    private static func failureCount(of index: Int, outcomes: [(Pod, JobPodOutcome)]) -> Int {
        outcomes.filter { $0.1 == .failed && $0.0.completionIndex == index }.map { $0.0.indexFailureCount + 1 }.max() ?? 0
    }

    /// Pods in the order Kubernetes deletes them: not scheduled, not ready, then the newest first.
    static func deletionOrder(_ pods: [Pod]) -> [Pod] {
        pods.sorted { a, b in
            let aScheduled = a.spec.nodeName?.isEmpty == false
            let bScheduled = b.spec.nodeName?.isEmpty == false
            if aScheduled != bScheduled { return !aScheduled }
            if a.isReady != b.isReady { return !a.isReady }
            let aCreated = a.json["metadata"]["creationTimestamp"].string ?? ""
            let bCreated = b.json["metadata"]["creationTimestamp"].string ?? ""
            if aCreated != bCreated { return aCreated > bCreated }
            return a.name > b.name
        }
    }

    /// Creates a pod per entry of `indexes` (nil for a NonIndexed Job) in slow-start batches;
    /// returns how many were created. Throws the first failure after counting what it prevented.
    private func createPods(_ job: Job, indexes: [Int?], outcomes: [(Pod, JobPodOutcome)]) async throws -> Int {
        let key = job.key
        expectations.expectCreations(key, count: indexes.count)
        let pods = indexes.map { index in
            Self.podJSON(job, index: index, failureCount: index.map { Self.failureCount(of: $0, outcomes: outcomes) } ?? 0)
        }
        let result = await PodControl.slowStartBatch(count: pods.count) { [podControl] number in
            try await podControl.createPod(pods[number], for: job.owner)
        }
        // The informer will never see the pods that were not created.
        for _ in result.successes..<pods.count { expectations.creationObserved(key) }
        if let error = result.error { throw error }
        return result.successes
    }

    /// Deletes `pods` of `job`; with `expect`, the sync waits until the cache has seen them go.
    func delete(_ pods: [Pod], of job: Job, expect: Bool) async throws {
        guard !pods.isEmpty else { return }
        if expect { expectations.expectDeletions(job.key, uids: pods.map(\.uid)) }
        for pod in pods {
            do {
                try await podControl.deletePod(pod, for: job.owner)
            } catch {
                if expect { expectations.deletionObserved(job.key, uid: pod.uid) }
                throw error
            }
        }
    }

    /// A pod for `job` from its template: tracked by the job finalizer; for an Indexed Job, with
    /// its index in the name (`<job>-<index>-<suffix>`), annotation, label, hostname and the
    /// JOB_COMPLETION_INDEX variable of every container.
    static func podJSON(_ job: Job, index: Int?, failureCount: Int) -> JSON {
        let name = job.metadata.name
        var pod = job.spec.template.pod(
            owner: job.owner.reference, namespace: job.metadata.namespace, generateName: index.map { "\(name)-\($0)-" } ?? "\(name)-",
            extraLabels: index.map { [Job.completionIndexKey: String($0)] } ?? [:])
        pod["metadata"]["finalizers"] = [.string(Job.trackingFinalizer)]
        guard let index else { return pod }
        var annotations = pod["metadata"]["annotations"].stringMap
        annotations[Job.completionIndexKey] = String(index)
        if job.spec.backoffLimitPerIndex != nil { annotations[Job.indexFailureCountKey] = String(failureCount) }
        pod["metadata"]["annotations"] = JSON(stringMap: annotations)
        let hostname = "\(name)-\(index)"
        if pod["spec"]["hostname"].isNull && hostname.count <= 63 { pod["spec"]["hostname"] = .string(hostname) }
        for list in ["initContainers", "containers"] {
            guard var containers = pod["spec"][list].array else { continue }
            for number in containers.indices {
                var env = containers[number]["env"].array ?? []
                guard !env.contains(where: { $0["name"].string == "JOB_COMPLETION_INDEX" }) else { continue }
                env.append(["name": "JOB_COMPLETION_INDEX", "value": .string(String(index))])
                containers[number]["env"] = .array(env)
            }
            pod["spec"][list] = .array(containers)
        }
        return pod
    }
}
