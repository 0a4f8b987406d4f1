import Foundation

/// A yes/no question for a person at a terminal, before a change that is hard to undo.
/// Without a terminal the answer is no: a script says `--yes`.
enum Confirmation {
    static func ask(_ question: String) -> Bool {
        guard isatty(STDIN_FILENO) == 1 else { return false }
        FileHandle.standardOutput.write(Data("\(question) [y/N] ".utf8))  // unbuffered: the prompt shows before the answer
        guard let answer = readLine() else { return false }
        return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
    }
}
