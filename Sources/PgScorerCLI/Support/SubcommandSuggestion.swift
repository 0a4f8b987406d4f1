import ArgumentParser

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
            let nearest = names.map { ($0, distance($0, argument)) }.min { $0.1 < $1.1 }
            var text = "'\(argument)' is not a \(path.joined(separator: " ")) command."
            if let nearest, nearest.1 <= max(2, nearest.0.count / 3) { text += " Did you mean '\(nearest.0)'?" }
            return text + " The commands: \(names.joined(separator: ", ")) (see \(path.joined(separator: " ")) --help)"
        }
        return nil
    }

    /// Edits (insert, delete, replace, swap two neighbours) from `a` to `b`.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1) }
            }
        }
        return table[a.count][b.count]
    }
}
