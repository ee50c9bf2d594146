/// Finds a key that appears twice in one JSON object. Foundation's decoders keep one of
/// them silently, so `{"qty": 1, "qty": 100}` would mean whichever the parser kept; the
/// API refuses such a body instead (issue #11, finding 25).
///
/// Meant for bodies that already decoded (valid JSON): it tokenizes only as far as
/// strings, braces, brackets, commas and colons, in one pass, allocating per key.
public enum JSONDuplicateKeys {
    /// The first duplicated key (as written, escapes unresolved), or nil.
    public static func first(in bytes: some Collection<UInt8>) -> String? {
        var frames: [(isObject: Bool, expectKey: Bool, keys: Set<[UInt8]>)] = []
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"): frames.append((true, true, []))
            case UInt8(ascii: "["): frames.append((false, false, []))
            case UInt8(ascii: "}"), UInt8(ascii: "]"): if !frames.isEmpty { frames.removeLast() }
            case UInt8(ascii: ","): if let last = frames.indices.last, frames[last].isObject { frames[last].expectKey = true }
            case UInt8(ascii: "\""):
                var text: [UInt8] = []
                index = bytes.index(after: index)
                while index != bytes.endIndex, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\") {
                        text.append(bytes[index])
                        index = bytes.index(after: index)
                        if index == bytes.endIndex { break }
                    }
                    text.append(bytes[index])
                    index = bytes.index(after: index)
                }
                if let last = frames.indices.last, frames[last].isObject, frames[last].expectKey {
                    frames[last].expectKey = false
                    if !frames[last].keys.insert(text).inserted { return String(decoding: text, as: UTF8.self) }
                }
                if index == bytes.endIndex { return nil }
            default: break
            }
            index = bytes.index(after: index)
        }
        return nil
    }
}
