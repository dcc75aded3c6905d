//! Runs every shared vector in `tests/vectors/` (and in each directory of the colon-separated
//! `KIRIM_VECTORS_DIR`) through the JSON operation interface, and prints `N passed, N failed`.
//! The matching rules are documented in `tests/vectors/README.md`; every language's runner
//! implements the same rules.

// A test harness: failing loudly on a broken fixture is the point.
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used
)]

use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

fn vector_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        panic!("cannot read vector directory {}", dir.display());
    };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            vector_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json")
            && path.file_name().is_some_and(|n| n != "schema.json")
        {
            out.push(path);
        }
    }
}

/// `expected` matches `actual` when every key of an expected object is present in actual and
/// matches (extra actual keys are allowed), arrays have equal length and match element-wise,
/// and scalars are equal.
fn matches(expected: &Value, actual: &Value, path: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, ev) in e {
                let av = a.get(key).unwrap_or(&Value::Null);
                matches(ev, av, &format!("{path}.{key}"))?;
            }
            Ok(())
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!(
                    "{path}: expected {} items, got {}: {}",
                    e.len(),
                    a.len(),
                    actual
                ));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                matches(ev, av, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (e, a) if e == a => Ok(()),
        (e, a) => Err(format!("{path}: expected {e}, got {a}")),
    }
}

fn check_error(expected: &Value, error: &kirim::Error) -> Result<(), String> {
    let actual = serde_json::to_value(error).map_err(|e| e.to_string())?;
    let mut expected = expected.clone();
    // `violations` is given as the list of violated field names.
    if let Some(Value::Array(fields)) = expected
        .as_object_mut()
        .and_then(|o| o.remove("violations"))
    {
        let mut want: Vec<String> = fields
            .iter()
            .filter_map(|f| f.as_str().map(str::to_owned))
            .collect();
        let mut got: Vec<String> = error.violations.iter().map(|v| v.field.clone()).collect();
        want.sort();
        got.sort();
        got.dedup();
        want.dedup();
        if want != got {
            return Err(format!("violations: expected {want:?}, got {got:?}"));
        }
    }
    matches(&expected, &actual, "error")
}

/// A provider operation gives the same result or error through `providers::Configured` (the
/// configuration read once, as the wasm binding keeps it) as through `operations::run`.
fn configured_agrees(
    operation: &str,
    mut input: Map<String, Value>,
    result: &Result<Value, kirim::Error>,
) -> Result<(), String> {
    let Some((provider, name)) = operation.split_once('.') else {
        return Ok(());
    };
    if kirim::providers::operation_names(provider).is_none() {
        return Ok(());
    }
    let config = match input.remove("config") {
        None | Some(Value::Null) => "{}".to_owned(),
        Some(config) => config.to_string(),
    };
    let via_configured = kirim::providers::Configured::new(provider, &config)
        .and_then(|configured| configured.run_json(name, &Value::Object(input).to_string()))
        .map(|text| serde_json::from_str::<Value>(&text).expect("run_json returns JSON"));
    let render = |r: &Result<Value, kirim::Error>| match r {
        Ok(value) => value.to_string(),
        Err(error) => format!("error {}", serde_json::to_string(error).unwrap_or_default()),
    };
    if render(&via_configured) == render(result) {
        Ok(())
    } else {
        Err(format!(
            "Configured disagrees with run: {} vs {}",
            render(&via_configured),
            render(result)
        ))
    }
}

fn run_file(path: &Path) -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let operation = file["operation"]
        .as_str()
        .unwrap_or_else(|| panic!("{}: no operation", path.display()));
    let defaults = file
        .get("defaults")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let vectors = file["vectors"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no vectors", path.display()));
    let mut failures = Vec::new();
    for vector in vectors {
        let name = vector["name"].as_str().unwrap_or("?");
        let mut input: Map<String, Value> = defaults.clone();
        if let Some(own) = vector.get("input").and_then(Value::as_object) {
            input.extend(own.clone());
        }
        let result = kirim::operations::run(operation, Value::Object(input.clone()));
        let agreement = configured_agrees(operation, input, &result);
        let verdict =
            agreement.and_then(
                |()| match (vector.get("expected"), vector.get("error"), &result) {
                    (Some(expected), None, Ok(actual)) => matches(expected, actual, "output"),
                    (None, Some(expected), Err(error)) => check_error(expected, error),
                    (Some(_), None, Err(error)) => Err(format!(
                        "expected success, got error {}",
                        serde_json::to_string(error).unwrap_or_default()
                    )),
                    (None, Some(_), Ok(actual)) => Err(format!("expected an error, got {actual}")),
                    _ => Err("a vector needs exactly one of `expected` and `error`".to_owned()),
                },
            );
        if let Err(why) = verdict {
            failures.push(format!("{} :: {name}: {why}", path.display()));
        }
    }
    (vectors.len(), failures)
}

#[test]
fn shared_vectors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut dirs = vec![root];
    if let Ok(extra) = std::env::var("KIRIM_VECTORS_DIR") {
        dirs.extend(
            extra
                .split(':')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
        );
    }
    let mut files = Vec::new();
    for dir in &dirs {
        vector_files(dir, &mut files);
    }
    assert!(!files.is_empty(), "no vector files found");
    let (mut total, mut failures) = (0, Vec::new());
    for file in &files {
        let (count, mut failed) = run_file(file);
        total += count;
        failures.append(&mut failed);
    }
    for failure in &failures {
        eprintln!("FAIL {failure}");
    }
    println!(
        "vectors: {} passed, {} failed",
        total - failures.len(),
        failures.len()
    );
    if let Ok(path) = std::env::var("KIRIM_VECTORS_COUNT_FILE") {
        std::fs::write(path, format!("{total}\n")).expect("write count file");
    }
    assert!(
        failures.is_empty(),
        "{} of {total} vectors failed",
        failures.len()
    );
}
