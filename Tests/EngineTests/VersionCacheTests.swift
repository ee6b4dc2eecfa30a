import Engine
import Store
import Testing

@Suite struct VersionCacheTests {
    @Test func boundedByTheSizeOfTheStoredText() {
        let cache = VersionCache<String>(capacity: 160)
        let key = { (n: Int64) in cache.key(TenantID("t"), "w", n) }
        #expect(key(1) != cache.key(TenantID("u"), "w", 1))
        cache.put(key(1), "too big", size: 11)
        #expect(cache.get(key(1)) == nil, "an entry may take at most a sixteenth")
        for n: Int64 in 1...16 { cache.put(key(n), "v\(n)", size: 10) }
        #expect(cache.get(key(1)) == "v1")
        #expect(cache.get(key(16)) == "v16")
        cache.put(key(17), "v17", size: 10)
        #expect(cache.get(key(1)) == nil, "full: emptied before the new entry")
        #expect(cache.get(key(17)) == "v17")
    }
}
