//! The embedded run: `crawler crawl URL --max-depth N -o /dev/null`, the whole crawler in
//! one process on its in-memory backends, timed from start to exit.

use std::time::{Duration, Instant};

use crawler_testkit::process::RoleProcess;
use crawler_testkit::site::{SiteGraph, TestSite};

use crate::args::Args;
use crate::context;
use crate::outcome::{warnings_in, FetchCounts, RunOutcome};
use crate::sampler::Sampler;
use crate::site_plan::SitePlan;

pub async fn run(args: &Args, graph: &SiteGraph) -> anyhow::Result<RunOutcome> {
    let site = TestSite::serve(graph.clone()).await;
    let plan = SitePlan::of(graph, &site, args.max_depth);
    let mut env = vec![(
        "CRAWLER_ALLOW_PRIVATE_NETWORKS".to_string(),
        "true".to_string(),
    )];
    env.extend(args.crawler_settings());
    let start_url = site.url("/");
    let max_depth = plan.max_depth.to_string();
    let workers = args.embedded_workers.to_string();
    let command = [
        "crawl",
        start_url.as_str(),
        "--max-depth",
        max_depth.as_str(),
        "--workers",
        workers.as_str(),
        "-o",
        "/dev/null",
    ];

    let started = Instant::now();
    let process = RoleProcess::spawn_with_args("embedded", args.binary("crawler"), &command, &env);
    let sampler = Sampler::start(
        &[("crawler crawl".to_string(), process.id())],
        args.sample_interval(),
    );
    let context_sampler = Sampler::start(&context::processes(), args.sample_interval());
    // `wait_exit` panics at its own deadline; the shorter timeout around it ends the wait
    // first, so a hang is reported with the other figures instead of aborting the bench.
    let exit = tokio::time::timeout(
        args.timeout(),
        process.wait_exit(args.timeout() + Duration::from_secs(60)),
    )
    .await;
    let wall = started.elapsed();
    // The process has exited and been reaped by now (unless it hung), so the last reading
    // is the one taken up to one sampling interval before its exit.
    let processes = sampler.finish().await;
    let context = context_sampler.finish().await;

    let mut problems = Vec::new();
    match exit {
        Ok(Some(0)) => {}
        Ok(code) => problems.push(format!("`crawler crawl` exited with {code:?}")),
        Err(_) => problems.push(format!(
            "`crawler crawl` did not exit within {:?}",
            args.timeout()
        )),
    }
    let fetches = FetchCounts::of(&site, &plan.expected);
    problems.extend(plan.fetch_problems(&fetches));
    let warnings = warnings_in(&process.logs());
    if let Some(first) = warnings.first() {
        problems.push(format!(
            "`crawler crawl` logged {} warning/error lines; first: {first}",
            warnings.len()
        ));
    }
    process.kill();
    Ok(RunOutcome {
        label: format!("embedded, {} worker loops", args.embedded_workers),
        pages: fetches.fetched as u64,
        wall,
        round_walls: vec![wall],
        webhooks: None,
        processes,
        context,
        problems,
    })
}
