/// Reads a stock count CSV (opening stock, or a stocktake from another system): header
/// `sku,quantity` and optionally `location`. Each row is a shelf count (rule S2). Pure;
/// every problem is reported with its line, as the catalogue import does.
public enum StockCountCSV {
    public struct Row: Hashable, Sendable {
        public var line: Int
        public var sku: String
        public var location: String?
        public var quantity: Int64
    }

    public static func parse(bytes: some Collection<UInt8>) -> Result<[Row], CatalogCSV.Problems> {
        CatalogCSV.text(of: bytes).flatMap(parse)
    }

    public static func parse(_ text: String) -> Result<[Row], CatalogCSV.Problems> {
        typealias Problem = CatalogCSV.Problem
        let table: [(line: Int, fields: [String])]
        do {
            table = try CSVReader().rows(text)
        } catch let error as CSVReader.ParseError {
            return .failure(.init([Problem(line: error.line, message: error.message)]))
        } catch {
            return .failure(.init([Problem(line: 0, message: "\(error)")]))
        }
        guard let header = table.first?.fields.map({ $0.lowercased() }) else {
            return .failure(.init([Problem(line: 1, message: "the file is empty")]))
        }
        var problems: [Problem] = []
        for (index, name) in header.enumerated() where !["sku", "quantity", "location"].contains(name) {
            problems.append(
                Problem(
                    line: 1,
                    message: "unknown column '\(name.prefix(40))' (column \(index + 1)); known: sku, quantity, location"
                ))
        }
        guard let skuColumn = header.firstIndex(of: "sku"), let quantityColumn = header.firstIndex(of: "quantity")
        else {
            return .failure(.init(problems + [Problem(line: 1, message: "the header needs 'sku' and 'quantity'")]))
        }
        let locationColumn = header.firstIndex(of: "location")
        var rows: [Row] = []
        var seen: [String: Int] = [:]
        for (line, fields) in table.dropFirst() {
            func field(_ column: Int) -> String { column < fields.count ? String(fields[column].trimmingSpaces) : "" }
            let sku = field(skuColumn)
            if let problem = InputRules.identifierProblem(sku, name: "sku") {
                problems.append(Problem(line: line, message: problem))
                continue
            }
            guard let quantity = Int64(field(quantityColumn)), (0...InputRules.maxQuantity).contains(quantity) else {
                problems.append(
                    Problem(
                        line: line,
                        message:
                            "quantity '\(field(quantityColumn).prefix(20))' must be a whole number from 0 to \(InputRules.maxQuantity)"
                    ))
                continue
            }
            let location = locationColumn.map(field).flatMap { $0.isEmpty ? nil : $0 }
            if let location, let problem = InputRules.identifierProblem(location, name: "location") {
                problems.append(Problem(line: line, message: problem))
                continue
            }
            let cell = "\(sku)@\(location ?? "")"
            if let first = seen[cell] {
                problems.append(Problem(line: line, message: "\(sku) is counted twice (first on line \(first))"))
                continue
            }
            seen[cell] = line
            rows.append(Row(line: line, sku: sku, location: location, quantity: quantity))
        }
        return problems.isEmpty ? .success(rows) : .failure(.init(problems))
    }
}
