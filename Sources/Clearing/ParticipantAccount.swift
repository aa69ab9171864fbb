import Programme

/// A participant's settlement account. `id` is the participant id used in debts and file
/// names, so it is limited to ASCII letters, digits, `.`, `_` and `-` (1...64 bytes).
public typealias ParticipantAccount = Programme.Participant

/// Clearing's own checks of an account: ids name statement files, names go into pain.001.
extension Programme.Participant {
    func validate() throws(ClearingError) {
        let idBytes = Array(id.utf8)
        guard (1...64).contains(idBytes.count), idBytes.allSatisfy(Self.isIdByte), id != ".", id != ".." else {
            throw ClearingError(
                .invalidInput,
                "participant id must be 1-64 ASCII letters, digits, '.', '_' or '-' (it names a statement file)",
                location: "participants.id", found: id)
        }
        guard !name.isEmpty, name.utf8.count <= 140, !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f })
        else {
            throw ClearingError(
                .invalidInput,
                "participant \(id): name must be 1-140 bytes without control characters (pain.001 Nm; XML 1.0 forbids them)",
                location: "participants.name", found: name)
        }
        let ibanBytes = Array(iban.utf8)
        guard (15...34).contains(ibanBytes.count), ibanBytes.allSatisfy(Self.isUpperAlphanumeric) else {
            throw ClearingError(
                .invalidInput, "participant \(id): IBAN must be 15-34 upper-case letters and digits without spaces",
                location: "participants.iban", found: iban)
        }
        let bicBytes = Array(bic.utf8)
        guard bicBytes.count == 8 || bicBytes.count == 11, bicBytes.allSatisfy(Self.isUpperAlphanumeric) else {
            throw ClearingError(
                .invalidInput, "participant \(id): BIC must be 8 or 11 upper-case letters and digits",
                location: "participants.bic", found: bic)
        }
    }

    private static func isIdByte(_ byte: UInt8) -> Bool {
        isUpperAlphanumeric(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    private static func isUpperAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
