/// A runtime fact that stops an operation, said in the user's words ("no model 42",
/// "cannot open readings.csv"). Commands print its description on one line and exit 1;
/// a value typed on the command line that cannot be used (`.usage`) exits 64, like the
/// argument mistakes the command line's `ValidationError`s catch earlier.
package struct PgScorerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of fact it is, for callers that branch on it.
    package struct Code: Hashable, Sendable {
        let name: String
        /// A row the user named does not exist.
        package static let notFound = Code(name: "not found")
        /// The user's input (a file, a value) cannot be used as given.
        package static let invalidInput = Code(name: "invalid input")
        /// A file or folder cannot be read or written.
        package static let file = Code(name: "file")
        /// Something the operation needs is missing on this machine.
        package static let environment = Code(name: "environment")
        /// A value the user typed (an option's time, a range) cannot be used: a usage
        /// mistake, exit 64.
        package static let usage = Code(name: "usage")
    }

    package let code: Code
    package let description: String

    package init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
