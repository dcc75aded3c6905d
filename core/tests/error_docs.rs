//! `docs/errors.md` lists every error code with its meaning and fix. It is generated from the
//! code table in `core/src/error.rs`; this test fails when the two disagree. Regenerate with
//! `KIRIM_BLESS=1 cargo test -p kirim --test error_docs`.

// A test harness: failing loudly on a broken fixture is the point.
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used
)]

use kirim::ErrorCode;
use std::path::Path;

fn render() -> String {
    let mut out = String::from(
        "# Error codes\n\n\
         Every error kirim returns, in every language, carries one of these stable codes (`code`),\n\
         the offending field where there is one (`field`), and a message saying how to fix it.\n\
         Validation errors (`validation_failed`) list every violated field in `violations`, each\n\
         with its own code from this table. Errors that come from a provider response also carry\n\
         `provider_code`, `provider_message`, `provider_details`, `provider_trace_id` and\n\
         `http_status`.\n\n\
         This file is generated from `core/src/error.rs` (`core/tests/error_docs.rs` checks it).\n\n\
         | code | meaning | how to fix or handle it |\n|---|---|---|\n",
    );
    for code in ErrorCode::ALL {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            code.as_str(),
            code.meaning().replace('|', "\\|"),
            code.fix().replace('|', "\\|")
        ));
    }
    out
}

#[test]
fn error_document_lists_every_code() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/errors.md");
    let rendered = render();
    if std::env::var_os("KIRIM_BLESS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == rendered,
        "docs/errors.md is out of date; run KIRIM_BLESS=1 cargo test -p kirim --test error_docs"
    );
    for code in ErrorCode::ALL {
        assert!(on_disk.contains(&format!("| `{}` |", code.as_str())));
    }
}
