use osfmig_model::check::*;
use osfmig_model::presets::*;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let mut r = find_run(&a[1]).expect("run");
    let kv = |k: &str| {
        a.iter()
            .position(|x| x == k)
            .map(|i| a[i + 1].parse::<u8>().unwrap())
    };
    if let Some(v) = kv("n") {
        r.config.nodes_max = v;
    }
    if let Some(v) = kv("p") {
        r.config.processes_max = v;
        r.config.procs_per_node_max = r.config.procs_per_node_max.max(v);
    }
    if let Some(v) = kv("r") {
        r.config.requests_max = v;
    }
    if let Some(v) = kv("m") {
        r.config.migrations_max = v;
    }
    if let Some(v) = kv("c") {
        r.config.crashes_max = v;
    }
    if let Some(v) = kv("o") {
        r.config.outstanding_max = v;
    }
    if let Some(v) = kv("q") {
        r.config.queue_len_max = v;
    }
    let res = check_run(
        &r,
        &CheckOptions {
            state_limit: Some(50_000_000),
            liveness: false,
            ..Default::default()
        },
    );
    println!(
        "{:20} states {:>9} depth {:>3} {:>6.1}s {:>8.0}/s complete {}",
        res.name,
        res.unique_states,
        res.max_depth,
        res.seconds,
        res.unique_states as f64 / res.seconds,
        res.complete
    );
    for p in &res.properties {
        if !p.ok() {
            println!("   !! {} {:?}", p.name, p.verdict);
        }
    }
}
