import ArgumentParser
import Foundation
import HummingbirdBcrypt
import StockroomStore

/// `stockroom user create|list|disable|enable|reset-password`: the people who sign in to
/// the dashboard. Passwords are read from the terminal without echo, or from standard
/// input when it is not a terminal (`--password-stdin`, for scripts); never from an argument,
/// which `ps` and shell history would show.
struct User: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the people who sign in to the web dashboard.",
        subcommands: [Create.self, List.self, Disable.self, Enable.self, ResetPassword.self])

    static let bcryptCost: UInt8 = 12

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user (asks for the password).")
        @OptionGroup var options: NodeOptions
        @Argument(help: "The sign-in name: 2-64 lower-case letters, digits, '.', '_' or '-'.")
        var name: String
        @Option(name: .long, help: "admin, manager, staff or readonly.")
        var role: String
        @Option(name: .customLong("display-name"), help: "The name the dashboard shows (default: the sign-in name).")
        var displayName: String?
        @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input (one line).")
        var passwordStdin = false

        func run() async throws {
            guard let role = Role(rawValue: role), UserRules.roles.contains(role) else {
                throw ValidationError("--role must be one of: admin, manager, staff, readonly")
            }
            do {
                try UserRules.checkName(name)
                let password = try User.readPassword(stdin: passwordStdin, confirm: true)
                try UserRules.checkPassword(password)
                let (store, _) = try await AdminStore.open(options)
                _ = try await store.createUser(
                    name: name, displayName: displayName ?? name, role: role,
                    passwordHash: Bcrypt.hash(password, cost: User.bcryptCost))
                print("created \(role.rawValue) user \(name); they can sign in at the dashboard now")
            } catch let error as StoreError {
                throw ValidationError(error.description)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var options: NodeOptions

        func run() async throws {
            let (store, _) = try await AdminStore.open(options)
            let users = try await store.listUsers()
            if users.isEmpty {
                print("no users yet: make the first admin with 'stockroom user create NAME --role admin'")
                return
            }
            print("NAME                 ROLE      STATUS    LAST SIGN-IN          DISPLAY NAME")
            for user in users {
                print(
                    [
                        user.name.padding(toLength: 20, withPad: " ", startingAt: 0),
                        user.role.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0),
                        (user.isDisabled ? "disabled" : "active").padding(toLength: 9, withPad: " ", startingAt: 0),
                        (user.lastSignInAt?.formatted(.iso8601) ?? "never").padding(
                            toLength: 21, withPad: " ", startingAt: 0),
                        user.displayName,
                    ].joined(separator: " "))
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop a user signing in; their open sessions end within 2 seconds.")
        @OptionGroup var options: NodeOptions
        @Argument var name: String

        func run() async throws { try await User.setDisabled(name, true, options: options) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a disabled user sign in again.")
        @OptionGroup var options: NodeOptions
        @Argument var name: String

        func run() async throws { try await User.setDisabled(name, false, options: options) }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password",
            abstract: "Set a new password (asks for it); every session of the user ends.")
        @OptionGroup var options: NodeOptions
        @Argument var name: String
        @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input (one line).")
        var passwordStdin = false

        func run() async throws {
            do {
                let (store, _) = try await AdminStore.open(options)
                guard try await store.user(named: name) != nil else {
                    throw StoreError.invalid(field: "name", message: "no user named '\(name)'")
                }
                let password = try User.readPassword(stdin: passwordStdin, confirm: true)
                try UserRules.checkPassword(password)
                try await store.setPassword(user: name, passwordHash: Bcrypt.hash(password, cost: User.bcryptCost))
                print("password of \(name) changed; their sessions have ended")
            } catch let error as StoreError {
                throw ValidationError(error.description)
            }
        }
    }

    static func setDisabled(_ name: String, _ disabled: Bool, options: NodeOptions) async throws {
        let (store, _) = try await AdminStore.open(options)
        do {
            try await store.setUserDisabled(name, disabled)
            print("\(name) is \(disabled ? "disabled" : "enabled")")
        } catch let error as StoreError {
            throw ValidationError(error.description)
        }
    }

    /// The password from the terminal (no echo, asked twice) or from one line of stdin.
    static func readPassword(stdin: Bool, confirm: Bool) throws -> String {
        if stdin || isatty(STDIN_FILENO) == 0 {
            guard let line = readLine(strippingNewline: true) else {
                throw ValidationError("no password on standard input")
            }
            return line
        }
        guard let first = getpass("Password (10 or more characters): ").map({ String(cString: $0) }) else {
            throw ValidationError("could not read a password")
        }
        if confirm {
            let second = getpass("Same password again: ").map { String(cString: $0) } ?? ""
            guard first == second else { throw ValidationError("the two passwords differ; nothing was changed") }
        }
        return first
    }
}
