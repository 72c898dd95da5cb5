//! An intrusive pairing heap: the callback's queue of actions waiting for their start, ordered by
//! start frame, then by arrival. Intrusive (the links live in the nodes, which live in the
//! actions) so that nothing allocates on the audio thread; a pairing heap so that insertion is
//! O(1) and taking the earliest, or removing any node (a cancelled action), is O(log n)
//! amortised. So a block costs the same with a thousand or a hundred thousand actions waiting.
const std = @import("std");

pub const Node = struct {
    /// The start frame, then the order of arrival for equal starts.
    key: f64 = 0,
    seq: u64 = 0,
    child: ?*Node = null,
    sibling: ?*Node = null,
    /// The parent if this is its leftmost child, else the previous sibling; null for the root.
    prev: ?*Node = null,
    in_heap: bool = false,

    fn before(a: *const Node, b: *const Node) bool {
        return a.key < b.key or (a.key == b.key and a.seq < b.seq);
    }
};

pub const Heap = struct {
    root: ?*Node = null,
    len: usize = 0,

    pub fn min(h: *const Heap) ?*Node {
        return h.root;
    }

    pub fn insert(h: *Heap, n: *Node) void {
        std.debug.assert(!n.in_heap);
        n.child = null;
        n.sibling = null;
        n.prev = null;
        n.in_heap = true;
        h.root = if (h.root) |r| meld(r, n) else n;
        h.len += 1;
    }

    /// Removes and returns the earliest node.
    pub fn pop(h: *Heap) ?*Node {
        const r = h.root orelse return null;
        h.root = mergePairs(r.child);
        if (h.root) |nr| nr.prev = null;
        detached(r);
        h.len -= 1;
        return r;
    }

    /// Removes `n`, which must be in this heap.
    pub fn remove(h: *Heap, n: *Node) void {
        std.debug.assert(n.in_heap);
        if (n == h.root) {
            _ = h.pop();
            return;
        }
        const prev = n.prev.?;
        if (prev.child == n) prev.child = n.sibling else prev.sibling = n.sibling;
        if (n.sibling) |s| s.prev = prev;
        if (mergePairs(n.child)) |sub| {
            sub.prev = null;
            h.root = meld(h.root.?, sub);
        }
        detached(n);
        h.len -= 1;
    }

    fn detached(n: *Node) void {
        n.child = null;
        n.sibling = null;
        n.prev = null;
        n.in_heap = false;
    }

    /// Two roots (no siblings, no prev) into one.
    fn meld(a: *Node, b: *Node) *Node {
        const top, const below = if (b.before(a)) .{ b, a } else .{ a, b };
        below.prev = top;
        below.sibling = top.child;
        if (top.child) |c| c.prev = below;
        top.child = below;
        return top;
    }

    /// The standard two passes over a list of siblings: meld neighbours pairwise from the left,
    /// then meld the pairs from the right. Iterative: the list may be long.
    fn mergePairs(first: ?*Node) ?*Node {
        var pairs: ?*Node = null; // melded pairs, last first, linked through `sibling`
        var it = first;
        while (it) |a| {
            const b = a.sibling;
            it = if (b) |x| x.sibling else null;
            a.sibling = null;
            a.prev = null;
            var pair = a;
            if (b) |x| {
                x.sibling = null;
                x.prev = null;
                pair = meld(a, x);
            }
            pair.sibling = pairs;
            pairs = pair;
        }
        var result: ?*Node = null;
        while (pairs) |p| {
            pairs = p.sibling;
            p.sibling = null;
            result = if (result) |r| meld(r, p) else p;
        }
        return result;
    }
};

test "nodes come out by key, then by arrival, also after removals" {
    var prng = std.Random.DefaultPrng.init(42);
    const rand = prng.random();
    const n = 2000;
    var nodes: [n]Node = undefined;
    var h: Heap = .{};
    for (&nodes, 0..) |*node, i| {
        node.* = .{ .key = @floatFromInt(rand.uintLessThan(u32, 300)), .seq = i };
        h.insert(node);
    }
    // Remove a third, some of them roots.
    var removed: usize = 0;
    for (&nodes, 0..) |*node, i| {
        if (i % 3 == 0 or (h.root == node and i % 2 == 0)) {
            h.remove(node);
            removed += 1;
        }
    }
    try std.testing.expectEqual(n - removed, h.len);
    var last: ?*Node = null;
    var count: usize = 0;
    while (h.pop()) |node| : (count += 1) {
        if (last) |l| try std.testing.expect(l.before(node));
        try std.testing.expect(!node.in_heap);
        last = node;
    }
    try std.testing.expectEqual(n - removed, count);
    try std.testing.expectEqual(@as(usize, 0), h.len);
}

test "a node can be removed and inserted again" {
    var a: Node = .{ .key = 5, .seq = 0 };
    var b: Node = .{ .key = 3, .seq = 1 };
    var c: Node = .{ .key = 4, .seq = 2 };
    var h: Heap = .{};
    h.insert(&a);
    h.insert(&b);
    h.insert(&c);
    h.remove(&c);
    h.remove(&b);
    h.insert(&c);
    try std.testing.expectEqual(&c, h.pop().?);
    try std.testing.expectEqual(&a, h.pop().?);
    try std.testing.expect(h.pop() == null);
}
