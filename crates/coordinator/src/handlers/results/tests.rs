//! The download is a stream pulled from the store one read at a time: these tests drive
//! it over a store that makes up its pages as they are asked for and records each read.

use std::sync::Mutex;

use async_trait::async_trait;
use crawler_core::FetchTask;
use crawler_state::ResultsPage;
use futures::StreamExt;

use super::*;

/// A job of `total` pages, generated on demand; remembers the offset of every read.
struct GeneratedJob {
    total: u64,
    reads: Mutex<Vec<u64>>,
}

impl GeneratedJob {
    fn new(total: u64) -> Arc<Self> {
        Arc::new(GeneratedJob {
            total,
            reads: Mutex::new(Vec::new()),
        })
    }

    fn furthest_read(&self) -> Option<u64> {
        self.reads.lock().unwrap().iter().copied().max()
    }
}

fn page(n: u64) -> PageResult {
    let failed = n.is_multiple_of(10);
    PageResult {
        url: format!("http://site.test/p{n}"),
        status: if failed { "failed" } else { "finished" }.into(),
        status_code: Some(if failed { 500 } else { 200 }),
        depth: 1,
        final_url: None,
        fail_reason: failed.then(|| "http_500".to_string()),
        body: Some(format!("<p>page \"{n}\",\nwith a comma</p>")),
        base64_encoded_body: None,
    }
}

#[async_trait]
impl JobData for GeneratedJob {
    async fn put_result(&self, _: JobId, _: &PageResult) -> Result<(), StateError> {
        Err(StateError::Backend("read only".into()))
    }

    async fn results(&self, _: JobId, offset: u64, limit: u64) -> Result<ResultsPage, StateError> {
        self.reads.lock().unwrap().push(offset);
        let end = (offset + limit).min(self.total);
        Ok(ResultsPage {
            results: (offset..end).map(page).collect(),
            next: (end < self.total).then_some(end),
        })
    }

    async fn reopen(&self, _: JobId, _: &[FetchTask]) -> Result<Vec<FetchTask>, StateError> {
        Err(StateError::Backend("read only".into()))
    }

    async fn purge(&self, _: JobId) -> Result<bool, StateError> {
        Err(StateError::Backend("read only".into()))
    }
}

fn job() -> JobId {
    JobId::generate()
}

#[tokio::test]
async fn a_twenty_thousand_page_download_reads_one_step_ahead_of_what_was_sent() {
    let store = GeneratedJob::new(20_000);
    let stream = result_chunks(store.clone(), job(), Format::Jsonl);
    futures::pin_mut!(stream);
    let mut lines = 0u64;
    let mut largest_chunk = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        largest_chunk = largest_chunk.max(chunk.len());
        for line in chunk.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let value: PageResult = serde_json::from_slice(line).unwrap();
            assert_eq!(value, page(lines), "pages come in their order");
            lines += 1;
        }
        // Nothing is read before the pages already handed out were taken: the store is
        // never more than one read ahead of the client.
        if let Some(furthest) = store.furthest_read() {
            assert!(
                furthest < lines.max(1) + RESULTS_PER_READ,
                "{furthest} vs {lines}"
            );
        }
    }
    assert_eq!(lines, 20_000);
    assert_eq!(store.reads.lock().unwrap().len(), 200);
    // One chunk is one read's worth of pages, a few kilobytes, not the job's megabytes.
    assert!(largest_chunk < 20_000, "{largest_chunk}");
}

async fn collect(format: Format, total: u64) -> Vec<u8> {
    let stream = result_chunks(GeneratedJob::new(total), job(), format);
    futures::pin_mut!(stream);
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk.unwrap());
    }
    body
}

#[tokio::test]
async fn json_is_one_array_in_order_even_across_reads_and_when_empty() {
    let body = collect(Format::Json, 250).await;
    let pages: Vec<PageResult> = serde_json::from_slice(&body).unwrap();
    assert_eq!(pages, (0..250).map(page).collect::<Vec<_>>());
    let empty: Vec<PageResult> = serde_json::from_slice(&collect(Format::Json, 0).await).unwrap();
    assert!(empty.is_empty());
}

#[tokio::test]
async fn csv_has_a_header_and_one_quoted_row_per_page() {
    let body = collect(Format::Csv, 150).await;
    let mut reader = csv::Reader::from_reader(body.as_slice());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        CSV_COLUMNS
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 150);
    assert_eq!(&rows[3][0], "http://site.test/p3");
    assert_eq!(&rows[3][2], "200");
    assert_eq!(&rows[3][6], "<p>page \"3\",\nwith a comma</p>");
    assert_eq!(&rows[10][1], "failed");
    assert_eq!(&rows[10][5], "http_500");
}

#[test]
fn an_unknown_format_is_refused_naming_the_parameter() {
    let error = Format::parse(Some("xml")).unwrap_err();
    assert_eq!(error.field.as_deref(), Some("format"));
    assert_eq!(Format::parse(None).unwrap(), Format::Json);
}
