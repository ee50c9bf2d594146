import ArgumentParser
import Foundation
import StockroomStore

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage bearer tokens.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a token and print it (shown once; only its hash is kept).")

        @OptionGroup var options: NodeOptions

        @Option(name: .long, help: "admin, manager, staff, readonly, scanner or peer.")
        var role: String

        @Option(name: .long, help: "For a peer token: the node id it is bound to.")
        var node: String?

        @Option(name: .long, help: "A name for the token, shown in the audit trail (e.g. 'till 3').")
        var label: String = ""

        func run() async throws {
            guard let role = Role(rawValue: role) else {
                throw ValidationError(
                    "role '\(self.role)' must be one of: \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let (store, _) = try await AdminStore.open(options)
            do {
                let (token, info) = try await store.createToken(role: role, node: node, label: label)
                FileHandle.standardError.write(
                    Data("created \(role.rawValue) token \(info.id)\(node.map { " for node \($0)" } ?? "")\n".utf8))
                print(token)
            } catch let error as StoreError {
                throw ValidationError(error.description)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")
        @OptionGroup var options: NodeOptions

        func run() async throws {
            let (store, _) = try await AdminStore.open(options)
            print("ID          ROLE     NODE            CREATED              REVOKED              LABEL")
            for token in try await store.listTokens() {
                print(
                    [
                        token.id.padding(toLength: 11, withPad: " ", startingAt: 0),
                        token.role.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0),
                        (token.node ?? "-").padding(toLength: 15, withPad: " ", startingAt: 0),
                        token.createdAt.formatted(.iso8601).padding(toLength: 20, withPad: " ", startingAt: 0),
                        (token.revokedAt?.formatted(.iso8601) ?? "-").padding(
                            toLength: 20, withPad: " ", startingAt: 0),
                        token.label,
                    ].joined(separator: " "))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a token by id; a running node refuses it within 2 seconds.")
        @OptionGroup var options: NodeOptions
        @Argument(help: "The token id (the part after 'sr_', before the second '_').")
        var id: String

        func run() async throws {
            let (store, _) = try await AdminStore.open(options)
            do {
                try await store.revokeToken(id: id)
                print("revoked \(id)")
            } catch let error as StoreError {
                throw ValidationError(error.description)
            }
        }
    }
}
