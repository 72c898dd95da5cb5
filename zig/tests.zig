//! The root of the Zig unit tests: the product library's tests and the test-support library's.
test {
    _ = @import("root.zig");
    _ = @import("support.zig");
}
