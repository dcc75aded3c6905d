//! Placeholder: the binding is filled in by its own issue. It re-exports the core so the
//! workspace builds and the crate exists where the design puts it.
pub use kirim;
