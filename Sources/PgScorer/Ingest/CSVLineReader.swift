import Foundation

/// Reads a CSV stream line by line with line numbers, splitting fields (RFC 4180
/// quoting within a line). Bytes that are not UTF-8 are reported, never guessed.
package struct CSVLineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var finished = false
    /// The field separator (a comma unless `--delimiter` says otherwise).
    let delimiter: Character
    package private(set) var lineNumber = 0
    package private(set) var bytesRead = 0
    static let maxLineBytes = 1 << 20

    package enum Failure: Error, Equatable, CustomStringConvertible {
        case invalidUTF8(line: Int)
        case unterminatedQuote(line: Int)
        case lineTooLong(line: Int)

        package var description: String {
            switch self {
            case .invalidUTF8(let line): "line \(line): not valid UTF-8"
            case .unterminatedQuote(let line): "line \(line): unterminated quoted field"
            case .lineTooLong(let line): "line \(line): longer than \(CSVLineReader.maxLineBytes) bytes"
            }
        }
    }

    package init(handle: FileHandle, delimiter: Character = ",") {
        self.handle = handle
        self.delimiter = delimiter
    }

    /// The next non-empty line's fields, or nil at the end of the input.
    mutating func next() throws(Failure) -> [Substring]? {
        while true {
            guard let raw = try nextRawLine() else { return nil }
            lineNumber += 1
            guard raw.count <= Self.maxLineBytes else { throw .lineTooLong(line: lineNumber) }
            var line = raw
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if lineNumber == 1, line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }  // UTF-8 BOM
            if line.isEmpty { continue }
            guard let text = String(validating: line, as: UTF8.self) else { throw .invalidUTF8(line: lineNumber) }
            return try Self.split(text, line: lineNumber, delimiter: delimiter)
        }
    }

    /// Splits one line into fields: a field may be quoted, with `""` for a quote inside.
    package static func split(_ text: String, line: Int, delimiter: Character = ",") throws(Failure) -> [Substring] {
        // Unquoted lines (nearly all): one pass over the bytes, no grapheme breaking.
        if let separator = delimiter.asciiValue {
            let utf8 = text.utf8
            var fields: [Substring] = []
            fields.reserveCapacity(8)
            var fieldStart = utf8.startIndex
            var index = utf8.startIndex
            var quoted = false
            while index != utf8.endIndex {
                let byte = utf8[index]
                if byte == UInt8(ascii: "\"") {
                    quoted = true
                    break
                }
                if byte == separator {
                    fields.append(Substring(utf8[fieldStart..<index]))
                    fieldStart = utf8.index(after: index)
                }
                index = utf8.index(after: index)
            }
            if !quoted {
                fields.append(Substring(utf8[fieldStart..<utf8.endIndex]))
                return fields
            }
        }
        let characters = Array(text)
        var fields: [Substring] = []
        var field = ""
        var inQuotes = false
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if inQuotes {
                if character == "\"" {
                    if index + 1 < characters.count, characters[index + 1] == "\"" {
                        field.append("\"")
                        index += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.append(character)
                }
            } else if character == "\"" && field.isEmpty {
                inQuotes = true
            } else if character == delimiter {
                fields.append(Substring(field))
                field = ""
            } else {
                field.append(character)
            }
            index += 1
        }
        guard !inQuotes else { throw .unterminatedQuote(line: line) }
        fields.append(Substring(field))
        return fields
    }

    /// The next line's bytes, without copying them out of the buffer.
    private mutating func nextRawLine() throws(Failure) -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[position...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[position..<newline]
                position = newline + 1
                return line
            }
            if buffer.count - position > Self.maxLineBytes {
                // Skip the rest of the line, so that a reader that reports it can go on.
                while true {
                    if let newline = buffer[position...].firstIndex(of: UInt8(ascii: "\n")) {
                        position = newline + 1
                        break
                    }
                    buffer.removeAll(keepingCapacity: true)
                    position = 0
                    if finished { break }
                    let chunk = handle.readData(ofLength: 1 << 20)
                    bytesRead += chunk.count
                    if chunk.isEmpty { finished = true } else { buffer.append(contentsOf: chunk) }
                }
                lineNumber += 1
                throw .lineTooLong(line: lineNumber)
            }
            if finished {
                guard position < buffer.count else { return nil }
                let line = buffer[position...]
                position = buffer.count
                return line
            }
            buffer.removeFirst(position)
            position = 0
            let chunk = handle.readData(ofLength: 1 << 20)
            bytesRead += chunk.count
            if chunk.isEmpty { finished = true } else { buffer.append(contentsOf: chunk) }
        }
    }
}
