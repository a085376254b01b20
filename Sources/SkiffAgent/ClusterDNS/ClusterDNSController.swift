import Logging
import SkiffAPI
import SkiffClient
import SkiffDNS

/// CoreDNS's kubernetes plugin, on every node: whenever a Service or EndpointSlice changes,
/// rebuild the cluster records and swap them into the node's DNS server. A rebuild is a few
/// milliseconds for thousands of Services, so there is nothing incremental to keep.
final class ClusterDNSController: Sendable {
    let informers: ClusterInformers
    let server: DNSServer
    let zone: String
    let nameserverAddresses: [String]
    let logger: Logger

    init(informers: ClusterInformers, server: DNSServer, zone: String, nameserverAddresses: [String], logger: Logger) {
        self.informers = informers
        self.server = server
        self.zone = zone
        self.nameserverAddresses = nameserverAddresses
        self.logger = logger
    }

    /// Registers on the informers (before they run) and returns the loop to run.
    func worker() -> QueueWorkers<String> {
        informers.servicesAndSlicesWorker(name: "cluster DNS", logger: logger) { self.sync() }
    }

    func sync() {
        let services = DNSServices.build(services: informers.services.list(), slices: informers.endpointSlices.list())
        server.update(ClusterDNSRecords(zone: zone, nameserverAddresses: nameserverAddresses, services: services))
    }
}
