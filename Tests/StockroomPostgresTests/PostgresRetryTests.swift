import Foundation
import Synchronization
import Testing

@testable import StockroomPostgres

/// An attempt past its deadline is given up, not waited for: after a Patroni failover a
/// pooled connection's lease can wait without end and without heeding cancellation, and a
/// hub's replica loop hung behind one (`make ha-test`).
@Suite struct PostgresRetryTests {
    /// Work that ends only when the test says so, whatever cancellation says.
    final class Gate: Sendable {
        let opened = Mutex(false)
        let waiters = Mutex<[CheckedContinuation<Void, Never>]>([])

        func wait() async {
            await withCheckedContinuation { continuation in
                let resumeNow = opened.withLock { opened in
                    if !opened { waiters.withLock { $0.append(continuation) } }
                    return opened
                }
                if resumeNow { continuation.resume() }
            }
        }

        func open() {
            opened.withLock { $0 = true }
            for waiter in waiters.withLock({ waiters in
                defer { waiters = [] }; return waiters
            }) { waiter.resume() }
        }
    }

    @Test func anAttemptThatIgnoresCancellationIsAbandonedAtItsDeadline() async throws {
        let gate = Gate()
        // A backstop only: if the deadline waited for the attempt, the test ends here
        // after 60 s and fails below instead of hanging.
        let backstop = Task {
            try await Task.sleep(for: .seconds(60))
            gate.open()
        }
        defer { backstop.cancel() }
        await #expect(throws: PostgresRetry.AttemptTimedOut.self) {
            try await PostgresRetry.withDeadline(.milliseconds(50)) {
                await gate.wait()
                return 1
            }
        }
        #expect(!gate.opened.withLock { $0 }, "the deadline waited for the attempt to end")
        gate.open()
        #expect(
            PostgresRetry.isTransient(PostgresRetry.AttemptTimedOut()), "a timed-out attempt moves host and retries")
    }

    @Test func anAttemptInTimeGivesItsResultOrItsError() async throws {
        #expect(try await PostgresRetry.withDeadline(.seconds(30)) { 7 } == 7)
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await PostgresRetry.withDeadline(.seconds(30)) { () async throws -> Int in throw Refused() }
        }
    }

    @Test func aCancelledCallerIsReleasedAtOnce() async throws {
        let gate = Gate()
        let call = Task {
            try await PostgresRetry.withDeadline(.seconds(60)) {
                await gate.wait()
                return 1
            }
        }
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        gate.open()
    }
}
