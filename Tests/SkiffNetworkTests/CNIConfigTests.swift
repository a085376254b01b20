import SkiffJSON
import SkiffSystem
import Testing

@testable import SkiffNetwork

@Suite("CNI configuration")
struct CNIConfigTests {
    let configuration: PodNetworkConfiguration

    init() throws { configuration = try PodNetworkConfiguration(podCIDR: "10.42.0.0/24", ipamDataDirectory: "/var/lib/skiff/cni") }

    @Test("a pod without hostPorts is attached without portmap; one with them gets the whole chain")
    func conflistWithoutPorts() {
        #expect(configuration.conflist(publishingPorts: false)["plugins"].array?.map { $0["type"].string } == ["loopback", "bridge"])
        #expect(configuration.conflist(publishingPorts: true) == configuration.conflist)
        #expect(configuration.conflist(publishingPorts: false)["name"] == configuration.conflist["name"])
    }

    @Test("the conflist chains loopback, bridge (gateway, hairpin, host-local, no masquerade) and portmap")
    func conflist() throws {
        let list = configuration.conflist
        #expect(list["cniVersion"] == .string("1.0.0"))
        #expect(list["name"] == .string("skiff"))
        let plugins = try #require(list["plugins"].array)
        #expect(plugins.map { $0["type"].string } == ["loopback", "bridge", "portmap"])
        let bridge = plugins[1]
        #expect(bridge["bridge"] == .string("skiff0"))
        #expect(bridge["isGateway"] == .bool(true) && bridge["ipMasq"] == .bool(false) && bridge["hairpinMode"] == .bool(true))
        #expect(bridge["ipam"]["dataDir"] == .string("/var/lib/skiff/cni"))
        #expect(bridge["ipam"]["ranges"] == .array([.array([.object(["subnet": .string("10.42.0.0/24")])])]))
        #expect(plugins[2]["snat"] == .bool(true))
        #expect(bridge["mtu"].isNull, "no MTU given: the plugin picks")
    }

    @Test(
        "the pod MTU leaves room for VXLAN's 50 bytes in vxlan and auto modes, and is the uplink's in host-gw",
        arguments: [
            (PodNetworkMode.vxlan, 1450), (.auto, 1450), (.hostGateway, 1500),
        ])
    func podMTU(mode: PodNetworkMode, expected: Int) throws {
        let mtu = PodNetworkConfiguration.podMTU(mode: mode, underlyingMTU: 1500)
        #expect(mtu == expected)
        let configured = try PodNetworkConfiguration(podCIDR: "10.42.0.0/24", ipamDataDirectory: "/x", mtu: mtu)
        let bridge = try #require(configured.conflist["plugins"].array)[1]
        #expect(bridge["mtu"] == .int(Int64(expected)))
        #expect(PodNetworkConfiguration.podMTU(mode: mode, underlyingMTU: 9000) == (mode == .hostGateway ? 9000 : 8950))
    }

    @Test("each plugin gets name, cniVersion, prevResult and only the runtimeConfig it has capabilities for")
    func pluginConfig() throws {
        let cni = CNI(pluginDirectories: [])
        let plugins = try #require(configuration.conflist["plugins"].array)
        let runtime = JSON.object(["portMappings": .array([PortMapping(hostPort: 80, containerPort: 8080).json]), "bandwidth": .object([:])])
        let previous = JSON.object(["cniVersion": .string("1.0.0")])
        let portmap = cni.pluginConfig(plugins[2], list: configuration.conflist, runtimeConfig: runtime, previous: previous)
        #expect(portmap["name"] == .string("skiff"))
        #expect(portmap["prevResult"] == previous)
        #expect(
            portmap["runtimeConfig"]
                == .object([
                    "portMappings": .array([
                        .object(["hostPort": .int(80), "containerPort": .int(8080), "protocol": .string("tcp")])
                    ])
                ]))
        let bridge = cni.pluginConfig(plugins[1], list: configuration.conflist, runtimeConfig: runtime, previous: nil)
        #expect(bridge.object?["runtimeConfig"] == nil)
        #expect(bridge.object?["prevResult"] == nil)
    }

    @Test("prevResult reaches the next plugin unchanged, large integers included; the config is compact with sorted keys")
    func prevResultVerbatim() throws {
        let printed = #"{"cniVersion":"1.0.0","dns":{},"interfaces":[{"mac":"aa:bb","name":"eth0"}],"x-counter":18446744073709551615,"x-ratio":0.5}"#
        let previous = try JSON(parsing: Array(printed.utf8), exactIntegers: true)
        let plugins = try #require(configuration.conflist["plugins"].array)
        let config = CNI(pluginDirectories: []).pluginConfig(plugins[2], list: configuration.conflist, runtimeConfig: .emptyObject, previous: previous)
        #expect(config["prevResult"] == previous)
        #expect(config.serialized.contains(#""prevResult":\#(printed)"#))
        #expect(config.serialized.hasPrefix(#"{"capabilities":{"portMappings":true},"cniVersion":"1.0.0","name":"skiff","prevResult":"#))
    }

    @Test("the conflist file text is pretty-printed with sorted keys")
    func conflistText() {
        #expect(
            configuration.conflistJSON.hasPrefix(
                "{\n  \"cniVersion\": \"1.0.0\",\n  \"name\": \"skiff\",\n  \"plugins\": [\n    {\n      \"type\": \"loopback\"\n    },"))
    }

    @Test("the sandbox record round-trips, and a record an older agent wrote with JSONEncoder still reads")
    func sandboxRecord() throws {
        let sandbox = PodSandbox(
            podUID: "u1", hostNetwork: false, podIP: "10.42.0.5", gateway: nil, networkNamespacePath: "/run/p/u1/net",
            ipcNamespacePath: "/run/p/u1/ipc", utsNamespacePath: nil, hostsPath: "/run/p/u1/hosts",
            resolvConfPath: "/run/p/u1/resolv.conf", hostnamePath: "/run/p/u1/hostname", hostname: "web", directory: "/run/p/u1")
        let result: JSON = ["cniVersion": "1.0.0", "ips": [["address": "10.42.0.5/24", "interface": 2]]]
        let record = SandboxRecord(
            phase: .ready, namespace: "default", name: "web", containerID: "u1", interfaceName: "eth0",
            conflist: configuration.conflist, runtimeConfig: .emptyObject, result: result, sandbox: sandbox)
        let text = record.json.prettyPrinted
        #expect(!text.contains("gateway") && !text.contains("utsNamespacePath"), "nil fields are left out")
        let read = try SandboxRecord(jsonBytes: Array(text.utf8))
        #expect(read.phase == .ready && read.namespace == "default" && read.name == "web" && read.interfaceName == "eth0")
        #expect(read.sandbox == sandbox && read.conflist == configuration.conflist && read.result == result)
        let older = { (phase: String) in
            """
            {
              "containerID" : "u2",
              "interfaceName" : "eth0",
              "name" : "p",
              "namespace" : "n",
              "phase" : "\(phase)",
              "sandbox" : {
                "directory" : "/run/p/u2", "hostNetwork" : true, "hostname" : "node", "hostnamePath" : "/run/p/u2/hostname",
                "hostsPath" : "/run/p/u2/hosts", "ipcNamespacePath" : "/run/p/u2/ipc", "podUID" : "u2",
                "resolvConfPath" : "/run/p/u2/resolv.conf"
              }
            }
            """
        }
        let old = try SandboxRecord(jsonBytes: Array(older("adding").utf8))
        #expect(old.phase == .adding && old.conflist == nil && old.sandbox.hostNetwork && old.sandbox.podIP == nil)
        #expect(throws: JSONShapeError(path: "phase", problem: "unknown phase \"done\"")) {
            try SandboxRecord(jsonBytes: Array(older("done").utf8))
        }
    }

    @Test("the pod IP is the IPv4 address of eth0, not loopback's")
    func podAddress() throws {
        let result = try JSON(
            parsing: """
                {"cniVersion":"1.0.0","interfaces":[{"name":"skiff0"},{"name":"veth1"},{"name":"eth0","sandbox":"/x"}],
                 "ips":[{"interface":2,"address":"10.42.0.5/24","gateway":"10.42.0.1"}]}
                """)
        let address = try #require(PodSandboxNetwork.podAddress(in: result, interface: "eth0"))
        #expect(address.ip == "10.42.0.5" && address.gateway == "10.42.0.1")
        let loopbackOnly = try JSON(parsing: #"{"interfaces":[{"name":"lo"}],"ips":[{"interface":0,"address":"127.0.0.1/8"}]}"#)
        #expect(PodSandboxNetwork.podAddress(in: loopbackOnly, interface: "eth0") == nil)
    }

    @Test("bad CIDRs, names and hostnames are rejected with a message naming them")
    func validation() throws {
        #expect(throws: RuntimeError.self) { try PodNetworkConfiguration(podCIDR: "10.42.0.0", ipamDataDirectory: "/x") }
        #expect(throws: RuntimeError.self) { try PodNetworkConfiguration(podCIDR: "10.42.0.300/24", ipamDataDirectory: "/x") }
        #expect(throws: RuntimeError.self) {
            try PodNetworkConfiguration(bridgeName: "a-very-long-bridge-name", podCIDR: "10.42.0.0/24", ipamDataDirectory: "/x")
        }
        #expect(throws: RuntimeError.self) { try PodNetworkConfiguration(podCIDR: "10.42.0.0/24", ipamDataDirectory: "relative") }
        let request = PodSandboxRequest(podUID: "uid-1", namespace: "default", name: "p", hostname: "-bad")
        do {
            try request.validate()
            Issue.record("a hostname starting with '-' was accepted")
        } catch {
            #expect(error.description.contains("\"-bad\""))
        }
        #expect(throws: RuntimeError.self) { try PodSandboxRequest(podUID: "../x", namespace: "d", name: "p", hostname: "p").validate() }
        #expect(IPv4Network.parseAddress("10.1.2.3") == 0x0a01_0203)
        #expect(try IPv4Network("10.42.0.0/24").contains("10.42.0.77"))
        #expect(try !IPv4Network("10.42.0.0/24").contains("10.42.1.1"))
    }

    @Test("leftover nat rules for a container become an iptables-restore delete script")
    func natLeftovers() {
        let save = """
            *nat
            :POSTROUTING ACCEPT [0:0]
            :CNI-650db0c5d67e45e359caf48c - [0:0]
            -A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ
            -A POSTROUTING -s 10.199.7.2/32 -m comment --comment "name: \\"net\\" id: \\"pod1\\"" -j CNI-650db0c5d67e45e359caf48c
            -A POSTROUTING -s 10.199.7.3/32 -m comment --comment "name: \\"net\\" id: \\"pod10\\"" -j CNI-aaaa
            -A CNI-650db0c5d67e45e359caf48c -d 10.199.7.0/24 -m comment --comment "name: \\"net\\" id: \\"pod1\\"" -j ACCEPT
            -A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"net\\" id: \\"pod1\\"" -m multiport --dports 18080 -j CNI-DN-650db0c5d67e45e359caf
            COMMIT
            """
        let script = NATLeftovers.removalScript(iptablesSave: save, network: "net", containerID: "pod1")
        #expect(
            script == """
                *nat
                -D POSTROUTING -s 10.199.7.2/32 -m comment --comment "name: \\"net\\" id: \\"pod1\\"" -j CNI-650db0c5d67e45e359caf48c
                -D CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"net\\" id: \\"pod1\\"" -m multiport --dports 18080 -j CNI-DN-650db0c5d67e45e359caf
                -F CNI-650db0c5d67e45e359caf48c
                -X CNI-650db0c5d67e45e359caf48c
                -F CNI-DN-650db0c5d67e45e359caf
                -X CNI-DN-650db0c5d67e45e359caf
                COMMIT

                """)
        #expect(NATLeftovers.removalScript(iptablesSave: save, network: "net", containerID: "pod2").isEmpty)
    }
}
