//! The classify example in Rust: `cargo run -p vaccel --example classify -- <image> [iterations]`
//! with `VACCEL_PLUGINS` set and libvaccel.so on the library path. Prints what the C example
//! prints.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let Some(image) = args.next() else {
        eprintln!("Usage: classify <image_file> [iterations]");
        std::process::exit(22);
    };
    let iterations: usize = args.next().map_or(Ok(1), |s| s.parse())?;
    let image = std::fs::read(image)?;
    let vaccel = vaccel::Vaccel::open()?;
    let mut session = vaccel.session(0)?;
    println!("Initialized session with id: {}", session.id());
    let mut result = (String::new(), String::new());
    for _ in 0..iterations {
        result = session.classify(&image)?;
    }
    println!("classification tags: {}", result.0);
    println!("classification imagename: {}", result.1);
    Ok(())
}
