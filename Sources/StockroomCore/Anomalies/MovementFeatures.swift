#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A stock movement as shrinkage detection sees it (issue #14), in the order the log
/// applied it.
public struct LedgerEvent: Sendable {
    public enum Kind: Int, Sendable, CaseIterable {
        case sale, `return`, receive, adjust, damage, transfer, count

        /// The kinds that are scored: the ones a loss hides in.
        public var isScored: Bool { self == .adjust || self == .damage || self == .return || self == .count }

        public var noun: String {
            switch self {
            case .sale: "sale"
            case .return: "return"
            case .receive: "receipt"
            case .adjust: "adjustment"
            case .damage: "damage write-off"
            case .transfer: "transfer"
            case .count: "count"
            }
        }
    }

    public var id: OpID
    public var key: StockKey
    public var kind: Kind
    /// The signed change for a delta; the units counted for a count.
    public var quantity: Int64
    /// Business time, ms.
    public var millis: UInt64
    public var actor: String
    public var device: String?
    /// The item's price in cents (for the value at stake).
    public var priceCents: Int64

    public init(
        id: OpID, key: StockKey, kind: Kind, quantity: Int64, millis: UInt64, actor: String, device: String?,
        priceCents: Int64
    ) {
        self.id = id
        self.key = key
        self.kind = kind
        self.quantity = quantity
        self.millis = millis
        self.actor = actor
        self.device = device
        self.priceCents = priceCents
    }
}

/// Turns the movement stream into causal features: each scored movement is described
/// only by what came before it (no peeking at later data), so a score means the same
/// whether it is computed live or replayed. Pure; feed it events in log order.
public struct MovementFeaturizer: Sendable {
    public static let names = [
        "size_vs_usual", "size_vs_velocity", "size_vs_on_hand", "hours_outside_opening", "actor_same_kind_1h",
        "actor_same_kind_24h", "device_same_kind_1h", "count_shortfall_share", "count_shortfall_units",
        "return_days_unsold", "value", "direction", "is_adjust", "is_damage", "is_return", "is_count",
        "hour_rarity_for_kind", "actor_share_of_kind", "actor_same_item_24h",
    ]

    struct Cell {
        var onHand: Int64 = 0
        var lastSale: UInt64?
        /// Sales per day, decayed with a 28-day time constant, as of `velocityAt`.
        var velocity = 0.0
        var velocityAt: UInt64 = 0
        /// Mean of log1p(size) per scored kind, and how many.
        var usual: [Double] = [0, 0, 0, 0, 0, 0, 0]
        var usualCount: [Double] = [0, 0, 0, 0, 0, 0, 0]
    }

    private var cells: [StockKey: Cell] = [:]
    /// Per actor or device and kind, the times of recent movements (within 24 h).
    private var recent: [RecentKey: [UInt64]] = [:]

    struct RecentKey: Hashable {
        var name: String
        var kind: Int
        var isDevice: Bool
    }
    /// Per location, sales per hour of day (UTC).
    private var hours: [String: [Double]] = [:]
    /// Per location and scored kind, movements per hour of day: a count after closing is
    /// routine where counts are always done after closing.
    private var kindHours: [String: [Double]] = [:]
    /// Per actor, movements of each scored kind so far, and of all kinds: someone whose
    /// movements are mostly returns or write-offs stands out from the tills and the floor.
    private var actorKinds: [String: [Double]] = [:]
    /// Across all cells, the mean log1p(size) per kind (for a cell's first movement).
    private var kindUsual: [Double] = [0, 0, 0, 0, 0, 0, 0]
    private var kindCount: [Double] = [0, 0, 0, 0, 0, 0, 0]

    public init() {}

    /// Context a reason is written from, besides the features.
    public struct Context: Sendable {
        public var usualSize: Double
        public var onHandBefore: Int64
        public var actorLastHour: Int
        public var expected: Int64
        public var daysSinceSale: Int?
        public var hourOfDay: Int
        public var minuteOfHour: Int
        public var valueCents: Int64
    }

    static let dayMillis = 86_400_000.0

    /// Folds an event in; returns its features (and context) when its kind is scored.
    public mutating func consume(_ event: LedgerEvent) -> (features: [Double], context: Context)? {
        // Taken out of the table and put back: one copy of the cell, not a copy per write.
        var cell = cells.removeValue(forKey: event.key) ?? Cell()
        let kindIndex = event.kind.rawValue
        // Decay the velocity to now.
        if event.millis > cell.velocityAt {
            let days = Double(event.millis - cell.velocityAt) / Self.dayMillis
            cell.velocity *= exp(-days / 28)
            cell.velocityAt = event.millis
        }
        var result: (features: [Double], context: Context)?
        if event.kind.isScored {
            let size = Double(event.kind == .count ? abs(event.quantity - cell.onHand) : abs(event.quantity))
            let logSize = log1p(size)
            let usual =
                cell.usualCount[kindIndex] > 0
                ? cell.usual[kindIndex] : (kindCount[kindIndex] > 0 ? kindUsual[kindIndex] : logSize)
            let hourOfDay = Int((event.millis / 3_600_000) % 24)
            let minute = Int((event.millis / 60_000) % 60)
            let outside = Self.hoursOutside(hourOfDay, histogram: hours[event.key.location])
            let kindHourKey = "\(event.key.location)\u{1}\(kindIndex)"
            let kindHistogram = kindHours[kindHourKey] ?? Array(repeating: 0, count: 24)
            let kindTotal = kindHistogram.reduce(0, +)
            // -log of the smoothed share of this kind's movements here at this hour.
            let rarity = -log((kindHistogram[hourOfDay] + 0.5) / (kindTotal + 12))
            let actorKey = RecentKey(name: event.actor, kind: kindIndex, isDevice: false)
            let deviceKey = RecentKey(name: event.device ?? "", kind: kindIndex, isDevice: true)
            Self.prune(&recent[actorKey, default: []], now: event.millis)
            Self.prune(&recent[deviceKey, default: []], now: event.millis)
            // The same person moving the same item the same way again within a day: a
            // refund rung up twice, a write-off repeated.
            let itemKey = RecentKey(name: event.actor + "\u{1}" + event.key.sku, kind: kindIndex, isDevice: false)
            Self.prune(&recent[itemKey, default: []], now: event.millis)
            let sameItem = recent[itemKey]!.count
            let actorTimes = recent[actorKey]!
            let deviceTimes = recent[deviceKey]!
            let actorHour = actorTimes.filter { event.millis - $0 <= 3_600_000 }.count
            let deviceHour = deviceTimes.filter { event.millis - $0 <= 3_600_000 }.count
            let expected = max(0, cell.onHand)
            let shortfall = event.kind == .count ? max(0, expected - event.quantity) : 0
            let daysSinceSale = cell.lastSale.map { Int((event.millis - min(event.millis, $0)) / 86_400_000) }
            let unsold: Double =
                event.kind == .return ? (daysSinceSale.map { min(Double($0), 90) / 90 } ?? 1) : 0
            let valueCents = Int64(size) &* max(0, event.priceCents)
            let direction: Double =
                switch event.kind {
                case .adjust: event.quantity < 0 ? -1 : 1
                case .damage: -1
                case .return: 1
                default: event.quantity < cell.onHand ? -1 : (event.quantity > cell.onHand ? 1 : 0)
                }
            let history = actorKinds[event.actor] ?? Array(repeating: 0, count: 8)
            // The share of this actor's movements that are of this kind, smoothed towards
            // 0 for an actor with little history (a new name is not damning by itself).
            let actorShare = (history[kindIndex] + 1) / (history[7] + 4)
            let features = [
                logSize - usual,
                log1p(size / max(cell.velocity / 28, 0.1)),
                min(10, size / Double(max(1, cell.onHand))),
                Double(outside),
                log1p(Double(actorHour)),
                log1p(Double(actorTimes.count)),
                log1p(Double(deviceHour)),
                event.kind == .count ? Double(shortfall) / Double(max(1, expected)) : 0,
                log1p(Double(shortfall)),
                unsold,
                log1p(Double(valueCents) / 100),
                direction,
                event.kind == .adjust ? 1 : 0, event.kind == .damage ? 1 : 0, event.kind == .return ? 1 : 0,
                event.kind == .count ? 1 : 0,
                rarity,
                actorShare,
                log1p(Double(sameItem)),
            ]
            result = (
                features,
                Context(
                    usualSize: expm1(usual), onHandBefore: cell.onHand, actorLastHour: actorHour, expected: expected,
                    daysSinceSale: daysSinceSale, hourOfDay: hourOfDay, minuteOfHour: minute, valueCents: valueCents)
            )
            // Learn from it after describing it (causal).
            cell.usual[kindIndex] =
                (cell.usual[kindIndex] * cell.usualCount[kindIndex] + logSize) / (cell.usualCount[kindIndex] + 1)
            cell.usualCount[kindIndex] += 1
            kindUsual[kindIndex] = (kindUsual[kindIndex] * kindCount[kindIndex] + logSize) / (kindCount[kindIndex] + 1)
            kindCount[kindIndex] += 1
            kindHours[kindHourKey, default: Array(repeating: 0, count: 24)][hourOfDay] += 1
            recent[actorKey, default: []].append(event.millis)
            recent[itemKey, default: []].append(event.millis)
            recent[deviceKey, default: []].append(event.millis)
        }
        actorKinds[event.actor, default: Array(repeating: 0, count: 8)][kindIndex] += 1
        actorKinds[event.actor]![7] += 1
        switch event.kind {
        case .count:
            cell.onHand = event.quantity
        case .sale:
            cell.onHand &+= event.quantity
            cell.lastSale = max(cell.lastSale ?? 0, event.millis)
            cell.velocity += Double(-event.quantity)
            hours[event.key.location, default: Array(repeating: 0, count: 24)][Int((event.millis / 3_600_000) % 24)] +=
                1
        default:
            cell.onHand &+= event.quantity
        }
        cells[event.key] = cell
        return result
    }

    /// Hours between `hour` and the nearest hour the location sells in (an hour with at
    /// least 1% of its sales); 0 inside. Until 200 sales are seen, 07:00-22:00 UTC is open.
    static func hoursOutside(_ hour: Int, histogram: [Double]?) -> Int {
        var open = Array(repeating: false, count: 24)
        if let histogram, histogram.reduce(0, +) >= 200 {
            let total = histogram.reduce(0, +)
            for index in 0..<24 { open[index] = histogram[index] / total >= 0.01 }
        } else {
            for index in 7..<22 { open[index] = true }
        }
        guard !open[hour] else { return 0 }
        for distance in 1...12 where open[(hour + distance) % 24] || open[(hour - distance + 24) % 24] {
            return distance
        }
        return 12
    }

    /// Drops the times more than 24 hours before `now` (in place; the list is in log order).
    static func prune(_ times: inout [UInt64], now: UInt64) {
        guard let first = times.first, now > first, now - first > 86_400_000 else { return }
        times.removeAll { now - min(now, $0) > 86_400_000 }
    }

    /// A plain-language reason: what stands out about a scored movement, most telling first
    /// (e.g. "adjustment 12x this item's usual, outside opening hours (02:14), 4th by this
    /// user in the last hour").
    public static func reason(kind: LedgerEvent.Kind, quantity: Int64, features: [Double], context: Context) -> String {
        var parts: [(weight: Double, text: String)] = []
        let size = Double(kind == .count ? abs(quantity - context.onHandBefore) : abs(quantity))
        let ratio = size / max(1, context.usualSize)
        if ratio >= 3 { parts.append((ratio, "\(kind.noun) \(Int(ratio.rounded()))x this item's usual")) }
        // Outside opening hours, and at an hour when this kind of movement is rare here.
        if features[3] > 0, features[16] > 3 {
            let time = String(format2(context.hourOfDay)) + ":" + format2(context.minuteOfHour)
            parts.append((5 + features[3], "outside opening hours (\(time) UTC)"))
        }
        // Counts come in rounds; many in an hour is routine for them.
        if context.actorLastHour >= 2, kind != .count {
            parts.append(
                (
                    Double(context.actorLastHour) * 2,
                    "\(ordinal(context.actorLastHour + 1)) \(kind.noun) by this user in an hour"
                ))
        }
        if kind == .count, context.expected > quantity {
            let short = context.expected - quantity
            parts.append(
                (
                    Double(short) / Double(max(1, context.expected)) * 10,
                    "count \(short) short of the \(context.expected) expected"
                ))
        }
        if kind == .return {
            if let days = context.daysSinceSale {
                if days >= 30 { parts.append((Double(days) / 10, "return of an item not sold here in \(days) days")) }
            } else {
                parts.append((9, "return of an item never sold here"))
            }
        }
        if features[2] >= 0.5, kind != .return, kind != .count {
            let text =
                size > Double(max(0, context.onHandBefore))
                ? "more than the \(max(0, context.onHandBefore)) on hand"
                : "\(Int((features[2] * 100).rounded()))% of what was on hand"
            parts.append((features[2] * 4, text))
        }
        if context.valueCents >= 10_000 {
            parts.append((log(Double(context.valueCents)) / 2, "worth \(Money.text(context.valueCents))"))
        }
        if parts.isEmpty { return "an unusual combination of size, time and who, for a \(kind.noun)" }
        return parts.sorted { $0.weight > $1.weight }.prefix(3).map(\.text).joined(separator: ", ")
    }

    private static func format2(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    private static func ordinal(_ number: Int) -> String {
        let suffix =
            (11...13).contains(number % 100)
            ? "th" : number % 10 == 1 ? "st" : number % 10 == 2 ? "nd" : number % 10 == 3 ? "rd" : "th"
        return "\(number)\(suffix)"
    }
}
