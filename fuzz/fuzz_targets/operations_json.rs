//! The JSON operation interface, as every binding calls it: the first line is the operation
//! name (any, including unknown ones), the rest the input JSON text. It must answer a result
//! or an error with a stable code, and a result must be JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (operation, input) = text.split_once('\n').unwrap_or((text, ""));
    match kirim::operations::run_json(operation, input) {
        Ok(output) => {
            assert!(
                serde_json::from_str::<serde_json::Value>(&output).is_ok(),
                "{output}"
            );
        }
        Err(error) => {
            assert_eq!(
                kirim::ErrorCode::from_code(error.code.as_str()),
                Some(error.code)
            );
        }
    }
});
