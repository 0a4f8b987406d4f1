import PgScorer

/// Prints one table of rows in the chosen format: aligned text, CSV with a header
/// line, or `json` (the typed values the rows were made from).
func printTable(_ format: OutputFormat, header: [String], rows: [[String]], json: some Encodable) throws {
    switch format {
    case .table:
        print(TextTable(header, rows: rows).rendered, terminator: "")
    case .csv:
        let csv = CSVWriter { print($0, terminator: "") }
        csv.row(header)
        rows.forEach(csv.row)
    case .json:
        try JSONOutput.print(json)
    }
}
