import ArgumentParser

/// `Bench`: Tessera's scenario runner. Each scenario measures Tessera and, in the same run, the ceiling that
/// the machine itself sets for the same work, and prints both with their ratio.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Bench",
        abstract: "Measure Tessera against the machine's own ceiling, side by side in one run.",
        subcommands: [
            CeilingBenchmark.self, IntrospectBenchmark.self, RefreshBenchmark.self, LoginBenchmark.self,
            MixedBenchmark.self, RecoveryBenchmark.self, MemoryBenchmark.self, WalBenchmark.self,
            FailoverBenchmark.self, ColdStart.self,
        ]
    )
}
