import FlowgateTesting
import Foundation
import Identity
import Synchronization

/// A wall clock that follows the system's, shifted by an adjustable offset, so tests can move
/// past expiry and rate-limit windows without sleeping while real IdPs use real time.
final class TestClock: SSOClock {
    private let offset = Mutex<Duration>(.zero)
    func timeSinceEpoch() -> Duration { SystemSSOClock().timeSinceEpoch() + offset.withLock { $0 } }
    func advance(by delta: Duration) { offset.withLock { $0 += delta } }
}

