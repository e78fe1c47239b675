//! Building the page event of a processed page.

use base64::Engine;
use crawler_core::{FetchTask, PageEvent, PageResponse};

use crate::decode;
use crate::fetch::FetchedPage;
use crate::scope::JobContext;

/// Width of lines in `output_format: text` bodies.
const TEXT_WIDTH: usize = 100;

/// The HTTP response part of a page event: text bodies as text (decoded by their charset,
/// HTML turned into markdown or plain text when the job's `output_format` asks), anything
/// else as base64.
pub fn response_of(page: &FetchedPage, output_format: Option<&str>) -> PageResponse {
    let content_type = page.content_type.as_deref();
    let (body, base64_encoded_body) = if page.is_text() {
        let text = decode::decode_text(&page.body, content_type);
        let text = if page.is_html() {
            render_html(text, output_format)
        } else {
            text
        };
        (Some(text), None)
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
        async_job: match (&ctx.record.spec.async_job, task.item) {
            (Some(options), item) if item > 0 => Some(options.reference(task.job_id, item)),
            _ => None,
        },
    }
}

/// HTML as the job wants it: unchanged (`html`, the default), markdown or plain text. A page
/// the converters cannot handle is sent as it is rather than lost.
fn render_html(html: String, output_format: Option<&str>) -> String {
    match output_format {
        Some("markdown") => htmd::convert(&html).unwrap_or(html),
        Some("text") => html2text::from_read(html.as_bytes(), TEXT_WIDTH).unwrap_or(html),
        _ => html,
    }
}

#[cfg(test)]
mod tests {
    use super::render_html;

    const PAGE: &str = "<html><body><h1>Title</h1><p>Some <b>bold</b> text with a <a href=\"/x\">link</a>.</p></body></html>";

    #[test]
    fn markdown_and_text_output_formats() {
        let markdown = render_html(PAGE.into(), Some("markdown"));
        assert!(markdown.contains("# Title"), "{markdown}");
        assert!(markdown.contains("**bold**"), "{markdown}");
        assert!(markdown.contains("[link](/x)"), "{markdown}");
        let text = render_html(PAGE.into(), Some("text"));
        assert!(text.contains("Title") && !text.contains("<h1>"), "{text}");
        assert_eq!(render_html(PAGE.into(), None), PAGE);
        assert_eq!(render_html(PAGE.into(), Some("html")), PAGE);
    }
}
