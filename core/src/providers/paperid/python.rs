//! Python (feature `python`): Paper.id has no native class. Its Python class
//! (`kirim/paperid.py`) is generated from its table (`js.rs`) by
//! `core/tests/python_declarations.rs` and runs through the generic
//! `kirim._native.ConfiguredProvider`; what is left here is what the generator and the tests read of
//! its configuration.

/// Nothing of its own to add to the module (the generic `ConfiguredProvider` serves it).
pub(crate) fn register(_m: &pyo3::Bound<'_, pyo3::types::PyModule>) -> pyo3::PyResult<()> {
    Ok(())
}

/// The configuration's declared fields and its defaults as the core's `Debug` shows them.
pub(crate) fn core_config() -> (Vec<&'static str>, String) {
    (
        crate::python_shell::declared_fields::<super::PaperIdConfig>(),
        format!("{:?}", super::PaperIdConfig::default()),
    )
}
