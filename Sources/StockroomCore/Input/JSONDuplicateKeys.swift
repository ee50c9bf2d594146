/// Finds a key that appears twice in one JSON object. Foundation's decoders keep one of
/// them silently, so `{"qty": 1, "qty": 100}` would mean whichever the parser kept; the
/// API refuses such a body instead (issue #11, finding 25).
///
/// Meant for bodies that already decoded (valid JSON), on every request: one pass over
/// the bytes, tokenizing only strings, braces, brackets and commas; keys are compared as
/// written (escapes unresolved) and held as byte ranges, so a body with no duplicate
/// allocates only the stack of open objects.
public enum JSONDuplicateKeys {
    /// The first duplicated key (as written), or nil.
    public static func first(in bytes: UnsafeRawBufferPointer) -> String? {
        // Per open object or array: where its keys start in `keys`, and whether a key is due.
        var frames: [(isObject: Bool, expectKey: Bool, firstKey: Int)] = []
        var keys: [Range<Int>] = []
        var index = 0
        let count = bytes.count
        while index < count {
            switch bytes[index] {
            case UInt8(ascii: "{"): frames.append((true, true, keys.count))
            case UInt8(ascii: "["): frames.append((false, false, keys.count))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if let frame = frames.popLast() { keys.removeSubrange(frame.firstKey...) }
            case UInt8(ascii: ","):
                if let last = frames.indices.last, frames[last].isObject { frames[last].expectKey = true }
            case UInt8(ascii: "\""):
                let start = index + 1
                index = start
                while index < count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard index < count else { return nil }
                if let last = frames.indices.last, frames[last].isObject, frames[last].expectKey {
                    frames[last].expectKey = false
                    let key = start..<index
                    for earlier in keys[frames[last].firstKey...] where equal(bytes, earlier, key) {
                        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[key]), as: UTF8.self)
                    }
                    keys.append(key)
                }
            default: break
            }
            index += 1
        }
        return nil
    }

    /// The same over any bytes (tests, the fuzz contracts).
    public static func first(in bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { first(in: $0) }
    }

    private static func equal(_ bytes: UnsafeRawBufferPointer, _ a: Range<Int>, _ b: Range<Int>) -> Bool {
        a.count == b.count && bytes[a].elementsEqual(bytes[b])
    }
}
