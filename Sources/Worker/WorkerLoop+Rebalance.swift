import Kafka
import Ledger
import Logging
import LoyaltyWire

/// Rebalance callbacks: called on the loop's thread, inside `poll`.
extension WorkerLoop {
    package func partitionsAssigned(_ partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        var offsets: [TopicPartition: Int64] = [:]
        for topicPartition in partitions where topicPartition.topic == configuration.topics.transactions {
            let partition = topicPartition.partition
            fetchedSinceAssignment.remove(partition)
            if !configuration.stopOffsets.isEmpty, configuration.stopOffsets[partition] == nil {
                pendingPause.append(topicPartition)
                continue
            }
            let path = configuration.shardPath(partition: partition)
            let restored = restoreIfMissing(partition, path: path)
            do {
                let shard = try Shard(
                    path: path, partition: partition, programme: programme,
                    archiveDirectory: configuration.archiveDirectory.map { ArchiveLocation.directory(root: $0, partition: partition) })
                let next = try shard.nextOffset()
                slots[partition] = .open(shard, nextOffset: next)
                offsets[topicPartition] = next
                progress.assigned(partition, nextOffset: next)
                logger.info(
                    restored == nil
                        ? "partition assigned; resuming from the offset stored in its shard"
                        : "partition assigned; resuming from the offset of the snapshot restored into its shard",
                    metadata: [LogKey.partition: "\(partition)", LogKey.offset: "\(next)", LogKey.shard: "\(path)"]
                )
            } catch {
                stop(partition, reason: "cannot open shard \(path): \(error)")
                pendingPause.append(topicPartition)
            }
        }
        return offsets
    }

    package func partitionsRevoked(_ partitions: [TopicPartition]) {
        for topicPartition in partitions where topicPartition.topic == configuration.topics.transactions {
            if case .open(let shard, _) = slots[topicPartition.partition] { shard.close() }
            slots[topicPartition.partition] = nil
            fetchedSinceAssignment.remove(topicPartition.partition)
            progress.revoked(topicPartition.partition)
            logger.info("partition revoked", metadata: [LogKey.partition: "\(topicPartition.partition)"])
        }
    }
}
