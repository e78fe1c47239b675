//! Where `crawl` writes its JSON lines: stdout or a file.

use std::fs::File;
use std::io::{BufWriter, ErrorKind, Write};

use anyhow::Context;
use crawler_core::WebhookEvent;

pub struct Output {
    sink: Box<dyn Write + Send>,
    closed: bool,
}

impl Output {
    pub fn open(target: &str) -> anyhow::Result<Output> {
        let sink: Box<dyn Write + Send> = if target == "-" {
            Box::new(std::io::stdout())
        } else {
            let file = File::create(target).with_context(|| format!("cannot write {target}"))?;
            Box::new(BufWriter::new(file))
        };
        Ok(Output {
            sink,
            closed: false,
        })
    }

    /// One event, one line of JSON, flushed at once: someone following the file
    /// (`tail -f`, a script) sees each page as it is crawled, and a crawl that is killed
    /// keeps every line it wrote.
    pub fn write_event(&mut self, event: &WebhookEvent) -> anyhow::Result<()> {
        if self.closed {
            return Ok(());
        }
        let mut line = serde_json::to_vec(event)?;
        line.push(b'\n');
        let written = self.sink.write_all(&line).and_then(|()| self.sink.flush());
        self.closed_or(written)
    }

    /// Whether the reader went away (`crawler crawl URL | head`); later events are dropped.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    pub fn flush(&mut self) -> anyhow::Result<()> {
        if self.closed {
            return Ok(());
        }
        let flushed = self.sink.flush();
        self.closed_or(flushed)
    }

    /// A reader closing the pipe is the user's choice, not a failure: it is remembered so
    /// the caller can stop the crawl, instead of ending with "error: Broken pipe".
    fn closed_or(&mut self, result: std::io::Result<()>) -> anyhow::Result<()> {
        match result {
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => Ok(other?),
        }
    }
}
