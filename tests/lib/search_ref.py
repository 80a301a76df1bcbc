"""A plain Python statement of destination search's matching rules (docs/destinations.md,
"Search"), for brute-force checks against the daemon's index: which destinations a query
matches, not their order."""
import re
import unicodedata

SPECIAL = {"đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th", "ĳ": "ij", "ø": "o", "ł": "l", "ħ": "h", "ŧ": "t",
           "ı": "i", "ð": "d", "ŀ": "l", "ĸ": "k", "ŉ": "n", "ŋ": "n", "ſ": "s"}


def words(text):
    """The folded words of text: no accents, lower case, split at anything not a letter or digit."""
    if not text:
        return []
    s = "".join(SPECIAL.get(c, c) for c in text.lower())
    s = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
    return [w[:48] for w in re.findall(r"[^\W_]+", s)]


def tokens(text):
    """words(text) and each neighbouring pair of a-z words joined ("hà nội" -> ha, noi, hanoi)."""
    ws, out = words(text), []
    for i, w in enumerate(ws):
        out.append(w)
        if i and is_alpha(w) and is_alpha(ws[i - 1]) and len(ws[i - 1]) + len(w) <= 48:
            out.append(ws[i - 1] + w)
    return out


def is_alpha(w):
    return bool(re.fullmatch(r"[a-z]+", w))


def edits(a, b):
    """Optimal string alignment distance (insert, delete, substitute, swap neighbours)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def allowed(w, relaxed):
    if not is_alpha(w):
        return 0
    n = len(w)
    return 2 if n >= 9 else 1 if n >= 5 else 1 if relaxed and n == 4 else 0


def word_matches(q, last, relaxed, t):
    if t == q or (last and t.startswith(q)):
        return True
    k = allowed(q, relaxed)
    return k > 0 and is_alpha(t) and edits(q, t) <= k


def matches(query, rows, relaxed=False):
    """The ids of rows ({"id", "name", "address"}) matching query."""
    qs = words(query)[:12]
    if not qs:
        return set()
    out = set()
    for r in rows:
        toks = set(tokens(r["name"])) | set(tokens(r.get("address")))
        if all(any(word_matches(q, i == len(qs) - 1, relaxed, t) for t in toks) for i, q in enumerate(qs)):
            out.add(r["id"])
    if not out and not relaxed and any(len(q) == 4 and is_alpha(q) for q in qs):
        return matches(query, rows, relaxed=True)
    return out
