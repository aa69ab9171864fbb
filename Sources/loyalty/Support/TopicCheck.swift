import Kafka
import Logging
import LoyaltyWire

/// Producers check, before their first record, that the transactions topic exists: with
/// it missing, a broker with auto.create.topics.enable=true would create it on first use
/// with its own default partition count, and the partition count decides which shard owns
/// a member. Our clients never ask for auto-creation (allow.auto.create.topics=false);
/// this turns the missing topic into one line saying what to run.
enum TopicCheck {
    static func requireTransactionsTopic(bootstrapServers: String, extra: [String: String], logger: Logger) throws {
        let topic = LoyaltyWire.Topics().transactions
        do {
            let partitions = try KafkaAdmin.partitionCount(
                topic: topic, bootstrapServers: bootstrapServers, extra: extra, timeoutMilliseconds: 10_000, logger: logger)
            logger.info("transactions topic found", metadata: ["topic": "\(topic)", "partitions": "\(partitions)"])
        } catch let error where error.code == .unknownTopicOrPartition {
            throw CLIError(
                "topic \(topic) does not exist on \(bootstrapServers): create the topics first with `loyalty topics --partitions N` "
                    + "(N = the shard count, fixed for the life of the programme); nothing was published")
        } catch {
            // Kafka not reachable yet: the gateway answers 503 until it is; `produce` fails on its own.
            logger.warning("could not check the transactions topic", metadata: ["topic": "\(topic)", "error": "\(error)"])
        }
    }
}
