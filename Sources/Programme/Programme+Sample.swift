import Foundation

extension Programme {
    /// A complete, valid programme for tests and the demo: an operator and eight partners
    /// from different industries, with checksummed IBANs.
    public static let sampleJSON = """
        {
          "version": "2026-11-01",
          "currency": "EUR",
          "currency_exponent": 2,
          "point_value_minor": 1,
          "expiry_months": 24,
          "max_cards_per_account": 4,
          "operator": { "id": "operator", "name": "Coalition Operator SA", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX" },
          "floors": { "default_bp": 100, "categories": { "pharmacy": 500, "fuel": 200 } },
          "partners": [
            { "id": "pharmacy", "name": "Green Cross Pharmacies", "earn_bp": { "default": 300, "categories": { "pharmacy": 600 } },
              "operator_fee_bp": 150, "iban": "DE62370400440532013001", "bic": "COBADEFF370" },
            { "id": "fuel", "name": "Northway Fuel", "earn_bp": { "default": 100, "categories": { "fuel": 200, "shop": 300 } },
              "operator_fee_bp": 80, "iban": "FR1420041010050500013M02606", "bic": "PSSTFRPPXXX" },
            { "id": "cinema", "name": "Lumiere Cinemas", "earn_bp": { "default": 500, "categories": { "snacks": 800 } },
              "operator_fee_bp": 200, "iban": "NL91ABNA0417164300", "bic": "ABNANL2A" },
            { "id": "grocery", "name": "Daily Fresh Markets", "earn_bp": { "default": 100, "categories": { "organic": 200 } },
              "operator_fee_bp": 60, "iban": "ES9121000418450200051332", "bic": "CAIXESBBXXX" },
            { "id": "airline", "name": "Blue Meridian Airways", "earn_bp": { "default": 400, "categories": { "business": 1000 } },
              "operator_fee_bp": 250, "iban": "IT60X0542811101000000123456", "bic": "BPMOIT22XXX" },
            { "id": "hotel", "name": "Harbour Hotels Group", "earn_bp": { "default": 600, "categories": {} },
              "operator_fee_bp": 220, "iban": "BE68539007547034", "bic": "GEBABEBB" },
            { "id": "restaurant", "name": "Trattoria Collective", "earn_bp": { "default": 300 },
              "operator_fee_bp": 120, "iban": "AT611904300234573201", "bic": "BKAUATWW" },
            { "id": "eshop", "name": "Parcel & Co Online", "earn_bp": { "default": 200, "categories": { "electronics": 100 } },
              "operator_fee_bp": 100, "iban": "FI2112345600000785", "bic": "NDEAFIHH" }
          ]
        }
        """

    /// `sampleJSON`, decoded. Traps if the bundled sample stops validating (a test catches it first).
    public static var sample: Programme {
        do {
            return try decode(jsonData: Data(sampleJSON.utf8))
        } catch {
            preconditionFailure("the bundled sample programme is invalid: \(error)")
        }
    }
}
