use osfmig_model::check::*;
use osfmig_model::presets::*;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    // Arguments: run names, or `preset:NAME` for every run of a preset (e.g. preset:full).
    let runs: Vec<RunSpec> = if args.len() > 1 {
        args[1..]
            .iter()
            .flat_map(|n| match n.strip_prefix("preset:") {
                Some(p) => preset(p).expect("preset"),
                None => vec![find_run(n).expect("run")],
            })
            .collect()
    } else {
        catalog()
    };
    let show = std::env::var("SHOW").is_ok();
    for r in runs {
        let res = check_run(
            &r,
            &CheckOptions {
                state_limit: Some(3_000_000),
                ..Default::default()
            },
        );
        println!(
            "{:20} states {:>9} depth {:>3} {:>6.1}s complete {}",
            res.name, res.unique_states, res.max_depth, res.seconds, res.complete
        );
        if std::env::var("LSTATS").is_ok() {
            // The liveness graph (no symmetry) on its own.
            let t = std::time::Instant::now();
            let ex = osfmig_model::liveness::explore(
                &osfmig_model::OsfModel::new(r.config.clone()),
                3_000_000,
            );
            let g = &ex.graph;
            let mut pg = petgraph::graph::DiGraph::<(), ()>::new();
            let ids: Vec<_> = (0..g.states()).map(|_| pg.add_node(())).collect();
            for s in 0..g.states() {
                for e in &g.edges[g.start[s] as usize..g.start[s + 1] as usize] {
                    if e.to != osfmig_model::liveness::NO_STATE {
                        pg.add_edge(ids[s], ids[e.to as usize], ());
                    }
                }
            }
            let cyclic = petgraph::algo::kosaraju_scc(&pg)
                .iter()
                .filter(|c| c.len() > 1 || pg.contains_edge(c[0], c[0]))
                .count();
            println!(
                "   liveness graph: {} states, {} edges, {} cyclic components, {:.1}s",
                g.states(),
                g.edges.len(),
                cyclic,
                t.elapsed().as_secs_f64()
            );
        }
        for p in &res.properties {
            let live = p.id.starts_with('L');
            if !p.ok() || (live && std::env::var("LIVE").is_ok()) {
                let mark = if p.ok() { "  " } else { "!!" };
                println!(
                    "   {mark} {} {:?} len {:?} loop {:?} {}",
                    p.name,
                    p.verdict,
                    p.path.as_ref().map(|x| x.len()),
                    p.loop_start,
                    p.detail.clone().unwrap_or_default()
                );
                if show {
                    println!("      replay: {}", p.replay.clone().unwrap_or_default());
                    for (i, s) in p.path.iter().flatten().enumerate() {
                        let l = if p.loop_start.is_some_and(|k| i >= k) {
                            "[loop] "
                        } else {
                            ""
                        };
                        println!("      {l}{}", s.action);
                    }
                }
            }
        }
    }
}
