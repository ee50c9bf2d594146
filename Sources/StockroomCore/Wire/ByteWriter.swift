/// Appends LEB128 varints, zig-zag integers and length-prefixed strings.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(reservingCapacity capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    public mutating func raw(_ data: some Sequence<UInt8>) { bytes.append(contentsOf: data) }

    public mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    public mutating func varint(_ value: Int) { varint(UInt64(value)) }

    /// Zig-zag: small magnitudes of either sign stay small.
    public mutating func signed(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    public mutating func string(_ value: String) {
        let utf8 = Array(value.utf8)
        varint(utf8.count)
        bytes.append(contentsOf: utf8)
    }
}

/// Reads what ``ByteWriter`` writes, refusing anything truncated or oversized.
public struct ByteReader: Sendable {
    public enum Failure: Error, Equatable, Sendable {
        case truncated
        case overlong
        case invalid(String)
    }

    private let bytes: [UInt8]
    public private(set) var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset == bytes.count }

    public mutating func raw(count: Int) throws(Failure) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw .truncated }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    public mutating func varint() throws(Failure) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw .truncated }
            let byte = bytes[offset]
            offset += 1
            guard shift < 64, shift != 63 || byte <= 1 else { throw .overlong }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A varint that must fit `limit` (an index, a count): hostile lengths fail here,
    /// before anything is allocated for them.
    public mutating func count(atMost limit: Int) throws(Failure) -> Int {
        let value = try varint()
        guard value <= UInt64(limit) else {
            throw .invalid("a count or index of \(value) is out of range (max \(limit))")
        }
        return Int(value)
    }

    public mutating func signed() throws(Failure) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    public mutating func string(maxBytes: Int = 1_000_000) throws(Failure) -> String {
        let length = try count(atMost: min(maxBytes, remaining))
        let slice = try raw(count: length)
        guard let text = String(validating: slice, as: UTF8.self) else { throw .invalid("a string is not UTF-8") }
        return text
    }
}
