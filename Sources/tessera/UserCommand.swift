import ArgumentParser
import Auth
import Engine

/// `tessera user create`: bootstrap a user (a superuser, typically) while the service is stopped.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage users offline (with the service stopped).",
        subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Create a user in a data directory, logged like any registration.")

        @Option(help: "Data directory.") var data = "./tessera-data"
        @Option(help: "Email.") var email: String
        @Option(help: "Password (the contract's rule applies).") var password: String
        @Option(help: "First name.") var firstName = "Admin"
        @Flag(help: "Make the user a superuser.") var superuser = false
        @Option(help: "bcrypt cost, 4–31.") var bcryptCost = 12

        func run() async throws {
            guard (4...31).contains(bcryptCost) else { throw ValidationError("--bcrypt-cost: 4 to 31") }
            let engine = try Engine.open(EngineConfiguration(dataDirectory: data))
            let auth = AuthService(
                engine: engine, keys: try ServerKeys.loadOrCreate(directory: data + "/keys"),
                hasher: PasswordHasher(cost: UInt8(bcryptCost), threads: 1))
            do {
                let user = try await auth.createUser(
                    email: email, password: password, firstName: firstName,
                    isSuperuser: superuser)
                await engine.close()
                say("created \(superuser ? "superuser" : "user") \(user.email) (\(user.id.uuidString.lowercased()))")
            } catch {
                await engine.close()
                throw ValidationError(error.message)
            }
        }
    }
}
