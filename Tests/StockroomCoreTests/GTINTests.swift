import StockroomTesting
import Testing

@testable import StockroomCore

@Suite struct GTINTests {
    @Test(arguments: ["4006381333931", "036000291452", "96385074", "00012345678905", "5901234123457"])
    func validCodes(_ code: String) {
        #expect(GTIN.isValid(code))
    }

    @Test(arguments: ["4006381333932", "036000291453", "96385075", "5901234123458"])
    func wrongCheckDigits(_ code: String) {
        #expect(GTIN.looksLikeGTIN(code))
        #expect(!GTIN.isValid(code))
    }

    @Test(arguments: ["ABC-123", "12345", "40063813339310", "400638133393a"])
    func notGTINs(_ code: String) {
        #expect(!GTIN.isValid(code))
    }

    @Test func upcAAndItsEAN13FormShareACanonicalForm() {
        #expect(GTIN.canonical("036000291452") == "00036000291452")
        #expect(GTIN.canonical("0036000291452") == "00036000291452")
        #expect(GTIN.canonical("036000291453") == nil)
    }

    @Test func completingAPayloadGivesAValidCode() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<1000 {
            let payload = (0..<12).map { _ in String(Int.random(in: 0...9, using: &generator)) }.joined()
            #expect(GTIN.isValid(GTIN.completing(payload: payload)))
        }
    }
}
