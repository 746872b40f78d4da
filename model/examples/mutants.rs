use osfmig_model::check::*;
use osfmig_model::mutants::CATALOG;
use osfmig_model::presets::*;
fn main() {
    for m in CATALOG {
        let mut r = find_run(m.run).expect("run");
        r.config.mutant = Some(m.mutant);
        let res = check_run(&r, &CheckOptions::default());
        let viol: Vec<_> = res
            .properties
            .iter()
            .filter(|p| p.verdict == Verdict::Violated)
            .map(|p| p.id.clone())
            .collect();
        let caught = viol.iter().any(|v| v == m.catches);
        println!(
            "{:28} {:5} in {:18} caught={} violated={:?}",
            m.name, m.catches, m.run, caught, viol
        );
    }
}
