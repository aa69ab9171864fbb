/// A worker run that did not end as asked: a partition stopped, workers that did not
/// catch up in time, a partition that could not be rebuilt. The message names the
/// partition and the reason.
public struct WorkerError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
