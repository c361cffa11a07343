import ArgumentParser

/// The `tessera` command: the service and its operator tools.
@main
struct Tessera: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "An authentication engine with in-memory state and a write-ahead log.",
        subcommands: [ServeCommand.self, UserCommand.self, ClientCommand.self, ReplayCommand.self, WalCommand.self],
        defaultSubcommand: nil
    )
}
