//! Prints what one experiment exchanged, by message kind and locality (spec §11.3): the
//! counted messages, capabilities, bytes, pages and their priced time. Usage:
//! `cargo run -p osfmig-refimpl --example breakdown -- creation P C` (parent node, child
//! node or `-` for local), or `-- WORKLOAD none|process|task`.
use osfmig_refimpl::run::LIMIT;
use osfmig_refimpl::sim::ms;
use osfmig_refimpl::timing::Costs;
use osfmig_refimpl::workload::{creation, workload, Mode, Shapes, Synthetic};
use osfmig_refimpl::world::{Config, World};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a = |i: usize| args.get(i).map(String::as_str).unwrap_or("-");
    let cfg = Config {
        check_invariants: false,
        ..Config::default()
    };
    let mut world = World::new(cfg, Costs::i386(), 1);
    if a(0) == "creation" {
        let p: usize = a(1).parse().unwrap_or(1);
        let c: Option<usize> = a(2).parse().ok();
        world.load(&creation(p, c));
    } else {
        let w = workload(a(0), Synthetic::default(), &Shapes::builtin()).expect("workload");
        let pid = world.load(&w);
        let mode = match a(1) {
            "process" => Some(Mode::Process),
            "task" => Some(Mode::Task),
            _ => None,
        };
        if let Some(m) = mode {
            world.schedule_migration(w.migrate_at, pid, w.dst, m);
        }
    }
    world.run_until(LIMIT);
    println!(
        "{:<12} {:<6} {:>8} {:>6} {:>8} {:>6} {:>10}",
        "kind", "local", "messages", "caps", "bytes", "pages", "ms"
    );
    for ((k, local), c) in &world.stats.by_kind {
        println!(
            "{:<12} {:<6} {:>8} {:>6} {:>8} {:>6} {:>10.1}",
            format!("{k:?}"),
            local,
            c.messages,
            c.caps,
            c.bytes,
            c.pages,
            ms(c.time_ns)
        );
    }
    let t = world.stats.total();
    println!(
        "total: {} messages, {:.1} ms priced; root exit at {:.1} ms; creation phases {:.1} ms",
        t.messages,
        ms(t.time_ns),
        world.root_exit.map(ms).unwrap_or(f64::NAN),
        ms(world.stats.creation_time)
    );
}
