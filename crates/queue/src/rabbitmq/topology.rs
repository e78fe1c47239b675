//! Queue names, declaration arguments and the delay ladder.
//!
//! Every queue is durable, classic and never auto-deleted. A delayed message is published
//! to a per-delay queue `{queue}.delay.{ms}` whose `x-message-ttl` is that delay and whose
//! dead-letter target is the default exchange with routing key `{queue}`: when the TTL runs
//! out, the broker itself moves the message to `{queue}`, so the delay survives a restart
//! of both the publisher and the broker. Because every message in one delay queue has the
//! same TTL, expiry order is queue order and the broker's "expire only at the head" rule
//! never holds a message back. The delay queues carry no `x-expires`: an expiring queue
//! would take its waiting messages with it.

use std::time::Duration;

use lapin::types::{AMQPValue, FieldTable, ShortString};

use crate::QueueError;

/// The delays a delayed message may actually wait, in milliseconds. A requested delay is
/// rounded *up* to the next rung, so a message never becomes visible early and the number
/// of delay queues per target queue stays bounded (21 rungs, plus one per whole day).
///
/// 50ms, 100ms, 250ms, 500ms, 1s, 2s, 5s, 10s, 15s, 30s, 1m, 2m, 5m, 10m, 15m, 30m, 1h, 2h,
/// 6h, 12h, 1d; beyond that, whole days.
const LADDER_MS: [u64; 21] = [
    50, 100, 250, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000,
    600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000,
];

const DAY_MS: u64 = 86_400_000;

/// Older RabbitMQ releases refuse an `x-message-ttl` above 2^32 - 1 ms (about 49.7 days), so
/// longer delays are capped at 49 days rather than failing every time.
const MAX_DELAY_MS: u64 = 49 * DAY_MS;

/// The delay a message waits when `requested` is asked for: the next rung of the ladder.
pub(crate) fn ladder_delay(requested: Duration) -> Duration {
    let requested_ms = u64::try_from(requested.as_millis()).unwrap_or(u64::MAX);
    let rung = LADDER_MS
        .iter()
        .copied()
        .find(|&rung| rung >= requested_ms)
        .unwrap_or_else(|| requested_ms.div_ceil(DAY_MS).saturating_mul(DAY_MS));
    Duration::from_millis(rung.min(MAX_DELAY_MS))
}

/// A queue this crate declares, with the arguments it is declared with (which must be the
/// same every time, or the broker refuses the declaration).
#[derive(Debug, Clone)]
pub(crate) struct QueueSpec {
    name: ShortString,
    arguments: FieldTable,
}

impl QueueSpec {
    /// A work queue, as named by the caller.
    pub(crate) fn work(name: &str) -> Result<Self, QueueError> {
        Ok(QueueSpec {
            name: short_name(name)?,
            arguments: FieldTable::default(),
        })
    }

    /// The delay queue feeding `target` after `delay`, which must be a rung of the ladder.
    pub(crate) fn delay(target: &QueueSpec, delay: Duration) -> Result<Self, QueueError> {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        let mut arguments = FieldTable::default();
        arguments.insert(
            "x-message-ttl".into(),
            AMQPValue::LongLongInt(i64::try_from(ms).unwrap_or(i64::MAX)),
        );
        arguments.insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString("".into()),
        );
        arguments.insert(
            "x-dead-letter-routing-key".into(),
            AMQPValue::LongString(target.name.as_str().into()),
        );
        Ok(QueueSpec {
            name: short_name(&format!("{}.delay.{ms}", target.name))?,
            arguments,
        })
    }

    pub(crate) fn name(&self) -> &ShortString {
        &self.name
    }

    pub(crate) fn arguments(&self) -> &FieldTable {
        &self.arguments
    }
}

/// AMQP limits queue names to 255 bytes; a longer one is a caller's mistake.
fn short_name(name: &str) -> Result<ShortString, QueueError> {
    ShortString::try_new(name).map_err(|_| {
        QueueError::Refused(format!(
            "queue name is {} bytes long, AMQP allows at most 255",
            name.len()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(value: u64) -> Duration {
        Duration::from_millis(value)
    }

    #[test]
    fn delays_round_up_to_the_next_rung() {
        assert_eq!(ladder_delay(ms(1)), ms(50));
        assert_eq!(ladder_delay(ms(50)), ms(50));
        assert_eq!(ladder_delay(ms(51)), ms(100));
        assert_eq!(ladder_delay(ms(1_001)), ms(2_000));
        assert_eq!(ladder_delay(Duration::from_secs(45)), ms(60_000));
        assert_eq!(ladder_delay(Duration::from_secs(3 * 3600)), ms(21_600_000));
    }

    #[test]
    fn delays_beyond_the_ladder_use_whole_days_up_to_a_cap() {
        assert_eq!(ladder_delay(ms(DAY_MS)), ms(DAY_MS));
        assert_eq!(ladder_delay(ms(DAY_MS + 1)), ms(2 * DAY_MS));
        assert_eq!(ladder_delay(ms(10 * DAY_MS - 5)), ms(10 * DAY_MS));
        assert_eq!(
            ladder_delay(Duration::from_secs(u64::MAX)),
            ms(MAX_DELAY_MS)
        );
    }

    #[test]
    fn delay_queue_is_named_after_its_target_and_delay() {
        let target = QueueSpec::work("ns.fetch").expect("short name");
        let delay = QueueSpec::delay(&target, ms(2_000)).expect("short name");
        assert_eq!(delay.name().as_str(), "ns.fetch.delay.2000");
    }

    #[test]
    fn overlong_queue_names_are_refused() {
        let error = QueueSpec::work(&"q".repeat(256)).expect_err("too long");
        assert!(matches!(error, QueueError::Refused(_)));
    }
}
