//! One job's state in memory and the rules that change it, one method per store
//! operation. The caller holds the store's mutex for the whole call, which is what makes
//! each method atomic, as a Lua script is in Redis.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use crawler_core::{FetchTask, JobRecord, PageResult, StopReason};

use crate::snapshot::{JobCounters, StoredOutcome};
use crate::{PageOutcome, Recorded};

pub(super) struct JobEntry {
    pub record: JobRecord,
    pub counters: JobCounters,
    /// Credits reserved for admitted pages, spent ones included.
    reserved: u64,
    pub started: bool,
    /// The URL whose close ended the job.
    ended_by: Option<String>,
    /// The round whose summary is due and when it became due; `None` once sent.
    pub summary_due: Option<(u32, u64)>,
    seen: HashSet<String>,
    pub overflow: VecDeque<FetchTask>,
    /// The seed tasks admitted when the job was created, the answer to a repeated create.
    seeds: Vec<FetchTask>,
    admissions: HashMap<String, Vec<FetchTask>>,
    /// An async job's kept results, by item.
    pub item_results: HashMap<u32, crate::ItemResult>,
    pub outcomes: HashMap<String, StoredOutcome>,
    /// URLs in the order their outcome was recorded, for the summary.
    pub outcome_order: Vec<String>,
    closed: HashSet<String>,
    /// Redirect target -> the URL whose redirect claimed it.
    redirects: HashMap<String, String>,
    host_pages: HashMap<String, HashSet<String>>,
    /// Pending tasks per depth; only depths with some are kept.
    pending_by_depth: BTreeMap<u32, u64>,
    /// URL -> what the results download shows of the page.
    pub results: HashMap<String, PageResult>,
}

impl JobEntry {
    /// A new job with its seed URLs admitted (or overflowed) as depth-0 tasks.
    pub fn new(record: JobRecord) -> Self {
        let seeds: Vec<FetchTask> = record.spec.seed_tasks(record.job_id);
        let mut entry = JobEntry {
            record,
            counters: JobCounters::default(),
            reserved: 0,
            started: false,
            ended_by: None,
            summary_due: None,
            seen: HashSet::new(),
            overflow: VecDeque::new(),
            seeds: Vec::new(),
            admissions: HashMap::new(),
            item_results: HashMap::new(),
            outcomes: HashMap::new(),
            outcome_order: Vec::new(),
            closed: HashSet::new(),
            redirects: HashMap::new(),
            host_pages: HashMap::new(),
            pending_by_depth: BTreeMap::new(),
            results: HashMap::new(),
        };
        entry.seeds = entry.admit_unseen(&seeds, false);
        entry
    }

    /// The seed tasks the job's creation admitted.
    pub fn seeds(&self) -> &[FetchTask] {
        &self.seeds
    }

    fn add_pending(&mut self, task: &FetchTask) {
        self.counters.pending += 1;
        *self.pending_by_depth.entry(task.depth).or_default() += 1;
    }

    /// The smallest depth with pending tasks.
    pub fn frontier_depth(&self) -> Option<u32> {
        self.pending_by_depth.keys().next().copied()
    }

    fn has_room(&self) -> bool {
        match self.record.spec.crawl_budget {
            None => true,
            Some(budget) => self.reserved + self.record.cost_per_page <= budget,
        }
    }

    pub fn admit(&mut self, parent: &str, candidates: &[FetchTask]) -> Vec<FetchTask> {
        if let Some(prior) = self.admissions.get(parent) {
            return prior.clone();
        }
        // An ended job takes nothing new, and has nothing to remember about this parent.
        if self.counters.ended {
            return Vec::new();
        }
        let stopping = self.counters.stop_reason.is_some();
        let admitted = self.admit_unseen(candidates, stopping);
        self.admissions.insert(parent.to_owned(), admitted.clone());
        admitted
    }

    /// Adds each candidate not seen before to the seen-set, then admits it while the budget
    /// has room and the job is not `stopping`, or parks it in the overflow list.
    fn admit_unseen(&mut self, candidates: &[FetchTask], stopping: bool) -> Vec<FetchTask> {
        let mut admitted = Vec::new();
        for task in candidates {
            if !self.seen.insert(task.url.clone()) {
                continue;
            }
            if !stopping && self.has_room() {
                self.reserved += self.record.cost_per_page;
                self.add_pending(task);
                admitted.push(task.clone());
            } else {
                self.overflow.push_back(task.clone());
            }
        }
        admitted
    }

    pub fn record_outcome(&mut self, url: &str, outcome: &PageOutcome) -> Recorded {
        if let Some(prior) = self.outcomes.get(url) {
            return recorded(prior, true);
        }
        let per_page = self.record.cost_per_page;
        let mut credits = 0;
        let mut promoted = Vec::new();
        match outcome {
            PageOutcome::Finished => {
                credits = per_page;
                self.counters.cost += per_page;
                self.counters.completed += 1;
            }
            PageOutcome::Failed { .. } | PageOutcome::Cancelled => {
                self.reserved = self.reserved.saturating_sub(per_page);
                if matches!(outcome, PageOutcome::Failed { .. }) {
                    self.counters.failed += 1;
                } else {
                    self.counters.cancelled += 1;
                }
                // A stopping job must not queue more work, so its refunds stay unused.
                let stopping = self.counters.stop_reason.is_some() || self.counters.ended;
                while !stopping && self.has_room() {
                    let Some(task) = self.overflow.pop_front() else {
                        break;
                    };
                    self.reserved += per_page;
                    self.add_pending(&task);
                    promoted.push(task);
                }
            }
        }
        let stored = StoredOutcome {
            outcome: outcome.clone(),
            credits,
            current_cost: self.counters.cost,
            promoted,
        };
        let answer = recorded(&stored, false);
        self.outcomes.insert(url.to_owned(), stored);
        self.outcome_order.push(url.to_owned());
        answer
    }

    pub fn close_task(&mut self, url: &str, depth: u32, now_ms: u64) -> bool {
        if !self.closed.insert(url.to_owned()) {
            return self.ended_by.as_deref() == Some(url);
        }
        self.counters.pending = self.counters.pending.saturating_sub(1);
        if let Some(count) = self.pending_by_depth.get_mut(&depth) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.pending_by_depth.remove(&depth);
            }
        }
        if self.counters.pending == 0 && !self.counters.ended {
            self.counters.ended = true;
            self.counters.finished_at = Some(now_ms);
            self.ended_by = Some(url.to_owned());
            self.summary_due = Some((self.counters.round, now_ms));
            return true;
        }
        false
    }

    pub fn request_stop(&mut self, reason: StopReason) {
        if !self.counters.ended && self.counters.stop_reason.is_none() {
            self.counters.stop_reason = Some(reason);
        }
    }

    pub fn claim_redirect(&mut self, from: &str, target: &str) -> bool {
        if from == target {
            return true;
        }
        if let Some(owner) = self.redirects.get(target) {
            return owner == from;
        }
        if self.seen.insert(target.to_owned()) {
            self.redirects.insert(target.to_owned(), from.to_owned());
            return true;
        }
        false
    }

    pub fn claim_host_slot(&mut self, host: &str, url: &str, max_pages: u64) -> bool {
        let urls = self.host_pages.entry(host.to_owned()).or_default();
        if urls.contains(url) {
            return true;
        }
        if urls.len() as u64 >= max_pages {
            return false;
        }
        urls.insert(url.to_owned());
        true
    }

    /// See `JobData::reopen`; the same rules as `reopen.lua`.
    pub fn reopen(&mut self, tasks: &[FetchTask]) -> Vec<FetchTask> {
        if !self.counters.ended {
            return Vec::new();
        }
        let per_page = self.record.cost_per_page;
        let mut reopened = Vec::new();
        for task in tasks {
            let Some(prior) = self.outcomes.get(&task.url) else {
                continue;
            };
            match prior.outcome {
                PageOutcome::Finished => {
                    self.counters.completed = self.counters.completed.saturating_sub(1);
                    self.counters.cost = self.counters.cost.saturating_sub(prior.credits);
                }
                PageOutcome::Failed { .. } if self.has_room() => {
                    self.reserved += per_page;
                    self.counters.failed = self.counters.failed.saturating_sub(1);
                }
                PageOutcome::Failed { .. } | PageOutcome::Cancelled => continue,
            }
            self.outcomes.remove(&task.url);
            self.outcome_order.retain(|url| *url != task.url);
            self.closed.remove(&task.url);
            self.admissions.remove(&task.url);
            self.add_pending(task);
            reopened.push(task.clone());
        }
        if !reopened.is_empty() {
            self.counters.ended = false;
            self.counters.finished_at = None;
            self.counters.stop_reason = None;
            self.counters.round += 1;
            self.ended_by = None;
        }
        reopened
    }

    /// See `TaskReplays::recorded_effects`.
    pub fn recorded_effects(&self, url: &str) -> crate::RecordedEffects {
        let stored = self.outcomes.get(url);
        let admitted = self.admissions.get(url).into_iter().flatten();
        let promoted = stored.into_iter().flat_map(|stored| &stored.promoted);
        crate::RecordedEffects {
            open_tasks: admitted
                .chain(promoted)
                .filter(|task| !self.closed.contains(&task.url))
                .cloned()
                .collect(),
            outcome: stored.map(StoredOutcome::recorded),
            result: stored.and_then(|_| self.results.get(url).cloned()),
        }
    }

    /// Clears the due summary if it is the one of `round`.
    pub fn summary_sent(&mut self, round: u32) {
        if self.summary_due.is_some_and(|(due, _)| due == round) {
            self.summary_due = None;
        }
    }
}

fn recorded(stored: &StoredOutcome, repeated: bool) -> Recorded {
    Recorded {
        credits: stored.credits,
        current_cost: stored.current_cost,
        promoted: stored.promoted.clone(),
        repeated,
        outcome: stored.outcome.clone(),
    }
}
