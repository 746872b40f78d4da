//! `osfmig`: the command line of the osfmig model checker (spec §8.4).

use std::process::ExitCode;

use osfmig_model::check::{check_run, CheckOptions};
use osfmig_model::presets::preset;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("check") {
        eprintln!("usage: osfmig check [--preset NAME]");
        return ExitCode::from(2);
    }
    let name = args.iter().position(|a| a == "--preset").and_then(|i| args.get(i + 1)).map_or("ci", |s| s.as_str());
    let runs = match preset(name) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("osfmig: {e}");
            return ExitCode::from(2);
        }
    };
    let mut ok = true;
    for run in &runs {
        let res = check_run(run, &CheckOptions::default());
        println!("{:24} {:>10} states  complete={}", res.name, res.unique_states, res.complete);
        for p in &res.properties {
            println!("  {:5} {:50} {:?}", p.id, p.name, p.verdict);
        }
        ok &= res.ok();
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
