//! Gives libvaccel.so upstream's SONAME and compiles the C shim for the variadic `slog_print`
//! (stable Rust cannot define C-variadic functions).

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libvaccel.so.0");
    println!("cargo:rerun-if-changed=csrc/slog.c");
    cc::Build::new()
        .file("csrc/slog.c")
        .warnings(true)
        .extra_warnings(true)
        .compile("vaccel_slog");
}
