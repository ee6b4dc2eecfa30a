import Hummingbird

/// `?limit=` (1-1000, default 100) and `?after=<cursor>` of list endpoints.
struct Paging {
    var limit: Int
    var after: String?

    init(_ request: Request) throws {
        let query = request.uri.queryParameters
        if let text = query["limit"] {
            guard let value = Int(String(text)), (1...1000).contains(value) else {
                throw Problem.badRequest("limit must be an integer from 1 to 1000")
            }
            limit = value
        } else {
            limit = 100
        }
        after = query["after"].map(String.init)
        if let after, after.utf8.count > 256 { throw Problem.badRequest("after is too long") }
    }
}
