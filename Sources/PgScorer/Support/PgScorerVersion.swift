/// This build's version, as workers register it and `pgscorer --version` prints it.
package enum PgScorerVersion {
    package static let current = "0.1.0"
}
