import Foundation
import Hummingbird
import StockroomCore
import StockroomStore

/// Which part of the chain a page shows. A store's pages show its own location. The hub's
/// show the whole chain, or the one store chosen in the header's switcher; the choice is
/// the `store` query parameter, so a link, a bookmark, back and reload keep it.
struct PageScope: Sendable {
    /// The location the page's figures are for; nil: every location (the hub's chain view).
    var location: String?
    /// On the hub, the store chosen (nil: the whole chain). Lists are filtered by it.
    var chosen: String?

    /// `path` with the choice carried: `/inventory?stock=low&store=store-1`.
    func href(_ path: String) -> String {
        guard let chosen else { return path }
        return path + (path.contains("?") ? "&" : "?") + "store=" + WebSite.queryEscape(chosen)
    }

    /// Whether a record at `location` (or with `counterpart`) belongs to the page.
    func includes(_ location: String?, counterpart: String? = nil) -> Bool {
        guard let chosen else { return true }
        return [location, counterpart].contains { $0.map { $0 == chosen || $0.hasPrefix(chosen + "/") } ?? false }
    }

    /// Words for the page's heading: "store-1", or "all stores".
    var label: String { location ?? "all stores" }
}

extension WebSite {
    /// The scope of a request (see ``PageScope``). A `store` that is not an identifier is
    /// ignored: the page shows the whole chain.
    func scope(of request: Request) -> PageScope {
        guard role == "hub" else { return PageScope(location: store.homeLocation, chosen: nil) }
        guard let text = request.uri.queryParameters["store"].map(String.init), !text.isEmpty, text != "*",
            InputRules.identifierProblem(text, name: "store") == nil
        else { return PageScope(location: nil, chosen: nil) }
        return PageScope(location: text, chosen: text)
    }

    /// The switcher's choices: the hub's own location and every store it syncs with.
    func scopeFields(_ scope: PageScope, request: Request) async throws -> [String: Any]? {
        guard role == "hub" else { return nil }
        let stores = Set([store.homeLocation] + (try await store.allPeerProgress().map(\.peer)))
            .union(scope.chosen.map { [$0] } ?? [])
        var keep: [[String: Any]] = []
        for (name, value) in request.uri.queryParameters
        where name != "store" && name != "page" && name != "done" && !value.isEmpty {
            keep.append(["name": String(name), "value": String(value)])
        }
        return [
            "path": request.uri.path,
            "keep": keep,
            "choices": [["value": "*", "label": "Whole chain", "selected": scope.chosen == nil]]
                + stores.sorted().map { ["value": $0, "label": $0, "selected": $0 == scope.chosen] },
            "suffix": scope.chosen.map { "?store=" + Self.queryEscape($0) } ?? "",
            "amp": scope.chosen.map { "&store=" + Self.queryEscape($0) } ?? "",
        ]
    }
}
