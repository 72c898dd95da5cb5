//! librtmixer-pystub: the Python symbols python-rtmixer's `_rtmixer.abi3.so` leaves undefined, so
//! that bench/callback.ts can load that library (the peer it is measured against) without a
//! Python interpreter in the process. A benchmark tool, never part of the product.
//!
//! Why a stub: the .so is a CPython extension (cffi) and expects the interpreter to have defined
//! its Py* symbols. Functions alone would not matter (bound lazily, never called), but
//! `_Py_NoneStruct` is data: its relocation is resolved when the library is loaded, so a plain
//! dlopen fails with "undefined symbol: _Py_NoneStruct". Alternatives were worse: LD_PRELOAD of
//! libpython needs the libpython3.x shared library (Debian's python3 has it statically linked
//! into the executable; libpython3.x is a separate package) and would have to be set before the
//! runtime starts; loading libpython itself would bring an interpreter into the benchmark. So
//! zig/benchsupport.zig opens this library with RTLD_GLOBAL first, then the peer with
//! RTLD_LOCAL: the peer's Py* references bind here.
//!
//! Only the peer's `callback` and its PaUtil_*RingBuffer* functions are ever called; they use
//! none of these. Each function stub aborts the process if it is called after all (it would mean
//! something ran the extension's Python glue), and `_Py_NoneStruct` is a zeroed PyObject.
const std = @import("std");

/// Every function of the CPython API `_rtmixer.abi3.so` 0.1.7 imports (`nm -D --undefined-only`).
const functions = [_][]const u8{
    "PyArg_UnpackTuple",    "PyErr_Occurred",    "PyEval_RestoreThread", "PyEval_SaveThread",
    "PyImport_ImportModule", "PyLong_FromLong",   "PyLong_FromVoidPtr",   "PyObject_CallMethod",
    "PyObject_Free",        "PyObject_Malloc",   "_Py_Dealloc",
};

fn calledFromPeer() callconv(.c) noreturn {
    const message = "librtmixer-pystub: a Python function was called in python-rtmixer's library; only its callback and ring buffer functions may be\n";
    _ = std.c.write(2, message, message.len);
    std.c.abort();
}

/// PyObject { ob_refcnt, ob_type }: `Py_None`, which the extension's glue only takes the address of.
export var _Py_NoneStruct: [2]usize = .{ 0, 0 };

comptime {
    for (functions) |name| @export(&calledFromPeer, .{ .name = name });
}
