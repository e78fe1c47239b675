//! What a complete crawl of the served site must do, from the plain breadth-first search
//! the tests use as their oracle: which pages, and how deep the job must go to reach all.

use crawler_testkit::site::{Expected, SiteGraph, TestSite};

use crate::outcome::FetchCounts;
use crawler_testkit::receiver::Received;

pub struct SitePlan {
    pub expected: Expected,
    /// The job's `max_depth`: never below the site's depth, and by default far deeper, so
    /// a page first reached through a longer path than its shortest one is still crawled.
    pub max_depth: u32,
}

impl SitePlan {
    pub fn of(graph: &SiteGraph, site: &TestSite, max_depth: u32) -> SitePlan {
        let expected = graph.expected(&site.base, u32::MAX, ".*", None, usize::MAX);
        let site_depth = expected.completed.values().copied().max().unwrap_or(0);
        SitePlan {
            expected,
            max_depth: max_depth.max(site_depth),
        }
    }

    /// Pages a complete crawl processes (completed or failed).
    pub fn page_count(&self) -> usize {
        self.expected.completed.len() + self.expected.failed.len()
    }

    /// What the site's request log says went wrong, if anything.
    pub fn fetch_problems(&self, fetches: &FetchCounts) -> Vec<String> {
        let mut problems = Vec::new();
        if fetches.missing > 0 {
            problems.push(format!(
                "{} of {} pages were never requested from the site, e.g. {}",
                fetches.missing,
                self.page_count(),
                fetches.missing_examples.join(" ")
            ));
        }
        if fetches.repeats > 0 {
            problems.push(format!(
                "{} requests repeated a page already fetched",
                fetches.repeats
            ));
        }
        problems
    }
}

/// The breadth-first depth of the deepest page of `graph`, wherever it is served.
pub fn depth_of(graph: &SiteGraph) -> u32 {
    let Ok(base) = url::Url::parse("http://127.0.0.1:1/") else {
        return 0;
    };
    let expected = graph.expected(&base, u32::MAX, ".*", None, usize::MAX);
    expected.completed.values().copied().max().unwrap_or(0)
}

/// How many page events to name when their depth is wrong.
const DEPTH_EXAMPLES: usize = 5;

impl SitePlan {
    /// Page events whose `currentDepth` differs from the page's breadth-first depth (the
    /// length of its shortest link path from the start URL), which the issue requires.
    pub fn depth_problem(&self, received: &[Received]) -> Option<String> {
        let mut wrong = 0;
        let mut examples = Vec::new();
        for delivery in received {
            let Ok(event) = serde_json::from_slice::<serde_json::Value>(&delivery.body) else {
                continue;
            };
            let (Some(url), Some(depth)) = (event["url"].as_str(), event["currentDepth"].as_u64())
            else {
                continue;
            };
            let Some(&shortest) = self.expected.completed.get(url) else {
                continue;
            };
            if depth != u64::from(shortest) {
                wrong += 1;
                if examples.len() < DEPTH_EXAMPLES {
                    examples.push(format!("{url} at {depth} (shortest path {shortest})"));
                }
            }
        }
        (wrong > 0).then(|| {
            format!(
                "{wrong} page events carry a currentDepth other than the page's breadth-first \
                 depth, e.g. {}",
                examples.join(", ")
            )
        })
    }
}
