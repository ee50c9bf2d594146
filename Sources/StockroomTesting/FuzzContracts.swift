import Foundation
import StockroomCore

/// What the fuzzers (Tests/Fuzz/) require of any input bytes. `FuzzCorpusTests` replays
/// the committed corpora through the same functions, so a crash input added to
/// fixtures/fuzz/ is a regression test of the same contract.
///
/// Each function returns nil when the contract holds, else a sentence saying what broke.
public enum FuzzContracts {
    /// The sync wire decoder: any bytes decode to a batch that encodes back to a batch
    /// decoding to the same value, or throw; never crash, hang or read out of bounds.
    public static func wireDecoder(_ bytes: [UInt8]) -> String? {
        guard let batch = try? BatchCodec.decode(bytes) else { return nil }
        guard let again = try? BatchCodec.decode(BatchCodec.encode(batch)), again == batch else {
            return "a decoded batch does not survive encode + decode"
        }
        return nil
    }

    /// The scan and catalogue request bodies (`ScanInput`, `ScanBatchInput`, `ItemInput`):
    /// any bytes are refused with a `DecodingError` (a 400) or an `InputError` (a 422), or
    /// give commands that keep every rule the store relies on.
    public static func requestJSON(_ bytes: [UInt8]) -> String? {
        let data = Data(bytes)
        let decoder = JSONDecoder()
        do {
            if let problem = scan(try decoder.decode(ScanInput.self, from: data)) { return problem }
        } catch {
            if let problem = refusedCleanly(error, "ScanInput") { return problem }
        }
        do {
            let batch = try decoder.decode(ScanBatchInput.self, from: data)
            do {
                let commands = try batch.commands()
                guard commands.count == batch.scans.count else { return "a batch lost or gained scans" }
                for scan in batch.scans {
                    if let problem = Self.scan(scan) { return problem }
                }
            } catch {
                guard error.code == "invalid_batch" || (error.index.map(batch.scans.indices.contains) ?? false) else {
                    return "a refused batch names no scan or a scan it does not have: \(error)"
                }
            }
        } catch {
            if let problem = refusedCleanly(error, "ScanBatchInput") { return problem }
        }
        do {
            return item(try decoder.decode(ItemInput.self, from: data))
        } catch {
            return refusedCleanly(error, "ItemInput")
        }
    }

    /// An accepted scan has identifier-shaped strings and an in-range signed quantity.
    private static func scan(_ input: ScanInput) -> String? {
        let command: ScanCommand
        do {
            command = try input.command()
        } catch {
            let codes: Set = ["invalid_value", "unknown_reason", "invalid_quantity"]
            return codes.contains(error.code) ? nil : "a scan was refused with an unknown code \(error.code)"
        }
        let identifiers = [command.scanID, command.code] + [command.location, command.device].compactMap { $0 }
        guard identifiers.allSatisfy(InputRules.isIdentifier) else {
            return "an accepted scan carries an identifier that breaks the rules: \(identifiers)"
        }
        guard case .success(let change) = command.action.signedQuantity(command.quantity),
            abs(change) <= InputRules.maxQuantity
        else { return "an accepted scan has an out-of-range quantity \(command.quantity)" }
        return nil
    }

    /// An accepted item carries each field with the type the catalogue merge expects,
    /// and a price (when set) within the limits.
    private static func item(_ input: ItemInput) -> String? {
        for (field, value) in input.fields {
            switch (field, value) {
            case (.name, .text), (.description, .text), (.category, .text), (.barcodes, .texts),
                (.threshold, .int), (.threshold, .null), (.price, .int), (.price, .null):
                continue
            default:
                return "item field \(field) holds \(value)"
            }
        }
        return nil
    }

    private static func refusedCleanly(_ error: any Error, _ type: String) -> String? {
        error is DecodingError || error is InputError
            ? nil : "\(type) threw \(error), neither a DecodingError nor an InputError"
    }
}
