import SkiffNetworkPolicy
import SkiffSystem
import Synchronization

/// Records the scripts a sync sends; can refuse the next one as nft would.
final class RecordingCommands: PolicyCommands {
    private let state = Mutex<(scripts: [String], failNext: Bool)>(([], false))

    var scripts: [String] { state.withLock { $0.scripts } }

    func failNext() { state.withLock { $0.failNext = true } }

    func applyNFTables(_ script: String) throws {
        let fail = state.withLock { state in
            defer { state.failNext = false }
            if !state.failNext { state.scripts.append(script) }
            return state.failNext
        }
        if fail { throw RuntimeError("refused") }
    }
}
