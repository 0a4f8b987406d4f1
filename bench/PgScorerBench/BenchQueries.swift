import PgClient

/// The statements of the benchmarks, in one place like the product's (scripts/check-tree
/// allows this file): a scratch table for the COPY benchmark.
enum BenchQueries {
    static let dropCopyTableIfExists: SQLText = "DROP TABLE IF EXISTS bench_copy"
    static let createCopyTable: SQLText = "CREATE TABLE bench_copy (id int4, ts timestamptz, features float8[])"
    static let truncateCopyTable: SQLText = "TRUNCATE bench_copy"
    static let dropCopyTable: SQLText = "DROP TABLE bench_copy"
    /// Binary COPY into and out of the scratch table.
    static let copyIn: SQLText = "COPY bench_copy FROM STDIN (FORMAT binary)"
    static let copyOut: SQLText = "COPY bench_copy TO STDOUT (FORMAT binary)"
}
