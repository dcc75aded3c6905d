//! Nothing here: the package exists for `benches/hot_paths.rs` (see Cargo.toml).
