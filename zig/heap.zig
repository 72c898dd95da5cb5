//! An intrusive binary min-heap: the callback's queue of actions waiting for their start, ordered
//! by start frame, then by arrival. Intrusive (the links live in the nodes, which live in the
//! actions) so that nothing allocates on the audio thread; a binary heap linked through pointers
//! (the layout of libuv's timer heap) so that insertion, taking the earliest and removing any node
//! (a cancelled action) each cost O(log n) in the worst case, never more: no block pays for a
//! backlog. (A pairing heap, amortised O(log n), was measured taking a whole 256-frame block for
//! the first start after 100,000 actions were handed over: its first pop visits every one.)
//!
//! The tree is complete: node i (1-based, breadth first) has children 2i and 2i + 1, so the path
//! from the root to position i is the binary digits of i after the leading one.
const std = @import("std");

/// Where a node hangs in the tree.
const Links = struct {
    left: ?*Node = null,
    right: ?*Node = null,
    parent: ?*Node = null,
};

pub const Node = struct {
    /// The start frame, then the order of arrival for equal starts.
    key: f64 = 0,
    seq: u64 = 0,
    links: Links = .{},
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
        n.links = .{};
        n.in_heap = true;
        h.len += 1;
        // Walk to the parent of position len, then hang `n` there.
        const slot = h.slotOf(h.len);
        n.links.parent = slot.parent;
        slot.link.* = n;
        while (n.links.parent) |p| {
            if (!n.before(p)) break;
            h.swapWithParent(n);
        }
    }

    /// Removes and returns the earliest node.
    pub fn pop(h: *Heap) ?*Node {
        const r = h.root orelse return null;
        h.remove(r);
        return r;
    }

    /// Removes `n`, which must be in this heap: the last node takes its place and moves down
    /// (or up) to where the order wants it.
    pub fn remove(h: *Heap, n: *Node) void {
        std.debug.assert(n.in_heap);
        const slot = h.slotOf(h.len);
        const last = slot.link.*.?;
        slot.link.* = null;
        h.len -= 1;
        defer detached(n);
        if (last == n) return; // it was the last: unhooked already
        // `last` takes `n`'s place.
        last.links = n.links;
        if (last.links.left) |c| c.links.parent = last;
        if (last.links.right) |c| c.links.parent = last;
        h.linkOf(n).* = last;
        // Down while a child comes first, then up while it comes before its parent (the last
        // node is not necessarily later than everything under `n`'s old parent).
        while (true) {
            var first = last;
            if (last.links.left) |c| if (c.before(first)) {
                first = c;
            };
            if (last.links.right) |c| if (c.before(first)) {
                first = c;
            };
            if (first == last) break;
            h.swapWithParent(first);
        }
        while (last.links.parent) |p| {
            if (!last.before(p)) break;
            h.swapWithParent(last);
        }
    }

    /// The link that holds position `i` (1-based), and the node it hangs from. Position i's
    /// parent exists for 2 <= i <= len + 1.
    fn slotOf(h: *Heap, i: usize) struct { link: *?*Node, parent: ?*Node } {
        std.debug.assert(i >= 1);
        var link: *?*Node = &h.root;
        var parent: ?*Node = null;
        var bit: u6 = @intCast(std.math.log2_int(usize, i));
        while (bit > 0) {
            bit -= 1;
            const node = link.*.?;
            parent = node;
            link = if ((i >> bit) & 1 == 1) &node.links.right else &node.links.left;
        }
        return .{ .link = link, .parent = parent };
    }

    /// The link that points at `n`: its parent's left or right, or the root.
    fn linkOf(h: *Heap, n: *Node) *?*Node {
        const p = n.links.parent orelse return &h.root;
        return if (p.links.left == n) &p.links.left else &p.links.right;
    }

    /// Exchanges `c` with its parent: their links, and the pointers of everything around them.
    fn swapWithParent(h: *Heap, c: *Node) void {
        const p = c.links.parent.?;
        const above = h.linkOf(p);
        const was_left = p.links.left == c;
        const child_links = c.links;
        c.links = p.links;
        p.links = child_links;
        // `c` takes `p`'s place (its parent is p's old one, copied above), with `p` where `c`
        // was among its children.
        p.links.parent = c;
        if (was_left) c.links.left = p else c.links.right = p;
        const sibling = if (was_left) c.links.right else c.links.left;
        if (sibling) |s| s.links.parent = c;
        if (p.links.left) |x| x.links.parent = p;
        if (p.links.right) |x| x.links.parent = p;
        above.* = c;
    }

    fn detached(n: *Node) void {
        n.links = .{};
        n.in_heap = false;
    }

    /// Checks the heap's shape and order (tests).
    fn check(h: *const Heap) !void {
        var count: usize = 0;
        try checkBelow(h.root, null, &count);
        try std.testing.expectEqual(h.len, count);
    }

    fn checkBelow(n: ?*Node, parent: ?*Node, count: *usize) !void {
        const node = n orelse return;
        count.* += 1;
        try std.testing.expectEqual(parent, node.links.parent);
        if (parent) |p| try std.testing.expect(!node.before(p));
        try checkBelow(node.links.left, node, count);
        try checkBelow(node.links.right, node, count);
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

test "shape and order hold through random inserts and removals; depth stays log2(n)" {
    var prng = std.Random.DefaultPrng.init(7);
    const rand = prng.random();
    const n = 3000;
    var nodes: [n]Node = undefined;
    for (&nodes, 0..) |*node, i| node.* = .{ .key = @floatFromInt(rand.uintLessThan(u32, 50)), .seq = i };
    var h: Heap = .{};
    for (0..20_000) |step| {
        const node = &nodes[rand.uintLessThan(usize, n)];
        if (node.in_heap) h.remove(node) else h.insert(node);
        if (step % 97 == 0) try h.check();
    }
    try h.check();
    // Complete: the last position's path is as long as the tree is deep.
    var depth: usize = 0;
    var it = h.root;
    while (it) |node| : (depth += 1) it = node.links.left;
    try std.testing.expectEqual(std.math.log2_int(usize, h.len) + 1, depth);
}

test "100,000 inserted in start order (the worst case of a pairing heap) come out in order" {
    const n = 100_000;
    const nodes = try std.testing.allocator.alloc(Node, n);
    defer std.testing.allocator.free(nodes);
    var h: Heap = .{};
    for (nodes, 0..) |*node, i| {
        node.* = .{ .key = @floatFromInt(i), .seq = i };
        h.insert(node);
    }
    try h.check();
    for (0..n) |i| try std.testing.expectEqual(&nodes[i], h.pop().?);
    try std.testing.expect(h.pop() == null);
}
