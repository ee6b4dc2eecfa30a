import JSON
import Testing

@Suite struct BoundedCacheTests {
    @Test func holdsAtMostItsLimitAndEmptiesForANewKeyWhenFull() {
        let cache = BoundedCache<String, Int>(limit: 3)
        for (i, key) in ["a", "b", "c"].enumerated() { cache.set(i, for: key) }
        #expect(cache.count == 3 && cache["a"] == 0 && cache["c"] == 2)
        // Replacing a held key never empties it.
        cache.set(10, for: "b")
        #expect(cache.count == 3 && cache["b"] == 10 && cache["a"] == 0)
        // A new key when full starts over with just that key.
        cache.set(4, for: "d")
        #expect(cache.count == 1 && cache["d"] == 4 && cache["a"] == nil && cache["b"] == nil)
        cache.removeAll()
        #expect(cache.count == 0 && cache["d"] == nil)
    }

    @Test func concurrentUseStaysWithinTheLimit() async {
        let cache = BoundedCache<Int, Int>(limit: 100)
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for i in 0..<5_000 {
                        let key = (worker * 5_000 + i) % 1_000
                        cache.set(key, for: key)
                        if let seen = cache[key] { #expect(seen == key) }
                        #expect(cache.count <= 100)
                    }
                }
            }
        }
    }
}
