import Foundation

extension Programme {
    /// The coalition `loyalty dev` runs by default (config/programme.coalition.json): the
    /// sample's eight merchants on both funding models — three buy their points from the
    /// operator at accrual, two of them against a deposit — with fees per redemption and
    /// per cycle, an exposure cap, the operator's reward catalogue and an exchange partner
    /// converting points to airline miles (docs/finance.md walks through its figures).
    public static let coalitionSampleJSON = """
        {
          "version": "2026-12-01",
          "currency": "EUR",
          "currency_exponent": 2,
          "point_value_minor": 1,
          "expiry_months": 24,
          "max_cards_per_account": 4,
          "operator": { "id": "operator", "name": "Coalition Operator SA", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX" },
          "floors": { "default_bp": 100, "categories": { "pharmacy": 500, "fuel": 200 } },
          "partners": [
            { "id": "pharmacy", "name": "Green Cross Pharmacies", "earn_bp": { "default": 300, "categories": { "pharmacy": 600 } },
              "operator_fee_bp": 150, "iban": "DE62370400440532013001", "bic": "COBADEFF370",
              "fees": { "per_redemption_minor": 15, "per_cycle_minor": 5000 } },
            { "id": "fuel", "name": "Northway Fuel", "earn_bp": { "default": 100, "categories": { "fuel": 200, "shop": 300 } },
              "operator_fee_bp": 80, "iban": "FR1420041010050500013M02606", "bic": "PSSTFRPPXXX",
              "funding_model": "operator_funded",
              "deposit": { "amount_minor": 5000000, "frozen_minor": 1500000, "low_threshold_minor": 1000000, "when_exhausted": "owe" } },
            { "id": "cinema", "name": "Lumiere Cinemas", "earn_bp": { "default": 500, "categories": { "snacks": 800 } },
              "operator_fee_bp": 200, "iban": "NL91ABNA0417164300", "bic": "ABNANL2A",
              "exposure_cap_minor": 800000 },
            { "id": "grocery", "name": "Daily Fresh Markets", "earn_bp": { "default": 100, "categories": { "organic": 200 } },
              "operator_fee_bp": 60, "iban": "ES9121000418450200051332", "bic": "CAIXESBBXXX",
              "funding_model": "operator_funded",
              "deposit": { "amount_minor": 2000000, "frozen_minor": 1500000, "low_threshold_minor": 500000, "when_exhausted": "refuse" } },
            { "id": "airline", "name": "Blue Meridian Airways", "earn_bp": { "default": 400, "categories": { "business": 1000 } },
              "operator_fee_bp": 250, "iban": "IT60X0542811101000000123456", "bic": "BPMOIT22XXX",
              "fees": { "per_cycle_minor": 20000 } },
            { "id": "hotel", "name": "Harbour Hotels Group", "earn_bp": { "default": 600, "categories": {} },
              "operator_fee_bp": 220, "iban": "BE68539007547034", "bic": "GEBABEBB",
              "funding_model": "operator_funded" },
            { "id": "restaurant", "name": "Trattoria Collective", "earn_bp": { "default": 300 },
              "operator_fee_bp": 120, "iban": "AT611904300234573201", "bic": "BKAUATWW" },
            { "id": "eshop", "name": "Parcel & Co Online", "earn_bp": { "default": 200, "categories": { "electronics": 100 } },
              "operator_fee_bp": 100, "iban": "FI2112345600000785", "bic": "NDEAFIHH",
              "fees": { "per_redemption_minor": 25 } },
            { "id": "catalogue", "name": "Coalition Rewards Catalogue", "kind": "catalogue", "earn_bp": { "default": 0 },
              "operator_fee_bp": 0, "iban": "LU280019400644750000", "bic": "BCEELULL",
              "redemption": { "rewards": [ { "id": "cinema-ticket", "points": 900 }, { "id": "coffee-machine", "points": 6000 },
                                           { "id": "voucher-20", "points": 2000 } ] } },
            { "id": "skymiles", "name": "Sky Alliance Miles", "kind": "exchange", "earn_bp": { "default": 0 },
              "operator_fee_bp": 0, "iban": "GB29NWBK60161331926819", "bic": "NWBKGB2L",
              "exchange": { "block_points": 500, "miles_per_block": 200, "unit": "miles" } }
          ]
        }
        """

    /// `coalitionSampleJSON`, decoded. Traps if it stops validating (a test catches it first).
    public static var coalitionSample: Programme {
        do {
            return try decode(jsonData: Data(coalitionSampleJSON.utf8))
        } catch {
            preconditionFailure("the bundled coalition programme is invalid: \(error)")
        }
    }
}
