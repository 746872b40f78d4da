//! Dev aid: records one trace with the refimpl's timeline printed (`RUN`, `SEED`, `INDEX`).
fn main() {
    let run = std::env::var("RUN").unwrap_or_else(|_| "null-migration".into());
    let seed: u64 = std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let index: u64 = std::env::var("INDEX")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let spec = osfmig_model::presets::find_run(&run).expect("run");
    std::env::set_var("OSFMIG_TIMELINE", "1");
    match osfmig_traces::record::record_one("ci", &spec, seed, index, &Default::default()) {
        Ok(t) => print!("{t}"),
        Err(e) => eprintln!("{e}"),
    }
}
