import Foundation
import Hummingbird
import Prometheus

extension Gateway {
    /// `/healthz`, `/readyz`, `/metrics` and `/openapi.json`: unauthenticated and unaudited.
    func addOperationalRoutes(to router: Router<FlowgateRequestContext>, registry: PrometheusCollectorRegistry, openAPI: [UInt8]) {
        let store = self.store
        routes.add(method: "GET", path: "/healthz", action: nil)
        router.get("healthz") { _, _ in
            Response.json(["status": "ok"])
        }
        routes.add(method: "GET", path: "/readyz", action: nil)
        router.get("readyz") { _, context in
            do {
                try await store.database.ping()
                return Response.json(["status": "ready", "database": "ok"])
            } catch {
                context.logger.warning("readiness check failed", metadata: ["error": "\(error)"])
                return Response.json(["status": "not ready", "database": "unavailable"], status: .serviceUnavailable)
            }
        }
        routes.add(method: "GET", path: "/metrics", action: nil)
        router.get("metrics") { _, _ in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024)
            registry.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        routes.add(method: "GET", path: "/openapi.json", action: nil)
        router.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: openAPI)))
        }
    }
}
