import Foundation

/// An error the harness reports to its user: what was wrong, what is allowed, and the fix.
///
/// `kind` lets callers and tests tell errors apart without matching on the text.
public struct BenchError: Error, Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// An option or argument that is not allowed (the message names it and the allowed values).
        case invalidOption
        /// Statistics asked of no round, or of a round without samples.
        case emptySamples
        /// A trim that drops every sample of a round.
        case trimTooLarge
        /// A sample that is NaN or infinite.
        case nonFiniteSample
        /// edgerep metadata in a model that cannot be read.
        case invalidMetadata
        /// A model the harness cannot feed or run.
        case unsupportedModel
        /// A file that cannot be read or written.
        case fileSystem
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}

extension BenchError: CustomStringConvertible {
    public var description: String { message }
}

extension BenchError: LocalizedError {
    public var errorDescription: String? { message }
}
