//! Building the page event of a processed page.

use base64::Engine;
use crawler_core::{FetchTask, PageEvent, PageResponse};

use crate::decode;
use crate::fetch::FetchedPage;
use crate::scope::JobContext;

/// The HTTP response part of a page event: text bodies as text (decoded by their charset),
/// anything else as base64.
pub fn response_of(page: &FetchedPage) -> PageResponse {
    let content_type = page.content_type.as_deref();
    let (body, base64_encoded_body) = if page.is_text() {
        (Some(decode::decode_text(&page.body, content_type)), None)
    } else {
        let encoded = base64::engine::general_purpose::STANDARD.encode(&page.body);
        (None, Some(encoded))
    };
    PageResponse {
        status_code: page.status,
        headers: page.headers.clone(),
        body,
        base64_encoded_body,
        body_truncated: false,
        body_size: page.body.len() as u64,
        body_url: None,
    }
}

pub struct PageFacts {
    pub status: &'static str,
    pub credits: u64,
    pub current_cost: u64,
    pub fail_reason: Option<String>,
    pub final_url: Option<String>,
    pub response: Option<PageResponse>,
}

pub fn page_event(ctx: &JobContext, task: &FetchTask, facts: PageFacts) -> PageEvent {
    PageEvent {
        job_id: task.job_id,
        url: task.url.clone(),
        final_url: facts.final_url,
        status: facts.status.to_string(),
        credits: facts.credits,
        attempts: task.attempt + 1,
        start_url: ctx.record.spec.start_url.clone(),
        current_depth: task.depth,
        current_cost: facts.current_cost,
        fail_reason: facts.fail_reason,
        response: facts.response,
        meta: ctx.record.spec.meta.clone(),
    }
}
