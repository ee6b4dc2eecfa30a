import NIOPosix
import Synchronization

/// Checkpoints a database's write-ahead log from a connection of its own, on a thread that may
/// block, so that the writer's commits no longer wait for the disk.
///
/// SQLite's automatic checkpoint runs in the commit that takes the log past 1,000 pages: it
/// copies them into the database file and syncs both files (measured here: two `fsync`s of
/// 2-9 ms, about twice a second under a stream of audited requests). The writer commits on a
/// thread of Swift's cooperative pool (see ``SQLiteConnection``), so for those milliseconds one
/// of the pool's two threads stood still, and every request waiting for a commit with it.
///
/// Here the writer's WAL hook schedules a passive checkpoint on NIO's pool for blocking work
/// instead; WAL mode lets it copy committed pages while the writer appends new ones. The log
/// is rewound to its start only by a transaction that begins once all of it is copied, and a
/// busy writer has always appended a little more by the time a checkpoint beside it ends. So
/// when the log's uncopied tail is short (``catchUp`` pages), the writer checkpoints that tail
/// in its commit, as SQLite would have checkpointed everything: a few pages and small syncs,
/// and its next transaction rewinds the log. Past ``inlineLimit`` pages (checkpoints fall
/// behind, or an open read holds pages back) the writer checkpoints in its commit whatever the
/// tail, which bounds the log.
final class SQLiteCheckpointer: Sendable {
    /// Pages in the log after which a checkpoint is scheduled: SQLite's default (1,000 pages).
    let threshold: Int32
    /// Uncopied pages the writer checkpoints itself once a checkpoint beside it has copied the rest.
    let catchUp: Int32
    /// Pages after which the writer checkpoints itself whatever is left.
    let inlineLimit: Int32
    /// The checkpointing connection; `nil` once closed. Held for the whole checkpoint, so
    /// ``close()`` waits for one in progress.
    private let connection: Mutex<SQLiteConnection?>
    /// Whether a checkpoint is scheduled or running: at most one at a time.
    private let scheduled = Atomic<Bool>(false)
    /// The last checkpoint's result, the pages then in the log (high 32 bits) and those copied
    /// (low 32 bits): one word, so that the writer reads both at once.
    private let progress = Atomic<UInt64>(0)
    private let checkpoints = Atomic<Int>(0)

    /// Opens the checkpointing connection to the database at `path`, which must already be
    /// in WAL mode.
    init(path: String, threshold: Int32 = 1000, catchUp: Int32 = 100, inlineLimit: Int32 = 10_000) throws(StoreError) {
        precondition(0 < catchUp && catchUp < threshold && threshold < inlineLimit, "limits in order")
        self.threshold = threshold
        self.catchUp = catchUp
        self.inlineLimit = inlineLimit
        let connection = try SQLiteConnection(path: path)
        // A connection finds the log at its first read; until then a checkpoint does nothing.
        _ = try connection.query("SELECT count(*) FROM sqlite_schema", [])
        self.connection = Mutex(connection)
    }

    /// Checkpoints that copied pages off the writer so far.
    var completed: Int { checkpoints.load(ordering: .relaxed) }

    /// What the writer does after a commit.
    enum Step: Equatable {
        case nothing
        /// Start a checkpoint beside the writer.
        case schedule
        /// Checkpoint in this commit.
        case checkpointHere
    }

    /// The step after a commit that left `pages` in the log, given whether a checkpoint is
    /// scheduled or running and the last one's result (`log` pages then, `copied` of them).
    static func step(
        pages: Int32, scheduled: Bool, last: (log: Int32, copied: Int32), threshold: Int32, catchUp: Int32, inlineLimit: Int32
    ) -> Step {
        if pages >= inlineLimit { return .checkpointHere }
        guard pages >= threshold else { return .nothing }
        if scheduled { return .nothing }
        // A result from before the log was last rewound has a larger log than now.
        if last.log <= pages, pages - last.copied <= catchUp { return .checkpointHere }
        return .schedule
    }

    /// Called by the writer after each commit with the pages now in the log. Returns whether
    /// the writer should checkpoint in this commit.
    func walGrew(to pages: Int32) -> Bool {
        var word = progress.load(ordering: .relaxed)
        if pages < threshold, word != 0 {
            // A new log (rewound): forget the last result, which was about the one before.
            progress.store(0, ordering: .relaxed)
            word = 0
        }
        let last = (log: Int32(truncatingIfNeeded: word >> 32), copied: Int32(truncatingIfNeeded: word))
        let step = Self.step(
            pages: pages, scheduled: scheduled.load(ordering: .acquiring), last: last,
            threshold: threshold, catchUp: catchUp, inlineLimit: inlineLimit
        )
        guard step == .schedule else { return step == .checkpointHere }
        // Only the writer schedules, so nothing else sets the flag between the load and here.
        scheduled.store(true, ordering: .releasing)
        NIOThreadPool.singleton.submit { [self] _ in
            connection.withLock { connection in
                guard let result = connection?.checkpoint() else { return }
                progress.store(UInt64(UInt32(result.log)) << 32 | UInt64(UInt32(result.copied)), ordering: .relaxed)
                if result.copied > 0 { checkpoints.add(1, ordering: .relaxed) }
            }
            scheduled.store(false, ordering: .releasing)
        }
        return false
    }

    /// Closes the connection once no checkpoint is running; later ones do nothing.
    func close() {
        connection.withLock { connection in
            connection?.close()
            connection = nil
        }
    }
}
