import Hummingbird
import StockroomCore
import StockroomStore

/// Rights to promise (section 10.6): `POST /v1/allowances` (grant or return),
/// `GET/PUT /v1/allowance-policies` (the top-up policies).
struct AllowanceRoutes {
    let store: StockroomStore

    struct MoveInput: Decodable {
        var sku: String
        var location: String?
        var channel: String?
        var qty: Int64
        var action: String
    }

    struct PolicyInput: Decodable {
        var scope: String
        var channel: String
        var sharePercent: Int64
        var keep: Int64?

        enum CodingKeys: String, CodingKey {
            case scope, channel, keep
            case sharePercent = "share_percent"
        }

        /// The policy the fields describe, or a 422 naming what is wrong.
        func policy() throws -> AllowancePolicy {
            guard let parsed = AllowancePolicy.Scope(scope) else {
                throw InputError("invalid_value", "scope must be sku:SKU, category:NAME or *")
            }
            guard let node = NodeID(channel) else {
                throw InputError("invalid_value", "channel must be a node id (the hub's, for the web)")
            }
            let policy = AllowancePolicy(scope: parsed, channel: node, sharePercent: sharePercent, keep: keep ?? 0)
            if let problem = policy.problem { throw InputError("invalid_value", problem) }
            return policy
        }
    }

    struct PolicyResponse: ResponseEncodable {
        var scope: String
        var channel: String
        var sharePercent: Int64
        var keep: Int64

        init(_ policy: AllowancePolicy) {
            scope = policy.scope.description
            channel = policy.channel.rawValue
            sharePercent = policy.sharePercent
            keep = policy.keep
        }

        enum CodingKeys: String, CodingKey {
            case scope, channel, keep
            case sharePercent = "share_percent"
        }
    }

    struct PoliciesResponse: ResponseEncodable {
        var items: [PolicyResponse]
    }

    struct RightsResponse: ResponseEncodable {
        var sku: String
        var location: String
        var promise: [PromiseResponse]
    }

    func registerReads(on group: RouterGroup<StockroomRequestContext>) {
        group.get("allowance-policies") { _, _ -> PoliciesResponse in
            PoliciesResponse(items: try await store.allowancePolicies().map(PolicyResponse.init))
        }
    }

    func registerWrites(on group: RouterGroup<StockroomRequestContext>) {
        group.post("allowances") { request, context -> RightsResponse in
            let body = try await RequestDecoding.json(MoveInput.self, from: request)
            let location = body.location ?? store.homeLocation
            for (name, value) in [("sku", body.sku), ("location", location)] {
                if let problem = InputRules.identifierProblem(value, name: name) {
                    throw InputError("invalid_value", problem)
                }
            }
            guard (1...InputRules.maxQuantity).contains(body.qty) else {
                throw InputError("invalid_value", "qty must be 1 to \(InputRules.maxQuantity)")
            }
            _ = try await store.item(sku: body.sku)
            let key = StockKey(sku: body.sku, location: location)
            let actor = context.principal!.actorName
            let rights: [PromiseRights]
            switch body.action {
            case "grant":
                guard let name = body.channel, let channel = NodeID(name) else {
                    throw InputError(
                        "invalid_value", "a grant names the 'channel': the node id that may promise (the hub's)")
                }
                rights = try await store.grantAllowance(key, to: channel, quantity: body.qty, actor: actor)
            case "return":
                rights = try await store.returnAllowance(key, quantity: body.qty, actor: actor)
            default:
                throw InputError("invalid_value", "'action' must be grant or return")
            }
            return RightsResponse(sku: body.sku, location: location, promise: rights.map(PromiseResponse.init))
        }
        group.put("allowance-policies") { request, context -> PolicyResponse in
            let policy = try await RequestDecoding.json(PolicyInput.self, from: request).policy()
            try await store.setAllowancePolicy(policy, actor: context.principal!.actorName)
            return PolicyResponse(policy)
        }
    }
}

/// One channel's rights at a cell.
struct PromiseResponse: Encodable, Sendable {
    var channel: String
    var owner: Bool
    var granted: Int64
    var promised: Int64
    var mayPromise: Int64

    init(_ rights: PromiseRights) {
        channel = rights.channel.rawValue
        owner = rights.isOwner
        granted = rights.granted
        promised = rights.promised
        mayPromise = rights.mayPromise
    }

    enum CodingKeys: String, CodingKey {
        case channel, owner, granted, promised
        case mayPromise = "may_promise"
    }
}
