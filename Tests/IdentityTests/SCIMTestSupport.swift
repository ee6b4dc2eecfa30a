import FlowgateTesting
import Foundation
import JSON
import Logging
import Store
import Testing

@testable import Identity

/// Parses JSON text in a test; a typo in a fixture is a test failure, not a crash.
func json(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
    do {
        return try JSONValue.parse(text)
    } catch {
        Issue.record("fixture is not JSON: \(error)", sourceLocation: sourceLocation)
        throw error
    }
}

/// Creates a tenant row (users and groups reference it).
func makeTenant(_ store: Store, _ slug: String) async throws -> TenantID {
    let id = TenantID(UUID().uuidString.lowercased())
    try await store.write { try await TenantRepository($0).create(Tenant(id: id, slug: slug, name: slug, createdAt: 0)) }
    return id
}

extension Store {
    /// A SCIM repository for `tenant` inside one write transaction.
    func scim<R: Sendable>(_ tenant: TenantID, configuration: SCIMConfiguration = .init(),
                           _ body: @Sendable (SCIMRepository) async throws -> R) async throws -> R {
        let clock = self.clock
        return try await write { try await body(SCIMRepository($0, tenant: tenant, configuration: configuration, clock: clock)) }
    }
}

/// Expects `body` to throw a ``SCIMError`` with this `scimType` (or status, for errors
/// without one).
func expectSCIMError(_ scimType: String?, status: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected SCIMError \(scimType ?? "") but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as SCIMError {
        #expect(error.scimType == scimType, "\(error)", sourceLocation: sourceLocation)
        if let status { #expect(error.status == status, "\(error)", sourceLocation: sourceLocation) }
    } catch {
        Issue.record("expected SCIMError \(scimType ?? ""), got \(error)", sourceLocation: sourceLocation)
    }
}

/// Synchronous twin of ``expectSCIMError(_:status:sourceLocation:_:)``; returns the error.
@discardableResult
func expectSCIMErrorSync(_ scimType: String?, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> SCIMError? {
    do {
        try body()
        Issue.record("expected SCIMError \(scimType ?? "") but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as SCIMError {
        #expect(error.scimType == scimType, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected SCIMError \(scimType ?? ""), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

let coreUser = SCIMSchema.userURN
let enterprise = SCIMSchema.enterpriseUserURN
let coreGroup = SCIMSchema.groupURN
