import Foundation

/// The keys of a JSON document that no field of a `Decodable` type reads. JSONDecoder
/// ignores a key it does not know, so a misspelt `expiry_month` or `pending_day` would
/// quietly leave a rule at its default; the programme file reports each as a problem.
///
/// It decodes the document a second time through a decoder that records every key a
/// field asks for (present or not) and every key a dictionary reads; whatever the
/// document holds beyond those is unknown. Run it on a document the real decoder
/// accepted: a branch this decoder cannot read is left out (nothing reported under it).
enum UnknownKeys {
    /// The field paths (`partners[1].earn_bp.defualt`) of the keys `T` does not read.
    static func find<T: Decodable>(_ type: T.Type, in data: Data) -> [String] {
        guard let root = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return [] }
        let recorder = Recorder()
        _ = try? T(from: RecordingDecoder(node: root, path: [], recorder: recorder))
        var unknown: [String] = []
        collect(root, path: "", read: recorder.read, into: &unknown)
        return unknown
    }

    private static func collect(_ node: Any, path: String, read: Set<String>, into unknown: inout [String]) {
        if let object = node as? [String: Any] {
            for key in object.keys.sorted() {
                let child = path.isEmpty ? key : "\(path).\(key)"
                if read.contains(child) {
                    collect(object[key]!, path: child, read: read, into: &unknown)
                } else {
                    unknown.append(child)
                }
            }
        } else if let array = node as? [Any] {
            for (index, element) in array.enumerated() {
                collect(element, path: "\(path)[\(index)]", read: read, into: &unknown)
            }
        }
    }

    /// Field paths as the programme's problems spell them.
    static func path(_ keys: [any CodingKey]) -> String {
        var path = ""
        for key in keys {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path
    }

    final class Recorder {
        var read: Set<String> = []
    }

    struct IndexKey: CodingKey {
        var stringValue: String { String(intValue ?? 0) }
        var intValue: Int?
        init(_ index: Int) { intValue = index }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    struct Mismatch: Error {}

    struct RecordingDecoder: Decoder {
        let node: Any
        let path: [any CodingKey]
        let recorder: Recorder
        var codingPath: [any CodingKey] { path }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        init(node: Any, path: [any CodingKey], recorder: Recorder) {
            (self.node, self.path, self.recorder) = (node, path, recorder)
        }

        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            guard let object = node as? [String: Any] else { throw Mismatch() }
            return KeyedDecodingContainer(Keyed<Key>(object: object, decoder: self))
        }

        func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
            guard let array = node as? [Any] else { throw Mismatch() }
            return Unkeyed(array: array, decoder: self)
        }

        func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(decoder: self) }

        func child(_ node: Any, _ key: any CodingKey) -> RecordingDecoder {
            RecordingDecoder(node: node, path: path + [key], recorder: recorder)
        }

        /// A leaf value of the type asked for, as JSONSerialization gives it.
        func leaf<T>(_ type: T.Type) throws -> T {
            switch type {
            case is String.Type: if let value = node as? String { return value as! T }
            case is Bool.Type: if let value = node as? Bool { return value as! T }
            case is Double.Type, is Float.Type:
                if let value = node as? NSNumber { return (type == Double.self ? value.doubleValue as Any : value.floatValue as Any) as! T }
            default:
                if let value = node as? NSNumber, let integer = Self.integer(value, type) { return integer as! T }
            }
            throw Mismatch()
        }

        private static func integer<T>(_ value: NSNumber, _ type: T.Type) -> Any? {
            switch type {
            case is Int.Type: value.intValue
            case is Int8.Type: value.int8Value
            case is Int16.Type: value.int16Value
            case is Int32.Type: value.int32Value
            case is Int64.Type: value.int64Value
            case is UInt.Type: value.uintValue
            case is UInt8.Type: value.uint8Value
            case is UInt16.Type: value.uint16Value
            case is UInt32.Type: value.uint32Value
            case is UInt64.Type: value.uint64Value
            default: nil
            }
        }

        func value<T: Decodable>(_ type: T.Type) throws -> T {
            if let leafType = type as? any LeafValue.Type { return try leafType.leaf(from: self) as! T }
            return try T(from: self)
        }
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let object: [String: Any]
        let decoder: RecordingDecoder
        var codingPath: [any CodingKey] { decoder.path }

        var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool {
            mark(key)
            return object[key.stringValue] != nil
        }

        private func mark(_ key: Key) { decoder.recorder.read.insert(UnknownKeys.path(decoder.path + [key])) }

        private func node(_ key: Key) throws -> Any {
            mark(key)
            guard let node = object[key.stringValue] else { throw Mismatch() }
            return node
        }

        func decodeNil(forKey key: Key) throws -> Bool { try node(key) is NSNull }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try decoder.child(try node(key), key).value(type)
        }

        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type, forKey key: Key
        ) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            try decoder.child(try node(key), key).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try decoder.child(try node(key), key).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder { decoder }
        func superDecoder(forKey key: Key) throws -> any Decoder { decoder.child(try node(key), key) }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let array: [Any]
        let decoder: RecordingDecoder
        var currentIndex = 0
        var codingPath: [any CodingKey] { decoder.path }
        var count: Int? { array.count }
        var isAtEnd: Bool { currentIndex >= array.count }

        init(array: [Any], decoder: RecordingDecoder) { (self.array, self.decoder) = (array, decoder) }

        private mutating func next() throws -> RecordingDecoder {
            guard !isAtEnd else { throw Mismatch() }
            defer { currentIndex += 1 }
            return decoder.child(array[currentIndex], IndexKey(currentIndex))
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, array[currentIndex] is NSNull else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().value(type) }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type
        ) throws
            -> KeyedDecodingContainer<NestedKey>
        {
            try next().container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
        mutating func superDecoder() throws -> any Decoder { try next() }
    }

    struct Single: SingleValueDecodingContainer {
        let decoder: RecordingDecoder
        var codingPath: [any CodingKey] { decoder.path }
        func decodeNil() -> Bool { decoder.node is NSNull }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.value(type) }
    }
}

/// The JSON leaves (strings, booleans, numbers): read from the node itself.
protocol LeafValue {}
extension LeafValue {
    static func leaf(from decoder: UnknownKeys.RecordingDecoder) throws -> Self { try decoder.leaf(Self.self) }
}
extension String: LeafValue {}
extension Bool: LeafValue {}
extension Double: LeafValue {}
extension Float: LeafValue {}
extension Int: LeafValue {}
extension Int8: LeafValue {}
extension Int16: LeafValue {}
extension Int32: LeafValue {}
extension Int64: LeafValue {}
extension UInt: LeafValue {}
extension UInt8: LeafValue {}
extension UInt16: LeafValue {}
extension UInt32: LeafValue {}
extension UInt64: LeafValue {}
