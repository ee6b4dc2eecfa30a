import Foundation

/// The OpenAPI 3.1 document in `Resources/openapi.json`, kept in the repository and checked by
/// a test against the routes actually registered.
public enum OpenAPIDocument {
    /// The document's bytes (empty if the resource is missing, which the test catches).
    public static let bytes: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
              let data = try? Data(contentsOf: url)
        else { return [] }
        return Array(data)
    }()
}
