use osfmig_model::check::*;
use osfmig_model::presets::*;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs: Vec<RunSpec> = if args.len() > 1 { args[1..].iter().map(|n| find_run(n).expect("run")).collect() } else { catalog() };
    for r in runs {
        let res = check_run(&r, &CheckOptions { state_limit: Some(3_000_000), ..Default::default() });
        println!("{:20} states {:>9} depth {:>3} {:>6.1}s complete {}", res.name, res.unique_states, res.max_depth, res.seconds, res.complete);
        for p in &res.properties {
            if !p.ok() { println!("   !! {} {:?} len {:?}", p.name, p.verdict, p.path.as_ref().map(|x| x.len())); if std::env::var("SHOW").is_ok() { for s in p.path.iter().flatten() { println!("      {}", s.action); } } }
        }
    }
}
#[allow(dead_code)]
fn unused() {}
