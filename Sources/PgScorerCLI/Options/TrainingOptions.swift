import ArgumentParser
import PgScorer

/// How to train, as `train` and `schedule add --train` take it (`TrainingParameters`).
struct TrainingOptions: ParsableArguments {
    @Option(help: "rbf, linear, poly or sigmoid (default: rbf).") var kernel: String?
    @Option(help: "Upper bound on the fraction of training readings treated as outliers, in (0, 1] (default: 0.1).") var nu: Double?
    @Option(help: "A number, scale (1/(n_features·Var X)) or auto (1/n_features) (default: scale).") var gamma: String?
    @Option(help: "poly/sigmoid constant (default: 0).") var coef0: Double?
    @Option(help: "poly degree (default: 3).") var degree: Int?
    @Option(help: "none, standard or minmax: a scaler fitted first, as in a Pipeline (default: none).") var scaler: String?
    @Option(name: .customLong("min-readings"), help: "Skip series with fewer readings (default: 10).") var minReadings: Int?

    /// Whether any was given (for commands where they only make sense with another flag).
    var given: Bool { kernel != nil || nu != nil || gamma != nil || coef0 != nil || degree != nil || scaler != nil || minReadings != nil }

    var parameters: TrainingParameters {
        var parameters = TrainingParameters()
        if let kernel { parameters.kernel = kernel }
        if let nu { parameters.nu = nu }
        if let gamma { parameters.gamma = gamma }
        if let coef0 { parameters.coef0 = coef0 }
        if let degree { parameters.degree = degree }
        if let scaler { parameters.scaler = scaler }
        if let minReadings { parameters.minReadings = minReadings }
        return parameters
    }

    func validate() throws {
        if let problem = parameters.problem { throw ValidationError("--\(problem)") }
    }
}
