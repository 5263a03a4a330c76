//! Installed as `<prefix>/bin/vaccel-rpc-agent` with `libvaccel.so.0` in `<prefix>/lib`: let the
//! binary find it there (the workspace already adds `$ORIGIN` for libraries next to the binary).

fn main() {
    println!("cargo:rustc-link-arg-bins=-Wl,-rpath,$ORIGIN/../lib");
}
