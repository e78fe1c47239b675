//! The worker loop over the in-memory backends: a crawl of a site served on loopback must
//! find exactly what a breadth-first search of the site's graph finds, and the other job
//! kinds must fetch exactly their URLs.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crawler_config::Settings;
use crawler_core::{
    time::now_ms, ApiParams, JobId, JobKind, JobRecord, JobSpec, Namespace, QueueMessage, Scope,
    StopReason, SummaryEvent, WebhookEvent,
};
use crawler_fetcher::worker::{self, WorkerServices};
use crawler_politeness::{Politeness, PolitenessConfig};
use crawler_queue::memory::MemoryQueue;
use crawler_queue::Queue;
use crawler_state::memory::MemoryStore;
use crawler_state::StateStore;
use crawler_testkit::site::{PageKind, SiteGraph, TestSite};
use tokio::sync::mpsc;

fn settings() -> Arc<Settings> {
    let mut settings = Settings::defaults();
    settings.allow_private_networks = true;
    settings.fetch_retry_backoff_ms = 10;
    settings.fetch_max_body_bytes = 10_000;
    Arc::new(settings)
}

fn job(start_url: String, max_depth: Option<u32>, budget: Option<u64>) -> JobRecord {
    JobRecord {
        job_id: JobId::generate(),
        owner: "test".into(),
        spec: JobSpec {
            kind: JobKind::Crawl,
            start_url,
            urls: Vec::new(),
            url_regexp_include: ".*".into(),
            url_regexp_exclude: None,
            max_depth,
            crawl_budget: budget,
            api_params: ApiParams {
                follow_redirect: true,
                ..ApiParams::default()
            },
            callback: None,
            webhook_name: None,
            tenant: Default::default(),
            meta: serde_json::json!({"k": "v"}),
            timeout_sec: 60,
            scope: Scope::Host,
            follow_nofollow: false,
            ignore_query_parameters: false,
            max_pages_per_host: None,
            respect_robots_txt: true,
            name: None,
            custom_id: None,
            async_job: None,
        },
        cost_per_page: 1,
        created_at_ms: now_ms(),
        deadline_ms: now_ms() + 60_000,
    }
}

/// A job of another kind than a crawl over `urls`, with no `max_depth`: only the kind
/// keeps it from following links.
fn job_of_kind(kind: JobKind, urls: Vec<String>) -> JobRecord {
    let mut record = job(urls[0].clone(), None, None);
    record.spec.kind = kind;
    if kind == JobKind::Batch {
        record.spec.urls = urls;
    }
    record
}

/// Requests per path the site saw, robots.txt aside.
fn page_hits(site: &TestSite) -> BTreeMap<String, usize> {
    let mut hits = site.hit_counts();
    hits.remove("/robots.txt");
    hits
}

/// Runs one job to its summary on fresh in-memory backends with `workers` worker loops.
async fn crawl(record: JobRecord, workers: usize) -> (Vec<WebhookEvent>, SummaryEvent) {
    let config = settings();
    let queue: Arc<dyn Queue> = Arc::new(MemoryQueue::new());
    let state: Arc<dyn StateStore> = Arc::new(MemoryStore::new());
    // As the coordinator does: publish the seed tasks the job's creation admitted.
    let seeds = state.create_job(&record).await.unwrap();
    let seeds = seeds
        .into_iter()
        .map(|task| QueueMessage::FetchTaskV1(task).encode())
        .collect();
    let ns = Namespace::new(config.namespace.clone());
    queue.publish(&ns.fetch_queue(), seeds).await.unwrap();

    let (tap, mut events) = mpsc::unbounded_channel();
    let politeness = Arc::new(Politeness::memory(PolitenessConfig::from_settings(&config)));
    let stop = tokio_util::sync::CancellationToken::new();
    let mut handles = Vec::new();
    for _ in 0..workers {
        let backends = WorkerServices {
            queue: queue.clone(),
            state: state.clone(),
            politeness: politeness.clone(),
            tap: Some(tap.clone()),
        };
        handles.push(tokio::spawn(worker::run(
            config.clone(),
            backends,
            stop.clone().cancelled_owned(),
        )));
    }
    let mut seen = Vec::new();
    let summary = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match events.recv().await.expect("events") {
                WebhookEvent::Summary(summary) => return summary,
                other => seen.push(other),
            }
        }
    })
    .await
    .expect("the crawl finished");
    stop.cancel();
    for handle in handles {
        handle.await.unwrap().unwrap();
    }
    (seen, summary)
}

fn pages(events: &[WebhookEvent]) -> BTreeMap<String, crawler_core::PageEvent> {
    events
        .iter()
        .filter_map(|e| match e {
            WebhookEvent::Page(p) => Some((p.url.clone(), p.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn crawl_equals_breadth_first_search_of_the_site() {
    let graph = SiteGraph::generated(40)
        .page(
            "/p/3",
            PageKind::Html(vec![
                "/missing".into(),
                "/moved".into(),
                "/big".into(),
                "/img".into(),
            ]),
        )
        .page("/moved", PageKind::Redirect("/landing".into()))
        .page("/landing", PageKind::Html(vec!["/p/39".into()]))
        .page("/big", PageKind::Huge(50_000))
        .page("/img", PageKind::Binary)
        .page(
            "/p/4",
            PageKind::Flaky {
                failures: 2,
                links: vec!["/p/9".into(), "/p/10".into()],
            },
        );
    let site = TestSite::serve(graph.clone()).await;
    let (events, summary) = crawl(job(site.url("/"), Some(4), None), 2).await;
    let expected = graph.expected(&site.base, 4, ".*", None, 10_000);

    let pages = pages(&events);
    let completed: BTreeMap<String, u32> = pages
        .values()
        .filter(|p| p.status == "finished")
        .map(|p| (p.url.clone(), p.current_depth))
        .collect();
    assert_eq!(completed, expected.completed);
    let failed: BTreeMap<String, String> = pages
        .values()
        .filter(|p| p.status == "failed")
        .map(|p| (p.url.clone(), p.fail_reason.clone().unwrap()))
        .collect();
    assert_eq!(failed, expected.failed);
    assert_eq!(
        pages[&site.url("/moved")].final_url.as_deref(),
        Some(site.url("/landing").as_str())
    );
    assert_eq!(
        pages[&site.url("/p/4")].attempts,
        3,
        "the 500s were retried"
    );
    assert!(matches!(events.first(), Some(WebhookEvent::Started(_))));

    assert_eq!(summary.stop_reason, StopReason::Exhausted);
    assert_eq!(summary.job_cost, expected.completed.len() as u64);
    assert_eq!(summary.completed.len(), expected.completed.len());
    assert_eq!(summary.meta["k"], "v");
    for (path, count) in site.hit_counts() {
        let allowed = if path == "/p/4" { 3 } else { 1 };
        assert_eq!(count, allowed, "requests for {path}");
    }
}

#[tokio::test]
async fn a_budget_is_spent_exactly_and_never_exceeded() {
    let site = TestSite::serve(SiteGraph::generated(200)).await;
    for budget in [1, 3, 25] {
        let (events, summary) = crawl(job(site.url("/"), None, Some(budget)), 3).await;
        assert_eq!(summary.job_cost, budget);
        assert_eq!(summary.stop_reason, StopReason::Budget);
        assert!(!summary.cancelled.is_empty());
        let max_cost = pages(&events).values().map(|p| p.current_cost).max();
        assert_eq!(max_cost, Some(budget));
    }
}

/// Many workers and a site with shortcuts (every page links back to the root and to page
/// i/3): tasks finish in any order, yet every page must get its shortest depth, and so no
/// subtree is lost to `max_depth`. A crawl that let pages be found first by long paths
/// lost about a tenth of this site.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn depths_are_shortest_paths_whatever_the_order_of_work() {
    let graph = SiteGraph::generated(400);
    let site = TestSite::serve(graph.clone()).await;
    let max_depth = 7;
    let (events, summary) = crawl(job(site.url("/"), Some(max_depth), None), 4).await;
    let expected = graph.expected(&site.base, max_depth, ".*", None, 10_000);
    let depths: BTreeMap<String, u32> = pages(&events)
        .values()
        .map(|p| (p.url.clone(), p.current_depth))
        .collect();
    assert_eq!(depths, expected.completed);
    assert_eq!(summary.completed.len(), expected.completed.len());
}

#[tokio::test]
async fn a_fetch_job_fetches_its_one_url_and_none_of_its_links() {
    let site = TestSite::serve(SiteGraph::generated(10)).await;
    let url = site.url("/p/0");
    let (events, summary) = crawl(job_of_kind(JobKind::Fetch, vec![url.clone()]), 2).await;

    // The page links to /, /p/1 and /p/2; none of them is fetched.
    assert_eq!(page_hits(&site), BTreeMap::from([("/p/0".to_string(), 1)]));
    assert_eq!(
        events.len(),
        1,
        "one page event and nothing else: {events:?}"
    );
    let page = &pages(&events)[&url];
    assert_eq!((page.status.as_str(), page.current_depth), ("finished", 0));
    assert_eq!(summary.stop_reason, StopReason::Exhausted);
    assert_eq!(summary.completed.len(), 1);
    assert_eq!(summary.completed[0].url, url);
    assert!(summary.failed.is_empty() && summary.cancelled.is_empty());
    assert_eq!(summary.job_cost, 1);
}

#[tokio::test]
async fn a_batch_fetches_each_distinct_url_once_at_depth_0() {
    let site = TestSite::serve(SiteGraph::generated(10)).await;
    let [one, two, missing] = ["/p/1", "/p/2", "/missing"].map(|path| site.url(path));
    let urls = vec![one.clone(), two.clone(), one.clone(), missing.clone()];
    let (events, summary) = crawl(job_of_kind(JobKind::Batch, urls), 2).await;

    let expected_hits = ["/p/1", "/p/2", "/missing"].map(|path| (path.to_string(), 1));
    assert_eq!(page_hits(&site), BTreeMap::from(expected_hits));
    assert!(
        !events.iter().any(|e| matches!(e, WebhookEvent::Started(_))),
        "a batch emits no crawl.started"
    );
    assert_eq!(
        events.len(),
        3,
        "one page event per distinct URL: {events:?}"
    );
    let pages = pages(&events);
    assert!(pages.values().all(|page| page.current_depth == 0));
    assert_eq!(pages[&one].status, "finished");
    assert_eq!(pages[&two].status, "finished");
    assert_eq!(pages[&missing].fail_reason.as_deref(), Some("http_404"));

    assert_eq!(summary.stop_reason, StopReason::Exhausted);
    let mut completed: Vec<&str> = summary.completed.iter().map(|c| c.url.as_str()).collect();
    completed.sort();
    assert_eq!(completed, vec![one.as_str(), two.as_str()]);
    assert_eq!(summary.failed.len(), 1);
    assert_eq!(summary.failed[0].url, missing);
    assert_eq!(summary.failed[0].fail_reason, "http_404");
    assert!(summary.cancelled.is_empty());
    assert_eq!(summary.job_cost, 2);
}
