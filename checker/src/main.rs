//! `osfmig`: the command line of the osfmig model checker (spec §8.4).
//!
//! `check` runs a preset and reports verdicts, `replay` replays a printed path, `bench`
//! measures throughput and memory, `explore` serves stateright's Explorer, `completions`
//! prints a shell completion script. Exit status: 0 when every property is as the spec
//! expects, 1 on a wrong verdict, 2 on bad usage, 3 on an incomplete run with nothing found
//! wrong.

mod bench;
mod cex_itf;
mod check;
mod cli;
mod explore;
mod junit;
mod msc;
mod paper;
mod replay;
mod report;
mod runs;
mod simulate;
mod traces;
mod traces_io;
mod traces_more;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    // clap prints its own message and exits with status 2 on an unknown flag or bad value.
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Check(a) => check::run(a),
        Command::Replay(a) => replay::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Explore(a) => explore::run(a),
        Command::Paper(a) => paper::run(a),
        Command::Simulate(a) => simulate::run(a),
        Command::Traces(c) => traces::run(c),
        Command::Completions(a) => {
            // The script is written from the same definition clap parses with, so it cannot
            // name a flag the command lacks.
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(a.shell, &mut cmd, "osfmig", &mut std::io::stdout());
            Ok(0)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            report::clear_progress();
            eprintln!("osfmig: error: {}", e.message());
            ExitCode::from(e.exit_code())
        }
    }
}
