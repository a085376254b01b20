import SkiffAPI
import Testing

@Suite struct PatchTests {
    let deployment: JSON = [
        "spec": [
            "template": [
                "spec": [
                    "containers": [
                        [
                            "name": "web", "image": "nginx:1.25", "ports": [["containerPort": 80], ["containerPort": 443]],
                            "env": [["name": "A", "value": "1"], ["name": "B", "value": "2"]],
                        ],
                        ["name": "sidecar", "image": "busybox"],
                    ]
                ]
            ]
        ]
    ]

    @Test func strategicMergeMergesContainersByNameAndEnvByName() throws {
        let patch: JSON = ["spec": ["template": ["spec": ["containers": [["name": "web", "image": "nginx:1.26", "env": [["name": "B", "value": "3"]]]]]]]]
        let result = try StrategicMergePatch.apply(patch, to: deployment)
        let containers = try #require(result["spec"]["template"]["spec"]["containers"].array)
        #expect(containers.count == 2)
        #expect(containers[0]["image"] == "nginx:1.26")
        #expect(containers[0]["env"] == [["name": "A", "value": "1"], ["name": "B", "value": "3"]])
        #expect(containers[0]["ports"].array?.count == 2)
        #expect(containers[1]["name"] == "sidecar")
    }

    @Test func strategicMergeDeleteDirectiveRemovesListElementByMergeKey() throws {
        let patch: JSON = [
            "spec": [
                "template": [
                    "spec": [
                        "containers": [
                            ["name": "sidecar", "$patch": "delete"],
                            ["name": "web", "ports": [["containerPort": 443, "$patch": "delete"]]],
                        ]
                    ]
                ]
            ]
        ]
        let result = try StrategicMergePatch.apply(patch, to: deployment)
        let containers = try #require(result["spec"]["template"]["spec"]["containers"].array)
        #expect(containers.map { $0["name"] } == ["web"])
        #expect(containers[0]["ports"] == [["containerPort": 80]])
    }

    @Test func strategicMergeSetElementOrderReordersList() throws {
        let patch: JSON = ["spec": ["template": ["spec": ["$setElementOrder/containers": [["name": "sidecar"], ["name": "web"]]]]]]
        let result = try StrategicMergePatch.apply(patch, to: deployment)
        #expect(result["spec"]["template"]["spec"]["containers"].array?.map { $0["name"] } == ["sidecar", "web"])
    }

    @Test func strategicMergeReplacesListsWithoutMergeKeyAndNullDeletes() throws {
        let original: JSON = ["spec": ["tolerations": [["key": "a"]], "nodeSelector": ["x": "y"]], "metadata": ["labels": ["a": "1", "b": "2"]]]
        let patch: JSON = ["spec": ["tolerations": [["key": "b"]]], "metadata": ["labels": ["a": nil]]]
        let result = try StrategicMergePatch.apply(patch, to: original)
        #expect(result["spec"]["tolerations"] == [["key": "b"]])
        #expect(result["spec"]["nodeSelector"] == ["x": "y"])
        #expect(result["metadata"]["labels"] == ["b": "2"])
    }

    @Test func strategicMergeMergesServicePortsByPort() throws {
        let service: JSON = ["spec": ["ports": [["port": 80, "name": "http"], ["port": 443, "name": "https"]]]]
        let result = try StrategicMergePatch.apply(["spec": ["ports": [["port": 443, "targetPort": 8443]]]], to: service)
        #expect(result["spec"]["ports"] == [["port": 80, "name": "http"], ["port": 443, "name": "https", "targetPort": 8443]])
    }

    @Test func mergePatchReplacesListsAndRemovesNullKeys() {
        let result = MergePatch.apply(["a": nil, "b": ["c": 1], "l": [3]], to: ["a": 1, "b": ["d": 2], "l": [1, 2]])
        #expect(result == ["b": ["c": 1, "d": 2], "l": [3]])
    }

    @Test func jsonPatchAppliesOperationsInOrder() throws {
        let patch: JSON = [
            ["op": "add", "path": "/metadata/labels/x", "value": "1"],
            ["op": "replace", "path": "/spec/replicas", "value": 3],
            ["op": "add", "path": "/spec/list/-", "value": "c"],
            ["op": "remove", "path": "/spec/list/0"],
            ["op": "copy", "from": "/spec/replicas", "path": "/spec/copy"],
            ["op": "test", "path": "/spec/copy", "value": 3],
        ]
        let result = try JSONPatch.apply(patch, to: ["metadata": ["labels": .emptyObject], "spec": ["replicas": 1, "list": ["a", "b"]]])
        #expect(result == ["metadata": ["labels": ["x": "1"]], "spec": ["replicas": 3, "list": ["b", "c"], "copy": 3]])
    }

    @Test func jsonPatchFailedTestOrMissingPathThrows() {
        #expect(throws: PatchError.self) { try JSONPatch.apply([["op": "test", "path": "/a", "value": 2]], to: ["a": 1]) }
        #expect(throws: PatchError.self) { try JSONPatch.apply([["op": "replace", "path": "/missing", "value": 2]], to: ["a": 1]) }
    }
}

@Suite struct WireFormatTests {
    @Test(arguments: ["{", "[1,]", "{\"a\":}", "nul", "\"unterminated", "{\"a\":1}x", "01x"])
    func malformedJSONIsRejected(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSON(parsing: text) }
    }

    @Test func jsonRoundTripsUnicodeEscapesAndNumbers() throws {
        let value = try JSON(parsing: #"{"s":"a\"b\\c\n\u00e9\ud83d\ude00","i":-12,"d":1.5,"b":true,"n":null,"l":[]}"#)
        #expect(value["s"] == "a\"b\\c\né😀")
        #expect(value["i"] == .int(-12))
        #expect(value["d"] == .double(1.5))
        #expect(try JSON(parsing: value.serialized) == value)
    }

    @Test func deeplyNestedJSONIsRejectedNotCrashed() {
        let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSON(parsing: text) }
    }

    @Test(arguments: [("100m", 100), ("1", 1000), ("1.5", 1500), ("2Ki", 2_048_000), ("1Gi", 1_073_741_824_000), ("1e3", 1_000_000), ("500M", 500_000_000_000)])
    func quantitiesParseToMilliValues(_ text: String, _ milli: Int64) throws {
        #expect(try #require(Quantity(parsing: text)).milliValue == milli)
    }

    @Test(arguments: ["", "abc", "1.2.3", "12Qi", "--1", "1Gii", ".", "Gi"])
    func malformedQuantitiesAreRejected(_ text: String) {
        #expect(Quantity(parsing: text) == nil)
    }

    @Test func labelSelectorsSupportEqualitySetAndExistence() throws {
        let selector = try LabelSelector(parsing: "app=web,tier!=db,env in (prod, staging),!legacy,team")
        #expect(selector.matches(["app": "web", "env": "prod", "team": "a"]))
        #expect(!selector.matches(["app": "web", "env": "dev", "team": "a"]))
        #expect(!selector.matches(["app": "web", "env": "prod", "team": "a", "legacy": "1"]))
        #expect(!selector.matches(["app": "web", "env": "prod", "team": "a", "tier": "db"]))
        #expect(throws: SelectorError.self) { try LabelSelector(parsing: "a b=c") }
    }

    @Test func fieldSelectorsMatchNestedFields() throws {
        let selector = try FieldSelector(parsing: "spec.nodeName=n1,status.phase!=Failed")
        #expect(selector.matches(["spec": ["nodeName": "n1"], "status": ["phase": "Running"]]))
        #expect(!selector.matches(["spec": ["nodeName": "n2"], "status": ["phase": "Running"]]))
        #expect(!selector.matches(["spec": ["nodeName": "n1"], "status": ["phase": "Failed"]]))
    }
}
