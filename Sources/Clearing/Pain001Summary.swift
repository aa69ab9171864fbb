import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// What the verifier reads back from a pain.001 file: group totals and each transfer's
/// end-to-end id and amount. Parsed with Foundation's XMLParser.
package struct Pain001Summary {
    package struct Transfer {
        package var endToEndId: String
        package var amountText: String
        package var currency: String
    }

    package var numberOfTransactions: String?
    package var controlSum: String?
    package var transfers: [Transfer] = []

    package static func parse(_ bytes: [UInt8], file: String) throws(ClearingError) -> Pain001Summary {
        let collector = Collector()
        let parser = XMLParser(data: Data(bytes))
        parser.delegate = collector
        guard parser.parse() else {
            throw ClearingError(
                .malformedFile, "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "unknown error")",
                file: file, location: "line \(parser.lineNumber)")
        }
        return collector.summary
    }

    /// XMLParser needs a class delegate; it is used by one parse on one thread only.
    private final class Collector: NSObject, XMLParserDelegate {
        var summary = Pain001Summary()
        private var path: [String] = []
        private var text = ""
        private var currency = ""
        private var endToEndId = ""

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
        ) {
            path.append(elementName)
            text = ""
            if elementName == "InstdAmt" { currency = attributeDict["Ccy"] ?? "" }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            text += string
        }

        func parser(
            _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?
        ) {
            let parent = path.count >= 2 ? path[path.count - 2] : ""
            switch (parent, elementName) {
            case ("GrpHdr", "NbOfTxs"): summary.numberOfTransactions = text
            case ("GrpHdr", "CtrlSum"): summary.controlSum = text
            case ("PmtId", "EndToEndId"): endToEndId = text
            case ("Amt", "InstdAmt"):
                summary.transfers.append(Transfer(endToEndId: endToEndId, amountText: text, currency: currency))
            default: break
            }
            path.removeLast()
            text = ""
        }
    }
}
