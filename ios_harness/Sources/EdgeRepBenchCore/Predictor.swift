/// A loaded model ready to predict on a fixed input: what the protocol loop times.
///
/// Conforming types hold the runtime's model object (an `MLModel` and its input in the Core ML
/// module, a scripted fake in the tests). The loop creates one per round when the protocol reloads.
public protocol Predictor {
    /// Untimed work after loading, before the first prediction (building the input).
    func prepare() throws
    /// One prediction; its duration is one sample.
    func predict() throws
}

extension Predictor {
    public func prepare() throws {}
}
