//! Removes what a distributed run left in Redis. The shared Redis keeps job records, page
//! bodies and delivery attempts for weeks; ten thousand pages a run would otherwise pile
//! up hundreds of MB on the developer's machine. (The run's RabbitMQ queues are empty at
//! the end and stay; the queue interface has no way to delete them.)

use anyhow::Context;

/// Keys deleted per round trip.
const BATCH: usize = 1000;

/// Deletes every key of `namespace` and returns how many there were.
pub async fn delete_namespace(redis_url: &str, namespace: &str) -> anyhow::Result<usize> {
    let client = redis::Client::open(redis_url).context("the Redis URL")?;
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .context("connecting to Redis")?;
    let pattern = format!("{namespace}:*");
    let mut cursor: u64 = 0;
    let mut deleted = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(BATCH)
            .query_async(&mut connection)
            .await
            .context("scanning the run's keys")?;
        if !keys.is_empty() {
            let _: i64 = redis::cmd("UNLINK")
                .arg(&keys)
                .query_async(&mut connection)
                .await
                .context("deleting the run's keys")?;
            deleted += keys.len();
        }
        if next == 0 {
            return Ok(deleted);
        }
        cursor = next;
    }
}
