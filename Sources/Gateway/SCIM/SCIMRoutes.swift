import Foundation
import HTTPTypes
import Hummingbird
import Identity
import JSON
import Store

extension Gateway {
    /// The SCIM 2.0 service provider of each tenant at `/scim/v2/{tenant}/`.
    func addSCIMRoutes(scim: RouterGroup<FlowgateRequestContext>) {
        let store = self.store
        let identity = self.identity
        let prefix = "/scim/v2/:tenant"
        let maxBody = 1 << 20

        /// The request body as JSON; SCIM clients send `application/scim+json` or `application/json`.
        @Sendable func body(_ request: Request, _ context: FlowgateRequestContext) async throws -> JSONValue {
            var request = request
            let buffer: ByteBuffer
            do {
                buffer = try await request.collectBody(upTo: maxBody)
            } catch {
                throw SCIMError.payloadTooLarge("the request body is larger than \(maxBody) bytes")
            }
            do {
                return try JSONValue.parse(buffer.readableBytesView)
            } catch {
                throw SCIMError.invalidSyntax("the body is not valid JSON: \(error)")
            }
        }

        /// Locations are absolute when the request names its host (RFC 7643 §3.1 wants the
        /// resource's URI), relative otherwise.
        @Sendable func configuration(_ context: FlowgateRequestContext) -> SCIMConfiguration {
            SCIMConfiguration(baseLocation: "\(context.origin)/scim/v2/\(context.tenant?.slug ?? "")/")
        }

        @Sendable func query(_ request: Request) -> [(name: String, value: String)] {
            FormQuery.parameters(request.uri.query)
        }

        @Sendable func projection(_ request: Request, _ kind: SCIMResourceKind, _ config: SCIMConfiguration) throws -> SCIMProjection {
            let split = { (s: String?) in s.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? [] }
            return try SCIMProjection(attributes: split(FormQuery.first(request.uri.query, "attributes")),
                                      excludedAttributes: split(FormQuery.first(request.uri.query, "excludedAttributes")),
                                      for: kind == .users ? config.userType : config.groupType)
        }

        @Sendable func resourceResponse(_ resource: SCIMResource, _ json: JSONValue, status: HTTPResponse.Status, _ context: FlowgateRequestContext) -> Response {
            var headers: HTTPFields = [.eTag: resource.etag]
            if status == .created { headers[.location] = resource.location }
            context.audit?.update { $0.resource = "\(resource.resourceType)::\"\(resource.id)\"" }
            return Response.json(json, status: status, headers: headers)
        }

        /// Runs a SCIM write; users it deactivated or deleted lose their API tokens in the
        /// same transaction, and cached authentications are dropped after commit.
        @Sendable func write<R: Sendable>(_ context: FlowgateRequestContext, _ body: @Sendable @escaping (SCIMRepository) async throws -> (R, SCIMChanges)) async throws -> R {
            let tenant = try context.requireTenant()
            let config = configuration(context)
            let clock = store.clock
            let (result, changes) = try await store.write { db in
                let outcome = try await body(SCIMRepository(db, tenant: tenant, configuration: config, clock: clock))
                try await IdentityService.revokeCredentials(ofUsers: outcome.1.usersToRevoke, in: tenant, at: clock.nowMillis(), db)
                return outcome
            }
            if !changes.usersToRevoke.isEmpty || !changes.usersWithChangedGroups.isEmpty { identity.invalidateAuthenticationCache() }
            context.audit?.update { notes in
                if !changes.usersToRevoke.isEmpty { notes.detail["revoked_users"] = .array(changes.usersToRevoke.map(JSONValue.string)) }
                if !changes.ignoredMemberIDs.isEmpty { notes.detail["ignored_members"] = .array(changes.ignoredMemberIDs.map(JSONValue.string)) }
            }
            return result
        }

        for kind in [SCIMResourceKind.users, .groups] {
            let path = kind.description
            on(scim, prefix: prefix, .post, path, action: "scim.write", resource: .tenant) { request, context in
                let input = try await body(request, context)
                let config = configuration(context)
                let shape = try projection(request, kind, config)
                let result = try await write(context) { repo in
                    let r = try await repo.create(kind, input, projection: shape)
                    return (r, r.changes)
                }
                return resourceResponse(result.resource, result.resource.projected(shape), status: .created, context)
            }
            on(scim, prefix: prefix, .get, path, action: "scim.read", resource: .tenant) { request, context in
                let tenant = try context.requireTenant()
                let config = configuration(context)
                let listQuery = try SCIMListQuery(parameters: query(request))
                let list = try await store.read { try await SCIMRepository($0, tenant: tenant, configuration: config, clock: store.clock).list(kind, listQuery) }
                return Response.json(list.json)
            }
            on(scim, prefix: prefix, .post, "\(path)/.search", action: "scim.read", resource: .tenant) { request, context in
                let tenant = try context.requireTenant()
                let config = configuration(context)
                let listQuery = try SCIMListQuery(searchRequest: try await body(request, context))
                let list = try await store.read { try await SCIMRepository($0, tenant: tenant, configuration: config, clock: store.clock).list(kind, listQuery) }
                return Response.json(list.json)
            }
            on(scim, prefix: prefix, .get, "\(path)/:id", action: "scim.read", resource: .tenant) { request, context in
                let tenant = try context.requireTenant()
                let id = try context.parameter("id")
                let config = configuration(context)
                let shape = try projection(request, kind, config)
                let resource = try await store.read { try await SCIMRepository($0, tenant: tenant, configuration: config, clock: store.clock).get(kind, id: id) }
                if let none = request.headers[.ifNoneMatch], SCIMETag.matches(ifMatch: none, version: resource.version) {
                    return Response(status: .notModified, headers: [.eTag: resource.etag])
                }
                return resourceResponse(resource, resource.projected(shape), status: .ok, context)
            }
            on(scim, prefix: prefix, .put, "\(path)/:id", action: "scim.write", resource: .tenant) { request, context in
                let id = try context.parameter("id")
                let input = try await body(request, context)
                let shape = try projection(request, kind, configuration(context))
                let ifMatch = request.headers[.ifMatch]
                let result = try await write(context) { repo in
                    let r = try await repo.replace(kind, id: id, with: input, ifMatch: ifMatch, projection: shape)
                    return (r, r.changes)
                }
                return resourceResponse(result.resource, result.resource.projected(shape), status: .ok, context)
            }
            on(scim, prefix: prefix, .patch, "\(path)/:id", action: "scim.write", resource: .tenant) { request, context in
                let id = try context.parameter("id")
                let input = try await body(request, context)
                let shape = try projection(request, kind, configuration(context))
                let ifMatch = request.headers[.ifMatch]
                let result = try await write(context) { repo in
                    let r = try await repo.patch(kind, id: id, with: input, ifMatch: ifMatch, projection: shape)
                    return (r, r.changes)
                }
                // RFC 7644 §3.5.2: 200 with the resource (we always return it).
                return resourceResponse(result.resource, result.resource.projected(shape), status: .ok, context)
            }
            on(scim, prefix: prefix, .delete, "\(path)/:id", action: "scim.write", resource: .tenant) { request, context in
                let id = try context.parameter("id")
                let ifMatch = request.headers[.ifMatch]
                try await write(context) { repo in ((), try await repo.delete(kind, id: id, ifMatch: ifMatch)) }
                context.audit?.update { $0.resource = "\(kind == .users ? "User" : "Group")::\"\(id)\"" }
                return Response(status: .noContent)
            }
        }

        // Search across resource types (RFC 7644 §3.4.3): Users, then Groups, one page over both.
        // A filter that names an attribute one type lacks matches nothing of that type.
        on(scim, prefix: prefix, .post, ".search", action: "scim.read", resource: .tenant) { request, context in
            let tenant = try context.requireTenant()
            let config = configuration(context)
            let search = try SCIMListQuery(searchRequest: try await body(request, context))
            let result: JSONValue = try await store.read { db in
                let repo = SCIMRepository(db, tenant: tenant, configuration: config, clock: store.clock)
                var totals: [Int] = []
                var failures: [SCIMError] = []
                let kinds: [SCIMResourceKind] = [.users, .groups]
                for kind in kinds {
                    var countOnly = search
                    countOnly.count = 0
                    countOnly.startIndex = 1
                    do {
                        totals.append(try await repo.list(kind, countOnly).totalResults)
                    } catch let error as SCIMError where error.isInvalidFilter {
                        totals.append(0)
                        failures.append(error)
                    }
                }
                if failures.count == kinds.count, let first = failures.first { throw first }
                let start = max(1, search.startIndex ?? 1)
                var remaining = min(search.count ?? config.defaultPageSize, config.maxResults)
                var offset = start - 1
                var resources: [JSONValue] = []
                for (kind, total) in zip(kinds, totals) {
                    if offset >= total { offset -= total; continue }
                    if remaining <= 0 { break }
                    var page = search
                    page.startIndex = offset + 1
                    page.count = remaining
                    let list = try await repo.list(kind, page)
                    resources += list.resources
                    remaining -= list.resources.count
                    offset = 0
                }
                return [
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": .int(Int64(totals.reduce(0, +))),
                    "startIndex": .int(Int64(start)), "itemsPerPage": .int(Int64(resources.count)), "Resources": .array(resources),
                ]
            }
            return Response.json(result)
        }

        // Paths under the SCIM base that name nothing get SCIM's 404, not the API's.
        for method in [HTTPRequest.Method.get, .post, .put, .patch, .delete] {
            scim.on("**", method: method) { _, _ -> Response in throw SCIMError.notFound("no such SCIM endpoint") }
        }

        // Discovery: read-only; any other method is 405.
        let discovery: [(String, @Sendable (SCIMDiscovery, String, String?) -> JSONValue?)] = [
            ("ServiceProviderConfig", { d, base, _ in d.serviceProviderConfig(baseURL: base) }),
            ("ResourceTypes", { d, base, id in id.map { d.resourceType(id: $0, baseURL: base) } ?? d.resourceTypes(baseURL: base) }),
            ("Schemas", { d, base, id in id.map { d.schema(id: $0, baseURL: base) } ?? d.schemas(baseURL: base) }),
        ]
        for (name, render) in discovery {
            for path in [name, "\(name)/:id"] where !(name == "ServiceProviderConfig" && path.hasSuffix(":id")) {
                on(scim, prefix: prefix, .get, path, action: "scim.read", resource: .tenant) { _, context in
                    let config = configuration(context)
                    guard let document = render(SCIMDiscovery(configuration: config), config.baseLocation, context.parameters.get("id")) else {
                        throw SCIMError.notFound("\(name) \"\(context.parameters.get("id") ?? "")\" not found")
                    }
                    return Response.json(document)
                }
                // Discovery is read-only (RFC 7644 §4): every other method is 405, in SCIM's format.
                for method in [HTTPRequest.Method.post, .put, .patch, .delete] {
                    scim.on(RouterPath(path), method: method) { _, _ -> Response in
                        throw Problem(.methodNotAllowed, kind: "method-not-allowed", title: "Method not allowed",
                                      detail: "\(name) is read-only", headers: [.allow: "GET"])
                    }
                }
            }
        }
    }
}

/// Query parameters as HTML forms encode them: `+` is a space, then percent-escapes are
/// decoded. SCIM clients send filters either way (`userName%20eq%20...` or `userName+eq+...`).
enum FormQuery {
    static func parameters(_ query: String?) -> [(name: String, value: String)] {
        guard let raw = query, !raw.isEmpty else { return [] }
        return raw.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) -> String in
                let spaced = s.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    static func first(_ query: String?, _ name: String) -> String? {
        parameters(query).first { $0.name == name }?.value
    }
}
