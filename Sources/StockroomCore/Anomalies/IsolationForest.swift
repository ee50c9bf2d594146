#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An isolation forest (Liu, Ting and Zhou, 2008), seeded and deterministic: the same
/// rows and seed give the same trees and scores on every machine.
///
/// Each tree isolates points of a random subsample by random axis-parallel splits; an
/// unusual point is isolated in few splits. The score of a point is
/// `2^(-E[h(x)] / c(n))`: near 1 for anomalies, about 0.5 or below for ordinary points.
/// Like scikit-learn's, with `max_samples` 256 and a height limit of
/// `ceil(log2(256))`, but features with a single value in a node are skipped rather than
/// split (so constant features, such as a kind flag, do not waste splits). 300 trees by
/// default rather than 100: fewer ties and less seed-to-seed spread in the ranking.
public struct IsolationForest: Sendable {
    struct Node: Sendable {
        /// -1 for a leaf.
        var feature: Int32
        var threshold: Double
        var left: Int32
        var right: Int32
        /// Points that reached a leaf.
        var size: Int32
    }

    public let trees: Int
    public let sampleSize: Int
    private var nodes: [[Node]] = []
    private var normaliser = 1.0

    public init(trees: Int = 300, sampleSize: Int = 256) {
        self.trees = trees
        self.sampleSize = sampleSize
    }

    /// Average path length of an unsuccessful search in a binary search tree of `n` points.
    static func averagePath(_ n: Int) -> Double {
        guard n > 1 else { return 0 }
        if n == 2 { return 1 }
        let harmonic = log(Double(n - 1)) + 0.577_215_664_901_532_9
        return 2 * harmonic - 2 * Double(n - 1) / Double(n)
    }

    /// Grows the forest on `rows` (each the same number of features), seeded by `seed`.
    public mutating func fit(_ rows: [[Double]], seed: UInt64) {
        nodes = []
        guard !rows.isEmpty else { return }
        var random = SplitMix64(seed: seed)
        let sample = min(sampleSize, rows.count)
        normaliser = Self.averagePath(sample)
        let heightLimit = Int(ceil(log2(Double(max(2, sample)))))
        for _ in 0..<trees {
            // A subsample without replacement (partial Fisher-Yates over the indices).
            var indices = Array(0..<rows.count)
            for index in 0..<sample {
                let pick = index + Int(random.next() % UInt64(rows.count - index))
                indices.swapAt(index, pick)
            }
            var tree: [Node] = []
            tree.reserveCapacity(2 * sample)
            _ = grow(rows, Array(indices.prefix(sample)), depth: 0, limit: heightLimit, tree: &tree, random: &random)
            nodes.append(tree)
        }
    }

    private func grow(
        _ rows: [[Double]], _ indices: [Int], depth: Int, limit: Int, tree: inout [Node], random: inout SplitMix64
    ) -> Int32 {
        let position = Int32(tree.count)
        tree.append(Node(feature: -1, threshold: 0, left: -1, right: -1, size: Int32(indices.count)))
        guard depth < limit, indices.count > 1 else { return position }
        // The features that still vary here; a random one of them, a uniform threshold.
        let width = rows[indices[0]].count
        var varying: [(feature: Int, low: Double, high: Double)] = []
        for feature in 0..<width {
            var low = Double.infinity
            var high = -Double.infinity
            for index in indices {
                let value = rows[index][feature]
                low = Swift.min(low, value)
                high = Swift.max(high, value)
            }
            if high > low { varying.append((feature, low, high)) }
        }
        guard !varying.isEmpty else { return position }
        let chosen = varying[Int(random.next() % UInt64(varying.count))]
        let fraction = Double(random.next() >> 11) / Double(1 << 53)
        let threshold = chosen.low + fraction * (chosen.high - chosen.low)
        let left = indices.filter { rows[$0][chosen.feature] < threshold }
        let right = indices.filter { rows[$0][chosen.feature] >= threshold }
        let leftNode = grow(rows, left, depth: depth + 1, limit: limit, tree: &tree, random: &random)
        let rightNode = grow(rows, right, depth: depth + 1, limit: limit, tree: &tree, random: &random)
        tree[Int(position)] = Node(
            feature: Int32(chosen.feature), threshold: threshold, left: leftNode, right: rightNode,
            size: Int32(indices.count))
        return position
    }

    /// The anomaly score of a row, in (0, 1]; higher is more unusual.
    public func score(_ row: [Double]) -> Double {
        guard !nodes.isEmpty else { return 0.5 }
        var total = 0.0
        for tree in nodes {
            var index = 0
            var depth = 0.0
            while tree[index].feature >= 0 {
                let node = tree[index]
                index = Int(row[Int(node.feature)] < node.threshold ? node.left : node.right)
                depth += 1
            }
            total += depth + Self.averagePath(Int(tree[index].size))
        }
        return pow(2, -(total / Double(nodes.count)) / normaliser)
    }
}

/// SplitMix64: a small, fast, seedable generator (Steele, Lea and Flood, 2014).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
