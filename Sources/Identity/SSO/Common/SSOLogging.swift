import Logging

/// Logging helpers shared by both protocols.
public enum SSOLogging {
    /// A logger that drops everything: the default when the caller passes none.
    public static let silent = Logger(label: "flowgate.sso", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The namespaced metadata every SSO log line carries.
    static func metadata(tenant: String, connection: String) -> Logger.Metadata {
        ["fg.tenant": .string(tenant), "fg.sso.connection": .string(connection)]
    }
}
