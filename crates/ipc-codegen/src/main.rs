//! `ipc-codegen SCHEMA_DIR OUT_DIR`: compiles every `.capnp` file under
//! `SCHEMA_DIR` with the `capnp` compiler and writes capnpc's Rust modules to
//! `OUT_DIR`. `contrib/regen-ipc.sh` runs it; the output is committed so that
//! building the project never needs the compiler.

use std::path::{Path, PathBuf};

fn schema_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            schema_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "capnp") {
            out.push(path);
        }
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: ipc-codegen SCHEMA_DIR OUT_DIR");
        std::process::exit(2);
    }
    let (schema_dir, out_dir) = (PathBuf::from(&args[1]), PathBuf::from(&args[2]));
    let mut files = Vec::new();
    if let Err(e) = schema_files(&schema_dir, &mut files) {
        eprintln!("Error: reading {}: {e}", schema_dir.display());
        std::process::exit(1);
    }
    // Sorted so that the output does not depend on directory order.
    files.sort();
    let mut cmd = capnpc::CompilerCommand::new();
    cmd.src_prefix(&schema_dir)
        .import_path(&schema_dir)
        .output_path(&out_dir)
        .default_parent_module(vec!["generated".into()]);
    for f in &files {
        cmd.file(f);
    }
    if let Err(e) = cmd.run() {
        eprintln!("Error: capnp compile failed: {e}");
        std::process::exit(1);
    }
}
