import Foundation
import Hummingbird
import StockroomCore
import StockroomStore
import Testing

/// Issue #14 over HTTP: history import, reports as JSON and CSV, forecast, explain and
/// anomalies, and their clear errors.
@Suite struct AnalyticsRoutesTests {
    static let history = """
        occurred_at,sku,location,reason,qty,unit_cost,unit_price
        2026-01-05T08:00:00Z,A-1,store-1,count,10,,
        2026-01-05T09:00:00Z,A-1,store-1,receive,20,2.00,
        2026-01-05T10:00:00Z,A-1,store-1,sale,3,,5.49
        2026-01-06T10:00:00Z,B-2,store-1,sale,1,,1.99
        2026-01-07T03:00:00Z,A-1,store-1,adjust,-4,,
        """

    @Test func historyReportsForecastExplainAndAnomaliesAnswerAndRefuseClearly() async throws {
        let node = try await TestNode.make()
        try await node.test { client in
            let imported = try await client.send(.post, "/v1/import/history", as: .staff, body: Self.history)
            #expect(imported.status == .ok && imported.json["written"] as? Int == 5, "\(imported.text)")
            let again = try await client.send(.post, "/v1/import/history", as: .staff, body: Self.history)
            #expect(again.json["written"] as? Int == 0 && again.json["already_imported"] as? Int == 5)
            let bad = try await client.send(
                .post, "/v1/import/history", as: .staff,
                body:
                    "occurred_at,sku,location,reason,qty\n2099-01-01,A-1,store-1,sale,1\n2026-01-01,A-1,store-1,sale,-1\n"
            )
            #expect(bad.status == .unprocessableContent && bad.errorCode == "invalid_history", "\(bad.text)")
            let problems = (bad.json["error"] as? [String: Any])?["problems"] as? [String] ?? []
            #expect(problems.count == 2 && problems[0].contains("line 2") && problems[1].contains("line 3"))
            let forbidden = try await client.send(.post, "/v1/import/history", as: .scanner, body: Self.history)
            #expect(forbidden.status == .forbidden)

            // A till that was offline sends its scan with the time it was made.
            let yesterday = ISODate.text(UInt64(Date().timeIntervalSince1970 * 1000) - 86_400_000)
            let late = try await client.send(
                .post, "/v1/scans", as: .scanner,
                body: #"{"id":"late-1","code":"B-2","qty":1,"reason":"sale","occurred_at":"\#(yesterday)"}"#)
            #expect(late.status == .created, "\(late.text)")
            var query = OpQuery()
            query.sku = "B-2"
            let lateOp = try await node.store.ops(query).items.map(\.op).first { $0.scanID == "late-1" }
            #expect(lateOp?.facts?.occurredAt == ISODate.millis(yesterday))
            let future = try await client.send(
                .post, "/v1/scans", as: .scanner,
                body: #"{"id":"late-2","code":"B-2","qty":1,"reason":"sale","occurred_at":"2999-01-01T00:00:00Z"}"#)
            #expect(future.status == .unprocessableContent && future.errorCode == "invalid_op", "\(future.text)")
            let garbled = try await client.send(
                .post, "/v1/scans", as: .scanner,
                body: #"{"id":"late-3","code":"B-2","qty":1,"reason":"sale","occurred_at":"yesterday"}"#)
            #expect(garbled.status == .unprocessableContent && garbled.errorCode == "invalid_value")

            let list = try await client.send(.get, "/v1/reports", as: .scanner)
            #expect((list.json["items"] as? [[String: Any]])?.count == ReportName.allCases.count)
            let sales = try await client.send(
                .get, "/v1/reports/sales?from=2026-01-01&to=2026-01-31&by=item", as: .scanner)
            #expect(sales.status == .ok, "\(sales.text)")
            let totals = sales.json["totals"] as? [String: Any]
            #expect(totals?["units_sold"] as? Int == 4 && (totals?["revenue"] as? Double) == 18.46, "\(sales.text)")
            let csv = try await client.send(
                .get, "/v1/reports/sales?from=2026-01-01&to=2026-01-31&by=item&format=csv", as: .scanner)
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(csv.text.hasPrefix("sku,name,category,units_sold") && csv.text.hasSuffix("TOTAL,,,4,0,4,18.46\r\n"))
            for (uri, status, code) in [
                ("/v1/reports/nope", HTTPResponse.Status.notFound, "unknown_report"),
                ("/v1/reports/sales?from=2026-02-01&to=2026-01-01", .badRequest, "invalid_request"),
                ("/v1/reports/sales?from=yesterday", .badRequest, "invalid_request"),
                ("/v1/reports/abc?by=location", .badRequest, "invalid_request"),
                ("/v1/reports/sales?format=xml", .badRequest, "invalid_request"),
                ("/v1/forecast?horizon=0", .badRequest, "invalid_request"),
                ("/v1/forecast?horizon=10000", .badRequest, "invalid_request"),
                ("/v1/forecast?as_of=2999-01-01", .badRequest, "invalid_request"),
                ("/v1/anomalies?budget=0.9", .badRequest, "invalid_request"),
                ("/v1/anomalies?since=someday", .badRequest, "invalid_request"),
                ("/v1/stock/NOPE/explain", .notFound, "unknown_code"),
                ("/v1/stock/A-1/explain?as_of=soon", .badRequest, "invalid_request"),
            ] {
                let reply = try await client.send(.get, uri, as: .scanner)
                #expect(reply.status == status && reply.errorCode == code, "\(uri): \(reply.text)")
            }
            let asOf = try await client.send(.get, "/v1/reports/stock-value?to=2026-01-05&by=item", as: .scanner)
            let a1 = (asOf.json["rows"] as? [[String: Any]])?.first { $0["sku"] as? String == "A-1" }
            #expect(a1?["on_hand"] as? Int == 27 && a1?["value"] as? Double == 54, "\(asOf.text)")

            let forecast = try await client.send(.get, "/v1/forecast?as_of=2026-01-08&horizon=3&sku=A-1", as: .scanner)
            let items = forecast.json["items"] as? [[String: Any]]
            #expect(
                forecast.status == .ok && items?.count == 1 && (items?[0]["days"] as? [Any])?.count == 3,
                "\(forecast.text)")

            let explain = try await client.send(.get, "/v1/stock/A-1/explain", as: .scanner)
            #expect(
                explain.json["on_hand"] as? Int == 23 && explain.json["on_top_count"] as? Int == 3, "\(explain.text)")
            #expect((explain.json["winning_count"] as? [String: Any])?["quantity"] as? Int == 10)

            let anomalies = try await client.send(.get, "/v1/anomalies?since=2026-01-01", as: .scanner)
            #expect(anomalies.status == .ok && anomalies.json["scored"] as? Int == 2, "\(anomalies.text)")
            let first = (anomalies.json["items"] as? [[String: Any]])?.first?["op"] as? String ?? ""
            let review = try await client.send(
                .post, "/v1/anomalies/review", as: .staff,
                body: #"{"op":"\#(first)","verdict":"explained","note":"recount"}"#)
            #expect(review.status == .ok && review.json["verdict"] as? String == "explained", "\(review.text)")
            let unknown = try await client.send(
                .post, "/v1/anomalies/review", as: .staff, body: #"{"op":"store-1:99999","verdict":"explained"}"#)
            #expect(unknown.status == .notFound && unknown.errorCode == "unknown_op")
            let badNote = try await client.send(
                .post, "/v1/anomalies/review", as: .staff,
                body: #"{"op":"\#(first)","verdict":"explained","note":"a=b"}"#)
            #expect(badNote.status == .unprocessableContent)
        }
    }
}
