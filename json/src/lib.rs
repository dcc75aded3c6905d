//! kirim's JSON text layer: the parser into a tree ([`parse`]) and the writer's primitives
//! ([`write`]). The core re-exports both as `kirim::read` and `kirim::write` and builds its typed
//! reading and each type's writer on them; use those paths, not this crate.
//!
//! A crate of its own so that the `.wasm` can build it for speed while the core stays at
//! opt-level "z" (`[profile.wasm.package.kirim-json]` in the workspace's Cargo.toml): every
//! byte of input and output passes through these few functions, and at "z" the small std
//! helpers they call (`String::push`, `Vec::extend_from_slice`...) stay calls.

#![forbid(unsafe_code)]

pub mod parse;
pub mod write;
