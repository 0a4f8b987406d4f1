import ArgumentParser
import PgScorer

/// `--device` and `--sensor`, the same on every command that selects series.
struct SelectionOptions: ParsableArguments {
    @Option(help: "Device name, or a pattern with * (or %) for any run of characters. Default: every device.")
    var device: String?
    @Option(help: "Sensor name, or a pattern with * (or %). Default: every sensor.")
    var sensor: String?

    var selector: SeriesSelector { SeriesSelector(device: device, sensor: sensor) }
}
