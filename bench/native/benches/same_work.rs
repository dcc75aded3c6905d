//! The same work as the npm package's module run (`Provider.run` / `run_with_body` in Node),
//! natively: `Configured::run_json` (or `run_json_with_body`) on the exact operation, input and
//! body bytes the typed API passes the module (`bench/same_work/inputs.json`, captured from
//! the package). `bench/same_work/node.mjs` times the module on the same file the same way
//! (best of 5 batches of about 0.3 s), so the ratio is WASM against native for one piece of
//! work, without the JavaScript around it. Prints one JSON object: ns per call by operation.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kirim::providers::Configured;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

#[derive(Deserialize)]
struct Op {
    name: String,
    provider: String,
    operation: String,
    input: String,
    body: Option<String>,
}

#[derive(Deserialize)]
struct Inputs {
    configs: BTreeMap<String, String>,
    ops: Vec<Op>,
}

/// Calls per batch so that a batch takes about `target_s`.
fn batch_size(f: &mut dyn FnMut(), target_s: f64) -> u64 {
    let mut n = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..n {
            f();
        }
        if start.elapsed().as_secs_f64() > target_s * 0.2 || n > 1 << 22 {
            return n;
        }
        n *= 2;
    }
}

fn main() {
    let short = std::env::args().any(|a| a == "--short");
    let target_s = if short { 0.02 } else { 0.3 };
    let inputs: Inputs = serde_json::from_str(include_str!("../../same_work/inputs.json")).unwrap();
    let mut rows = Vec::new();
    for op in &inputs.ops {
        let provider = Configured::new(&op.provider, &inputs.configs[&op.provider]).unwrap();
        let mut call = || {
            let out = match &op.body {
                Some(body) => provider.run_json_with_body(
                    black_box(&op.operation),
                    black_box(&op.input),
                    black_box(body.as_bytes()),
                ),
                None => provider.run_json(black_box(&op.operation), black_box(&op.input)),
            };
            black_box(out.unwrap());
        };
        let n = batch_size(&mut call, target_s);
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let start = Instant::now();
            for _ in 0..n {
                call();
            }
            best = best.min(start.elapsed().as_nanos() as f64 / n as f64);
        }
        rows.push(format!("{:?}:{best:.1}", op.name));
    }
    println!("{{{}}}", rows.join(","));
}
