//! Where `crawl` writes its JSON lines: stdout or a file.

use std::fs::File;
use std::io::{BufWriter, Write};

use anyhow::Context;
use crawler_core::WebhookEvent;

pub struct Output {
    sink: Box<dyn Write + Send>,
}

impl Output {
    pub fn open(target: &str) -> anyhow::Result<Output> {
        let sink: Box<dyn Write + Send> = if target == "-" {
            Box::new(std::io::stdout())
        } else {
            let file = File::create(target).with_context(|| format!("cannot write {target}"))?;
            Box::new(BufWriter::new(file))
        };
        Ok(Output { sink })
    }

    /// One event, one line of JSON.
    pub fn write_event(&mut self, event: &WebhookEvent) -> anyhow::Result<()> {
        serde_json::to_writer(&mut self.sink, event)?;
        self.sink.write_all(b"\n")?;
        Ok(())
    }

    pub fn flush(&mut self) -> anyhow::Result<()> {
        Ok(self.sink.flush()?)
    }
}
