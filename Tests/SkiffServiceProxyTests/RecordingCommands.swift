import Synchronization

@testable import SkiffServiceProxy

/// Records the scripts and conntrack calls a ServiceProxy makes; fails the nth nft call when asked.
final class RecordingCommands: ProxyCommands {
    struct Refused: Error, CustomStringConvertible {
        var description: String { "nft: Error: No such file or directory" }
    }

    private let state = Mutex<(scripts: [String], conntrack: [[String]], failNext: Int)>(([], [], 0))

    var scripts: [String] { state.withLock { $0.scripts } }
    var conntrackCalls: [[String]] { state.withLock { $0.conntrack } }

    /// The next `count` nft calls are refused.
    func refuse(next count: Int) { state.withLock { $0.failNext = count } }

    func applyNFTables(_ script: String) throws {
        try state.withLock { state throws(Refused) in
            if state.failNext > 0 {
                state.failNext -= 1
                throw Refused()
            }
            state.scripts.append(script)
        }
    }

    func conntrack(_ arguments: [String]) throws {
        state.withLock { $0.conntrack.append(arguments) }
    }
}
