//! Dev aid: validates one refimpl trace with chosen search limits (`DEPTH`, `VISITED`).
fn main() {
    let path = std::env::args().nth(1).expect("a trace file");
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let lim = osfmig_traces::validate::Limits {
        depth_max: env("DEPTH", 24),
        visited_max: env("VISITED", 20_000),
        frontier_max: env("FRONTIER", 256),
    };
    let t = osfmig_traces::parse_file(std::path::Path::new(&path)).expect("parse");
    let v = osfmig_traces::validate::validate(&t, &path, &lim).expect("validate");
    println!("visited {} accepted {}", v.visited, v.accepted());
    if let Some(r) = v.rejection {
        println!("{r}");
    }
}
