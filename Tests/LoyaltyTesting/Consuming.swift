import Foundation
import Kafka
import Logging

/// A logger for tests: quiet (errors only) unless LOYALTY_TEST_LOG=1 (or the older
/// KAFKA_TEST_LOG=1) asks for librdkafka's and our debug lines.
public func testLogger(_ label: String = "test", level: Logger.Level = .error) -> Logger {
    var logger = Logger(label: label)
    let environment = ProcessInfo.processInfo.environment
    let verbose = environment["LOYALTY_TEST_LOG"] == "1" || environment["KAFKA_TEST_LOG"] == "1"
    logger.logLevel = verbose ? .debug : level
    return logger
}

/// Polls until `done` holds for what arrived or the deadline passed: the one consume loop
/// of every test that reads a topic (a deadline, never a count alone, so a lost record
/// fails the test's assertion instead of hanging it).
public func consume(
    _ consumer: KafkaConsumer, timeoutSeconds: Double, pollMilliseconds: Int = 200,
    until done: ([ConsumerRecord]) -> Bool
) throws -> [ConsumerRecord] {
    var records: [ConsumerRecord] = []
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while !done(records), Date() < deadline {
        records += try consumer.poll(maxRecords: 10_000, timeoutMilliseconds: pollMilliseconds)
    }
    return records
}

/// Polls until `count` records arrived or the deadline passed.
public func consume(_ consumer: KafkaConsumer, count: Int, timeoutSeconds: Double, pollMilliseconds: Int = 100) throws -> [ConsumerRecord] {
    try consume(consumer, timeoutSeconds: timeoutSeconds, pollMilliseconds: pollMilliseconds) { $0.count >= count }
}
