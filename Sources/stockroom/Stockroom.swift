import ArgumentParser
import StockroomServer

@main
struct Stockroom: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stockroom",
        abstract: "Offline-first inventory: a store's daemon, its hub, and their administration.",
        version: StockroomVersion.summary,
        subcommands: [
            Serve.self, Import.self, User.self, Token.self, Status.self, Check.self, Orders.self, Transfers.self,
            PurchaseOrders.self,
            Holds.self, Alerts.self, Replenish.self, Notify.self, Report.self, Forecast.self, Anomalies.self,
            Backup.self, Restore.self, Migrate.self, Hub.self, Compact.self, Doctor.self,
        ],
        defaultSubcommand: nil)
}
