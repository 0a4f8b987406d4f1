import ArgumentParser
import PgScorer

/// A mistyped subcommand gets the nearest real one, as a mistyped flag does
/// (`pgscorer reprot` → did you mean 'report'?). Argument parser itself only says
/// "Unexpected argument".
enum SubcommandSuggestion {
    /// The message for the first word of `arguments` that names no subcommand where one
    /// is expected, with the nearest name when one is close; nil when all are known.
    static func message(for arguments: [String], root: any ParsableCommand.Type) -> String? {
        var command = root
        var path = [root._commandName]
        for argument in arguments {
            let subcommands = command.configuration.subcommands
            guard !argument.hasPrefix("-"), !subcommands.isEmpty, command.configuration.defaultSubcommand == nil, argument != "help" else { return nil }
            if let next = subcommands.first(where: { $0._commandName == argument || ($0.configuration.aliases).contains(argument) }) {
                command = next
                path.append(argument)
                continue
            }
            let names = subcommands.map { $0._commandName }
            let nearest = names.map { ($0, EditDistance.between($0, argument)) }.min { $0.1 < $1.1 }
            var text = "'\(argument)' is not a \(path.joined(separator: " ")) command."
            if let nearest, nearest.1 <= max(2, nearest.0.count / 3) { text += " Did you mean '\(nearest.0)'?" }
            return text + " The commands: \(names.joined(separator: ", ")) (see \(path.joined(separator: " ")) --help)"
        }
        return nil
    }
}
