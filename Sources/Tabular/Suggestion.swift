/// "Did you mean …?" for mistyped names: the closest candidate by edit distance.
public enum Suggestion {
    /// The candidate nearest to `word` (case-insensitive edit distance with transpositions), when the distance is
    /// at most a third of the word's length (at least 1, at most 3); nil otherwise.
    public static func nearest(_ word: String, in candidates: [String]) -> String? {
        let w = Array(word.lowercased())
        let limit = min(3, max(1, w.count / 3))
        var best: (String, Int)?
        for c in candidates {
            let d = distance(w, Array(c.lowercased()))
            if d <= limit && (best == nil || d < best!.1) { best = (c, d) }
        }
        return best?.0
    }

    /// Edit distance with adjacent transpositions (optimal string alignment: `lable` → `label` is 1).
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
