/// A fitted one-class SVM, as scikit-learn's `OneClassSVM` (libsvm semantics) holds it,
/// optionally preceded by the input scaler of a `Pipeline([scaler, OneClassSVM])`.
///
/// - `decisionFunction(x) = Σ dualCoefficients[i] · K(supportVector[i], x') + intercept`,
///   where `x'` is `x` after the scaler;
/// - `scoreSamples(x) = decisionFunction(x) + offset`;
/// - `predict(x) = +1` if `decisionFunction(x) > 0`, else `-1` (an anomaly).
public struct OneClassSVM: Sendable, Equatable {
    /// The kernel function and its parameters.
    public enum Kernel: String, Sendable, CaseIterable, Codable {
        /// `exp(-gamma · ‖x − s‖²)`
        case rbf
        /// `x · s`
        case linear
        /// `(gamma · x · s + coef0)^degree`
        case poly
        /// `tanh(gamma · x · s + coef0)`
        case sigmoid
    }

    public let kernel: Kernel
    /// The resolved gamma (scikit-learn's `_gamma`; `'scale'`/`'auto'` are resolved at fit time).
    public let gamma: Double
    public let coef0: Double
    public let degree: Int
    public let featureCount: Int
    /// Support vectors, row-major: `supportVectorCount × featureCount`, in scaled space.
    public let supportVectors: [Double]
    /// One dual coefficient per support vector (scikit-learn's `dual_coef_[0]`).
    public let dualCoefficients: [Double]
    /// scikit-learn's `intercept_[0]` (libsvm's `-rho`).
    public let intercept: Double
    /// scikit-learn's `offset_` (`score_samples = decision_function + offset_`).
    public let offset: Double
    /// Applied to raw readings before the kernel, as the first step of a Pipeline.
    public let scaler: InputScaler?

    public var supportVectorCount: Int { dualCoefficients.count }

    /// Creates a model, checking that every dimension and number is consistent.
    public init(
        kernel: Kernel, gamma: Double, coef0: Double = 0, degree: Int = 3, featureCount: Int,
        supportVectors: [Double], dualCoefficients: [Double], intercept: Double, offset: Double? = nil,
        scaler: InputScaler? = nil
    ) throws(ModelError) {
        guard featureCount >= 1 else { throw .invalid("n_features must be at least 1, got \(featureCount)") }
        guard !dualCoefficients.isEmpty else { throw .invalid("a model needs at least one support vector") }
        guard supportVectors.count == dualCoefficients.count * featureCount else {
            throw .invalid(
                "support_vectors has \(supportVectors.count) values, expected \(dualCoefficients.count) support vectors × \(featureCount) features = \(dualCoefficients.count * featureCount)")
        }
        guard gamma.isFinite, gamma > 0 || kernel == .linear else {
            throw .invalid("gamma must be a positive finite number, got \(gamma)")
        }
        guard coef0.isFinite else { throw .invalid("coef0 must be finite, got \(coef0)") }
        guard kernel != .poly || (0...64).contains(degree) else {
            throw .invalid("degree must be between 0 and 64, got \(degree)")
        }
        guard intercept.isFinite else { throw .invalid("intercept must be finite, got \(intercept)") }
        if let index = supportVectors.firstIndex(where: { !$0.isFinite }) {
            throw .invalid("support_vectors[\(index / featureCount)][\(index % featureCount)] is not finite")
        }
        if let index = dualCoefficients.firstIndex(where: { !$0.isFinite }) {
            throw .invalid("dual_coef[\(index)] is not finite")
        }
        let offset = offset ?? -intercept
        guard offset.isFinite else { throw .invalid("offset must be finite, got \(offset)") }
        if let scaler { try scaler.validate(featureCount: featureCount) }
        self.kernel = kernel
        self.gamma = gamma
        self.coef0 = coef0
        self.degree = degree
        self.featureCount = featureCount
        self.supportVectors = supportVectors
        self.dualCoefficients = dualCoefficients
        self.intercept = intercept
        self.offset = offset
        self.scaler = scaler
    }
}

/// The per-feature input transformation of a scikit-learn scaler.
public enum InputScaler: Sendable, Equatable {
    /// `StandardScaler`: `(x − mean) / scale`.
    case standard(mean: [Double], scale: [Double])
    /// `MinMaxScaler`: `x · scale + min`.
    case minMax(scale: [Double], min: [Double])

    func validate(featureCount: Int) throws(ModelError) {
        let (name, first, second): (String, [Double], [Double]) =
            switch self {
            case .standard(let mean, let scale): ("standard", mean, scale)
            case .minMax(let scale, let min): ("minmax", scale, min)
            }
        guard first.count == featureCount, second.count == featureCount else {
            throw .invalid("\(name) scaler has \(first.count) and \(second.count) values for \(featureCount) features")
        }
        guard (first + second).allSatisfy(\.isFinite) else { throw .invalid("\(name) scaler has a non-finite value") }
        if case .standard(_, let scale) = self, scale.contains(0) {
            throw .invalid("standard scaler has a zero scale")
        }
    }

    /// Transforms one sample in place, with scikit-learn's operation order.
    @inline(__always)
    func apply(to sample: UnsafeMutableBufferPointer<Double>) {
        switch self {
        case .standard(let mean, let scale):
            for j in 0..<sample.count { sample[j] = (sample[j] - mean[j]) / scale[j] }
        case .minMax(let scale, let min):
            for j in 0..<sample.count { sample[j] = sample[j] * scale[j] + min[j] }
        }
    }
}

/// A model that is inconsistent or a payload that cannot be decoded, with the reason.
public enum ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String)
    case corruptPayload(String)
    case badJSON(String)
    case wrongFeatureCount(expected: Int, got: Int)

    public var description: String {
        switch self {
        case .invalid(let reason): "invalid model: \(reason)"
        case .corruptPayload(let reason): "corrupt model payload: \(reason)"
        case .badJSON(let reason): "bad model JSON: \(reason)"
        case .wrongFeatureCount(let expected, let got): "the model expects \(expected) features per reading, got \(got)"
        }
    }
}
