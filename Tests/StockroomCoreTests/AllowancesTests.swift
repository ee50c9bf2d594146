import StockroomCore
import Testing

/// Rules A1-A3 of section 10.6 as pure functions.
@Suite struct AllowancesTests {
    static let store = NodeID("store-1")!
    static let hub = NodeID("hub")!

    @Test func theOwnerPromisesAvailableLessEveryChannelsUnusedRights() {
        let ledger = Allowances.Ledger(granted: [Self.hub: 4], promised: [Self.hub: 1])
        #expect(ledger.free(of: Self.hub) == 3)
        #expect(ledger.ownerFree(owner: Self.store, available: 10) == 7)
        #expect(
            Allowances.shortfall(node: Self.store, location: "store-1", quantity: 8, available: 10, ledger: ledger)
                == 7)
        #expect(
            Allowances.shortfall(
                node: Self.store, location: "store-1/backroom", quantity: 7, available: 10, ledger: ledger)
                == nil)
        #expect(
            Allowances.shortfall(node: Self.hub, location: "store-1", quantity: 4, available: 10, ledger: ledger) == 3)
        #expect(
            Allowances.shortfall(node: Self.hub, location: "store-1", quantity: 3, available: 10, ledger: ledger) == nil
        )
    }

    @Test func aChannelWithoutAGrantMayPromiseNothing() {
        #expect(
            Allowances.shortfall(node: Self.hub, location: "store-1", quantity: 1, available: 50, ledger: .init()) == 0)
    }

    @Test func theTopUpGrantsTheShareAboveKeepAndNeverTakesBack() {
        let policy = AllowancePolicy(scope: .chain, channel: Self.hub, sharePercent: 50, keep: 2)
        #expect(Allowances.topUp(policy: policy, available: 20, ledger: .init(), owner: Self.store) == 9)
        let has = Allowances.Ledger(granted: [Self.hub: 9])
        #expect(Allowances.topUp(policy: policy, available: 20, ledger: has, owner: Self.store) == 0)
        #expect(Allowances.topUp(policy: policy, available: 4, ledger: has, owner: Self.store) == 0)
        let used = Allowances.Ledger(granted: [Self.hub: 9], promised: [Self.hub: 9])
        #expect(Allowances.topUp(policy: policy, available: 11, ledger: used, owner: Self.store) == 4)
    }

    @Test func policyScopesParseAndRankMostSpecificFirst() {
        #expect(AllowancePolicy.Scope("sku:A-1") == .item("A-1"))
        #expect(AllowancePolicy.Scope("category:Dairy & eggs") == .category("Dairy & eggs"))
        #expect(AllowancePolicy.Scope("*") == .chain)
        #expect(AllowancePolicy.Scope("everything") == nil)
        #expect(AllowancePolicy.Scope.item("A").rank < AllowancePolicy.Scope.chain.rank)
        #expect(AllowancePolicy(scope: .chain, channel: Self.hub, sharePercent: 101, keep: 0).problem != nil)
    }

    /// Rule V11: only the owner grants, only the channel returns.
    @Test func onlyTheOwnerGrantsAndOnlyTheChannelReturns() {
        func op(_ origin: NodeID, _ channel: NodeID, _ quantity: Int64) -> Op {
            Op(
                id: OpID(origin: origin, seq: 1), hlc: HLC(millis: 1, logical: 0), actor: "t",
                payload: .allowance(StockKey(sku: "A", location: "store-1"), channel: channel, quantity: quantity))
        }
        #expect(OpRules.check(op(Self.store, Self.hub, 5), locations: nil, wallMillis: 1) == nil)
        #expect(OpRules.check(op(Self.hub, Self.hub, 5), locations: nil, wallMillis: 1)?.rule == .allowance)
        #expect(OpRules.check(op(Self.hub, Self.hub, -5), locations: nil, wallMillis: 1) == nil)
        #expect(OpRules.check(op(Self.store, Self.hub, -5), locations: nil, wallMillis: 1)?.rule == .allowance)
    }
}
