//! Many workers on one job at once: the atomicity of each operation is what keeps a job
//! within its budget and ends it exactly once.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crawler_core::{FetchTask, JobState, StopReason};
use crawler_state::{PageOutcome, StateStore};

use crate::common::{depth_of, record, tasks, url, urls_of, START};

const WORKERS: usize = 8;

pub async fn concurrent_admissions_respect_the_budget(store: Arc<dyn StateStore>) {
    const BUDGET: u64 = 20;
    const POOL: usize = 60;
    let job = Arc::new(record("owner", Some(BUDGET), 1, 1));
    store.create_job(&job).await.unwrap();

    // Each worker admits six pages' worth of links, overlapping with every other worker.
    let mut handles = Vec::new();
    for worker in 0..WORKERS {
        let (store, job) = (store.clone(), job.clone());
        handles.push(tokio::spawn(async move {
            let (mut admitted, mut offered) = (Vec::new(), Vec::new());
            for round in 0..6 {
                let links: Vec<String> = (0..15)
                    .map(|k| url(&format!("p{}", (worker * 31 + round * 17 + k * 7) % POOL)))
                    .collect();
                let parent = url(&format!("parent-{worker}-{round}"));
                let tasks = tasks(&job, &links);
                admitted.extend(urls_of(
                    &store.admit(job.job_id, &parent, &tasks).await.unwrap(),
                ));
                offered.extend(links);
            }
            (admitted, offered)
        }));
    }
    let (mut admitted, mut offered) = (Vec::new(), HashSet::new());
    for handle in handles {
        let (worker_admitted, worker_offered) = handle.await.unwrap();
        admitted.extend(worker_admitted);
        offered.extend(worker_offered);
    }
    assert!(
        offered.len() as u64 > BUDGET,
        "the test must offer more than fits"
    );
    let unique: HashSet<String> = admitted.iter().cloned().collect();
    assert_eq!(unique.len(), admitted.len(), "a URL was admitted twice");
    let status = store.status(job.job_id).await.unwrap().unwrap();
    assert_eq!(status.pending, admitted.len() as u64 + 1);
    assert_eq!(
        status.pending, BUDGET,
        "every credit is reserved and none beyond"
    );

    // Finishing every page concurrently ends the job exactly once.
    let pages: Vec<String> = std::iter::once(START.to_owned()).chain(admitted).collect();
    let mut handles = Vec::new();
    for worker in 0..WORKERS {
        let (store, job) = (store.clone(), job.clone());
        let mine: Vec<String> = pages
            .iter()
            .skip(worker)
            .step_by(WORKERS)
            .cloned()
            .collect();
        handles.push(tokio::spawn(async move {
            let mut ends = 0;
            for page in mine {
                store
                    .record_outcome(job.job_id, &page, &PageOutcome::Finished)
                    .await
                    .unwrap();
                ends += usize::from(
                    store
                        .close_task(job.job_id, &page, depth_of(&page))
                        .await
                        .unwrap(),
                );
            }
            ends
        }));
    }
    let mut ends = 0;
    for handle in handles {
        ends += handle.await.unwrap();
    }
    assert_eq!(ends, 1, "exactly one close ends the job");

    let status = store.status(job.job_id).await.unwrap().unwrap();
    assert_eq!(status.job_state, JobState::Finished);
    assert_eq!(status.stop_reason, Some(StopReason::Budget));
    assert_eq!((status.completed, status.job_cost), (BUDGET, BUDGET));
    let summary = store.summary(job.job_id).await.unwrap();
    let cancelled: HashSet<String> = summary.cancelled.into_iter().collect();
    let never_fetched: HashSet<String> = offered.difference(&unique).cloned().collect();
    assert_eq!(cancelled, never_fetched);
}

/// A page's links in a fixed graph of 120 pages, dense enough to outgrow the budget.
fn links_of(page: &str) -> Vec<String> {
    let index = page_index(page).map_or(0, |i| i * 7 + 1);
    (0..6)
        .map(|k| url(&format!("g{}", (index + k * 13) % 120)))
        .collect()
}

fn page_index(page: &str) -> Option<usize> {
    page.strip_prefix(&url("g"))
        .and_then(|rest| rest.parse().ok())
}

/// One page in four fails, so refunds promote overflowed pages while others finish.
fn outcome_of(page: &str) -> PageOutcome {
    match page_index(page) {
        Some(i) if i % 4 == 3 => PageOutcome::Failed {
            reason: "http_500".into(),
        },
        _ => PageOutcome::Finished,
    }
}

pub async fn concurrent_crawl_never_overspends_and_ends_once(store: Arc<dyn StateStore>) {
    const BUDGET: u64 = 30;
    let job = Arc::new(record("owner", Some(BUDGET), 1, 1));
    store.create_job(&job).await.unwrap();
    let queue = Arc::new(Mutex::new(VecDeque::from([FetchTask::seed(
        job.job_id,
        START.to_owned(),
    )])));
    let processed = Arc::new(Mutex::new(Vec::new()));
    let (ended, ends) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicUsize::new(0)),
    );

    let mut handles = Vec::new();
    for _ in 0..WORKERS {
        let (store, job, queue) = (store.clone(), job.clone(), queue.clone());
        let (processed, ended, ends) = (processed.clone(), ended.clone(), ends.clone());
        handles.push(tokio::spawn(async move {
            loop {
                let next = queue.lock().unwrap().pop_front();
                let Some(task) = next else {
                    if ended.load(Ordering::SeqCst) {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    continue;
                };
                let page = task.url;
                let links = tasks(&job, &links_of(&page));
                let admitted = store.admit(job.job_id, &page, &links).await.unwrap();
                let outcome = outcome_of(&page);
                let recorded = store
                    .record_outcome(job.job_id, &page, &outcome)
                    .await
                    .unwrap();
                queue
                    .lock()
                    .unwrap()
                    .extend(admitted.iter().chain(&recorded.promoted).cloned());
                let ended_job = store
                    .close_task(job.job_id, &page, depth_of(&page))
                    .await
                    .unwrap();
                // Some pages are processed again, as after a redelivery: same answers.
                if page_index(&page).is_some_and(|i| i % 3 == 0) {
                    assert_eq!(
                        store.admit(job.job_id, &page, &links).await.unwrap(),
                        admitted
                    );
                    let again = store
                        .record_outcome(job.job_id, &page, &outcome)
                        .await
                        .unwrap();
                    assert!(again.repeated);
                    assert_eq!(again.promoted, recorded.promoted);
                    assert_eq!(
                        store
                            .close_task(job.job_id, &page, depth_of(&page))
                            .await
                            .unwrap(),
                        ended_job
                    );
                }
                processed.lock().unwrap().push(page);
                if ended_job {
                    ends.fetch_add(1, Ordering::SeqCst);
                    ended.store(true, Ordering::SeqCst);
                }
            }
        }));
    }
    let all_done = async {
        for handle in handles {
            handle.await.unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(30), all_done)
        .await
        .expect("the crawl never ended");

    assert_eq!(
        ends.load(Ordering::SeqCst),
        1,
        "exactly one close ends the job"
    );
    let processed = processed.lock().unwrap().clone();
    let unique: HashSet<&String> = processed.iter().collect();
    assert_eq!(unique.len(), processed.len(), "a page was fetched twice");

    let status = store.status(job.job_id).await.unwrap().unwrap();
    assert_eq!(status.pending, 0);
    assert_eq!(status.stop_reason, Some(StopReason::Budget));
    // With pages left over, every credit was spent on a finished page, and no more.
    assert_eq!(status.job_cost, BUDGET);
    assert_eq!(status.completed, BUDGET);
    assert_eq!(status.completed + status.failed, processed.len() as u64);

    let summary = store.summary(job.job_id).await.unwrap();
    let fetched: HashSet<&String> = summary
        .completed
        .iter()
        .map(|c| &c.url)
        .chain(summary.failed.iter().map(|f| &f.url))
        .collect();
    assert_eq!(fetched, unique);
    assert!(summary.cancelled.iter().all(|url| !unique.contains(url)));
}
