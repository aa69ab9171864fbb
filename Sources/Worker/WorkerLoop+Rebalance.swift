import Foundation
import Kafka
import Ledger
import Logging
import LoyaltyWire
import Synchronization

/// Rebalance callbacks: called on the loop's thread, inside `poll`.
extension WorkerLoop {
    package func partitionsAssigned(_ partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        var offsets: [TopicPartition: Int64] = [:]
        let assigned = partitions.filter { $0.topic == configuration.topics.transactions }
        if let first = assigned.first, let refusal = partitionCountRefusal() {
            // Shards made for another partition count hold other members' ledgers under
            // the same numbers: applying would mix them. Take nothing, stop the worker.
            logger.critical("\(refusal)")
            stop(first.partition, reason: refusal)
            pendingPause += assigned
            stopRequested.flag.store(true, ordering: .relaxed)
            return [:]
        }
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
                observeHotHistory(partition, shard, sealed: false)
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
            // A refused data directory stays reported (the worker exits with it, non-zero).
            let refused: Bool
            if case .stopped(let reason) = slots[topicPartition.partition] {
                refused = reason.hasPrefix(PartitionCountCheck.prefix)
            } else {
                refused = false
            }
            slots[topicPartition.partition] = nil
            fetchedSinceAssignment.remove(topicPartition.partition)
            if !refused { progress.revoked(topicPartition.partition) }
            logger.info("partition revoked", metadata: [LogKey.partition: "\(topicPartition.partition)"])
        }
    }
}

/// The partition count a data directory's shard files were made for, kept in
/// `<data>/partition-count` (written at the first assignment that passes the check). A
/// directory from before that file existed is judged by its highest shard number. Shards
/// are numbered by partition and members are placed by murmur2(member) mod the count,
/// so shards made for another count hold the wrong members.
enum PartitionCountCheck {
    static let fileName = "partition-count"
    static let prefix = "partition-count mismatch:"

    /// Why the shards in `directory` cannot serve a topic with `live` partitions; nil
    /// when they can.
    static func refusal(directory: String, topic: String, recorded: Int32?, highestShard: Int32?, live: Int32) -> String? {
        let fix =
            "point --data at the data directory of a cluster whose \(topic) has \(live) partitions, or at an empty one "
            + "(its shards are rebuilt from the log); a partition count cannot change without re-sharding"
        if let recorded, recorded != live {
            return "\(prefix) the shard files in \(directory) were made for \(recorded) partitions "
                + "of \(topic), which has \(live): \(fix)"
        }
        if let highestShard, highestShard >= live {
            return "\(prefix) \(directory) holds a shard of partition \(highestShard), "
                + "but \(topic) has \(live) partitions (0...\(live - 1)): \(fix)"
        }
        return nil
    }

    static func recorded(in directory: String) -> Int32? {
        guard let text = try? String(contentsOfFile: "\(directory)/\(fileName)", encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func highestShard(in directory: String) -> Int32? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> Int32? in
            guard name.hasPrefix("shard-"), name.hasSuffix(".sqlite") else { return nil }
            return Int32(name.dropFirst(6).dropLast(7))
        }.max()
    }

    static func record(_ count: Int32, in directory: String) throws {
        try Data("\(count)\n".utf8).write(to: URL(fileURLWithPath: "\(directory)/\(fileName)"), options: .atomic)
    }
}

extension WorkerLoop {
    /// Checks the data directory against the live transactions topic (one metadata request
    /// per assignment); records the count when the directory has none yet. Without an
    /// answer from Kafka the check is skipped, logged: assignment itself proves a broker.
    func partitionCountRefusal() -> String? {
        guard let producer else { return nil }
        let directory = configuration.dataDirectory
        let topic = configuration.topics.transactions
        let live: Int32
        do {
            live = try producer.partitionCount(topic: topic, timeoutMilliseconds: 10_000)
        } catch {
            logger.warning("partition count of the transactions topic unknown; not checked", metadata: [LogKey.error: "\(error)"])
            return nil
        }
        let recorded = PartitionCountCheck.recorded(in: directory)
        if let refusal = PartitionCountCheck.refusal(
            directory: directory, topic: topic, recorded: recorded, highestShard: PartitionCountCheck.highestShard(in: directory), live: live)
        {
            return refusal
        }
        if recorded == nil {
            do {
                try PartitionCountCheck.record(live, in: directory)
            } catch {
                logger.warning("cannot record the partition count in the data directory", metadata: [LogKey.error: "\(error)"])
            }
        }
        return nil
    }
}
