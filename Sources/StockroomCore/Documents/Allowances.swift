/// The bounded counter of rights to promise (Balegas et al., SRDS 2015; sync-protocol
/// section 10.6), as pure functions.
///
/// For a cell owned by store S (its location), the right to promise units is split between
/// S and the channels S granted an allowance (the hub, for the web). For a channel h:
///
///     free(h) = granted(h) − promised(h)
///
/// where `granted(h)` sums the `allowance` ops for h (grants by S, positive; returns by h,
/// negative) and `promised(h)` the units h's orders and holds used (rule A2). For S:
///
///     free(S) = available − Σ_{h ≠ S} max(0, free(h))
///
/// Rule A1: a node places an order or hold only if the units fit its own `free`. Every op
/// that lowers free(h) is h's own (its promises, its returns); every other op only raises
/// it. So h's view of free(h) is never above the truth, and what h promises never exceeds
/// what was granted to it, in any schedule of partitions. The same holds for S, except
/// that a physical sale or loss is never refused: when one eats into promised units, S's
/// free goes negative, and that is shown at once (`promised_oversold`).
public enum Allowances {
    /// A cell's rights, per channel.
    public struct Ledger: Hashable, Sendable {
        public var granted: [NodeID: Int64]
        public var promised: [NodeID: Int64]

        public init(granted: [NodeID: Int64] = [:], promised: [NodeID: Int64] = [:]) {
            self.granted = granted
            self.promised = promised
        }

        /// What channel `node` may still promise (may be negative only on a corrupt log).
        public func free(of node: NodeID) -> Int64 {
            StockMerge.sum(granted[node] ?? 0, -(promised[node] ?? 0))
        }

        /// Every channel other than the owner that holds or used rights.
        public func channels(besides owner: NodeID) -> [NodeID] {
            Set(granted.keys).union(promised.keys).filter { $0 != owner }.sorted()
        }

        /// What the owner of the cell may promise itself: available less every channel's
        /// unused rights.
        public func ownerFree(owner: NodeID, available: Int64) -> Int64 {
            channels(besides: owner).reduce(available) { StockMerge.sum($0, -max(0, free(of: $1))) }
        }
    }

    /// Rule A1: may `node` promise `quantity` units of a cell at `location`?
    ///
    /// - Returns: nil when it may, else what it may promise.
    public static func shortfall(
        node: NodeID, location: String, quantity: Int64, available: Int64, ledger: Ledger
    ) -> Int64? {
        let free =
            SyncInterest.isLocation(location, of: node)
            ? ledger.ownerFree(owner: node, available: available) : ledger.free(of: node)
        return quantity <= free ? nil : max(0, free)
    }

    /// Rule A3, the top-up: how many units the owner grants `channel` so that its unused
    /// rights reach `policy`'s share of what is available above `keep`. Never negative:
    /// only the channel can give rights back.
    public static func topUp(policy: AllowancePolicy, available: Int64, ledger: Ledger, owner: NodeID) -> Int64 {
        guard policy.channel != owner else { return 0 }
        let base = max(0, available - policy.keep)
        let target = base * policy.sharePercent / 100
        let have = max(0, ledger.free(of: policy.channel))
        let ownerFree = ledger.ownerFree(owner: owner, available: available)
        return max(0, min(target - have, ownerFree))
    }
}

/// How much of a cell the owner keeps granted to a channel (rule A3): `sharePercent` of
/// what is available above `keep` units. Set per item, per category or chain-wide (`*`);
/// the most specific one applies. Last writer wins per (scope, channel).
public struct AllowancePolicy: Hashable, Sendable {
    public var scope: Scope
    public var channel: NodeID
    public var sharePercent: Int64
    public var keep: Int64

    public init(scope: Scope, channel: NodeID, sharePercent: Int64, keep: Int64) {
        self.scope = scope
        self.channel = channel
        self.sharePercent = sharePercent
        self.keep = keep
    }

    public enum Scope: Hashable, Sendable, CustomStringConvertible {
        case item(String)
        case category(String)
        case chain

        /// `sku:X`, `category:Y` or `*`.
        public var description: String {
            switch self {
            case .item(let sku): "sku:\(sku)"
            case .category(let name): "category:\(name)"
            case .chain: "*"
            }
        }

        public init?(_ text: String) {
            if text == "*" {
                self = .chain
            } else if text.hasPrefix("sku:"), InputRules.isIdentifier(String(text.dropFirst(4))) {
                self = .item(String(text.dropFirst(4)))
            } else if text.hasPrefix("category:"), text.utf8.count > 9, text.utf8.count <= 9 + InputRules.maxNameLength
            {
                self = .category(String(text.dropFirst(9)))
            } else {
                return nil
            }
        }

        /// Most specific first.
        public var rank: Int {
            switch self {
            case .item: 0
            case .category: 1
            case .chain: 2
            }
        }
    }

    /// What rule V11 asks of a policy.
    public var problem: String? {
        guard (0...100).contains(sharePercent) else { return "share must be 0 to 100 percent" }
        guard (0...InputRules.maxQuantity).contains(keep) else { return "keep must be 0 to \(InputRules.maxQuantity)" }
        if case .category(let name) = scope, !InputRules.isLabel(name, maxLength: InputRules.maxNameLength) {
            return "the category must be one line of text"
        }
        return nil
    }
}
