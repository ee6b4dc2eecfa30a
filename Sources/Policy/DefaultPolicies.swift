/// Flowgate's built-in roles, schema and default policies (from `policies/`).
public enum DefaultPolicies {
    /// Tenant roles from most to least powerful; a role's index is its rank (owner is 0).
    public static let roles: [String] = ["owner", "admin", "editor", "operator", "viewer", "auditor"]

    /// The rank of a role (0 is highest); `nil` for an unknown role.
    public static func rank(of role: String) -> Int? { roles.firstIndex(of: role) }

    /// The whole default policy text, files in name order.
    public static var policyText: String {
        policyFiles.map { "// \($0.name)\n\($0.text)" }.joined(separator: "\n")
    }
}
