import Synchronization

/// Wakes whoever waits for a run this process finishes. Runs that finished recently are
/// remembered (a bounded number), so a waiter that arrives just after the end is not missed.
final class RunCompletions: Sendable {
    private struct State {
        var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]
        var recent: Set<String> = []
        var order: [String] = []
    }
    private let state = Mutex(State())
    private let remembered: Int

    init(remembered: Int = 4096) {
        self.remembered = remembered
    }

    /// Returns once `runID` finished in this process.
    func wait(for runID: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s in
                if s.recent.contains(runID) { return true }
                s.waiters[runID, default: []].append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// A finished run was re-driven: it is no longer finished.
    func reopened(_ runID: String) {
        state.withLock { s in
            if s.recent.remove(runID) != nil { s.order.removeAll { $0 == runID } }
        }
    }

    func finished(_ runID: String) {
        let waiting = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            if s.recent.insert(runID).inserted {
                s.order.append(runID)
                if s.order.count > remembered {
                    let dropped = s.order.count - remembered
                    for old in s.order.prefix(dropped) { s.recent.remove(old) }
                    s.order.removeFirst(dropped)
                }
            }
            return s.waiters.removeValue(forKey: runID) ?? []
        }
        for continuation in waiting { continuation.resume() }
    }
}
