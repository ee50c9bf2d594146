import Foundation
import GRDB
import StockroomCore
import StockroomStore
import StockroomTesting
import Testing

/// Section 11 against a real database: episodes and outbox rows commit with the op that
/// caused them, digests gather, acknowledgements cancel, settings verify and replay.
@Suite struct AlertStoreTests {
    static let recipients = [
        AlertRecipient(id: "now", channel: .webhook, address: "http://127.0.0.1:9/x"),
        AlertRecipient(id: "hourly", channel: .email, address: "b@c.de", digest: .hourly),
        AlertRecipient(id: "dairy", channel: .email, address: "d@c.de", categories: ["Dairy"]),
    ]

    func store(clock: Locked<UInt64>) async throws -> StockroomStore {
        let store = try StockroomStore(
            path: try TestStores.temporaryDirectory() + "/stockroom.sqlite", nodeID: NodeID("hub")!,
            wallMillis: { clock.value })
        try await TestStores.seedCatalogue(store)  // A-1 has a catalogue threshold of 5
        try await store.enableAlerts(AlertRouting(recipients: Self.recipients, isHub: true))
        return store
    }

    @Test func anEpisodeAndItsMessagesCommitWithTheOpAndDigestsGather() async throws {
        let clock = Locked<UInt64>(UInt64(Date().timeIntervalSince1970 * 1000))
        let store = try await store(clock: clock)
        _ = try await store.recordScan(.receive("r1", "A-1", 8), actor: "t")
        #expect(try await store.alertEpisodes().isEmpty)
        _ = try await store.recordScan(.sale("s1", "A-1", 4), actor: "t")  // 4 ≤ 5: the catalogue threshold
        let episodes = try await store.alertEpisodes()
        #expect(episodes.count == 1 && episodes[0].rule == "low|item:A-1|*" && episodes[0].openedValue == 4)
        let queued = try await store.outboxMessages()
        #expect(Set(queued.map(\.recipient)) == ["now", "hourly"])  // A-1 is not Dairy
        // Immediate now; the hourly one at the next hour, gathered with a second episode's.
        var due = try await store.claimDueMessages(now: clock.value)
        #expect(due.map(\.recipient) == ["now"])
        _ = try await store.recordScan(.receive("r2", "B-2", 3), actor: "t")
        try await store.setSetting(
            Setting(namespace: .alertRule, key: "out|item:B-2|*", value: AlertRule(threshold: 0).text), actor: "t")
        _ = try await store.recordScan(.sale("s2", "B-2", 3), actor: "t")
        clock.withLock { $0 += 3_600_000 }
        due = try await store.claimDueMessages(now: clock.value)
        let digest = try #require(due.first { $0.recipient == "hourly" })
        #expect(digest.messages.count == 2 && digest.id.hasPrefix("digest/hourly/"))
        // The same batch id on every attempt: receivers deduplicate by it.
        try await store.recordDelivery(digest, outcome: .retry(detail: "503"), now: clock.value, retryAt: clock.value)
        let again = try await store.claimDueMessages(now: clock.value)
        #expect(again.first { $0.recipient == "hourly" }?.id == digest.id)
    }

    /// Issue #15: recipients added in Settings join the notify file's at the next alert,
    /// survive a reopen, and stop hearing once removed; the file's own cannot be changed.
    @Test func recipientsAddedInSettingsHearAboutTheNextAlert() async throws {
        let clock = Locked<UInt64>(UInt64(Date().timeIntervalSince1970 * 1000))
        let store = try await store(clock: clock)
        let routing = AlertRouting(recipients: Self.recipients, isHub: true, channels: [.email, .webhook, .slack])
        try await store.enableAlerts(routing)
        let chat = AlertRecipient(
            id: "chat", channel: .slack, address: "https://hooks.example/x", locations: ["hub"], kinds: [.low])
        try await store.setAlertRecipient(chat, actor: "user:ada")
        await #expect(throws: StoreError.self) {  // the file's id
            try await store.setAlertRecipient(
                AlertRecipient(id: "now", channel: .slack, address: "https://a.b/c"), actor: "t")
        }
        await #expect(throws: StoreError.self) {  // no SMS section
            try await store.setAlertRecipient(
                AlertRecipient(id: "sms", channel: .sms, address: "+15551234567"), actor: "t")
        }
        await #expect(throws: StoreError.self) {  // a phone number is no Slack URL
            try await store.setAlertRecipient(
                AlertRecipient(id: "bad", channel: .slack, address: "+15551234567"), actor: "t")
        }
        let listed = try await store.alertRecipients()
        #expect(listed.entries.map(\.recipient.id) == ["now", "hourly", "dairy", "chat"])
        #expect(listed.entries.last?.source == .settings && listed.entries.last?.setBy == "user:ada")
        _ = try await store.recordScan(.receive("r1", "A-1", 3), actor: "t")  // low (threshold 5)
        #expect(Set(try await store.outboxMessages().map(\.recipient)) == ["now", "hourly", "chat"])
        #expect(try await store.removeAlertRecipient(id: "chat"))
        #expect(try await store.removeAlertRecipient(id: "chat") == false)
        await #expect(throws: StoreError.self) { try await store.removeAlertRecipient(id: "now") }
        try await store.setSetting(
            Setting(namespace: .alertRule, key: "out|item:A-1|*", value: AlertRule(threshold: 0).text), actor: "t")
        _ = try await store.recordScan(.sale("s1", "A-1", 3), actor: "t")  // out: a second episode
        let second = try await store.outboxMessages().filter { $0.topic == "alert.out" }
        #expect(!second.isEmpty && !second.contains { $0.recipient == "chat" })
    }

    @Test func anAcknowledgedEpisodeIsNotSentAndARecoveredOneIsCancelled() async throws {
        let clock = Locked<UInt64>(UInt64(Date().timeIntervalSince1970 * 1000))
        let store = try await store(clock: clock)
        _ = try await store.recordScan(.receive("r1", "A-1", 3), actor: "t")
        let episode = try #require(try await store.alertEpisodes().first)
        try await store.setSetting(
            Setting(namespace: .alertAction, key: episode.id, value: AlertAction(acknowledged: true).text), actor: "t")
        #expect(try await store.claimDueMessages(now: clock.value).isEmpty)
        #expect(try await store.outboxMessages(status: "cancelled").count == 1)
        // A recovery (8 > 5 + 1) before a digest goes out cancels it: the dip is over.
        _ = try await store.recordScan(.receive("r2", "A-1", 5), actor: "t")
        #expect(try await store.alertEpisodes(open: false).count == 1)
        clock.withLock { $0 += 3_600_000 }
        #expect(try await store.claimDueMessages(now: clock.value).isEmpty)
        #expect(try await store.outboxMessages(status: "cancelled").count == 2)
    }

    @Test func aRefusedWriteLeavesNoEpisodeAndSettingsVerifyAndReplay() async throws {
        let clock = Locked<UInt64>(UInt64(Date().timeIntervalSince1970 * 1000))
        let store = try await store(clock: clock)
        try await store.restrictLocalWrites(to: .own(NodeID("hub")!))
        // Chain-wide rules are the hub's; this store (restricted like an edge) is refused,
        // and nothing of the op is written.
        await #expect(throws: OpViolation.self) {
            try await store.setSetting(
                Setting(namespace: .alertRule, key: "low|*|*", value: "threshold=3"), actor: "t")
        }
        #expect(try await store.settings(.alertRule).isEmpty)
        try await store.restrictLocalWrites(to: .anywhere)
        try await store.setSetting(Setting(namespace: .alertRule, key: "low|*|*", value: "threshold=3"), actor: "t")
        try await store.setSetting(
            Setting(namespace: .reorderRule, key: "A-1|hub", value: ReorderRule(min: 2, max: 9).text), actor: "t")
        try await store.setSetting(Setting(namespace: .alertRule, key: "low|*|*", value: nil), actor: "t")
        #expect(try await store.settings(.alertRule).isEmpty)
        #expect(try await store.settings(.reorderRule).count == 1)
        let report = try await store.verify()
        #expect(report.isHealthy, "\(report.stateMismatches)")
        try await store.rebuildMaterialisedState()
        #expect(try await store.settings(.reorderRule).count == 1)
        #expect(try await store.verify().isHealthy)
    }
}
