//! The delivery pipeline: the steps every event goes through, in this order, whatever the
//! receiver's profile.
//!
//! 1. [`select`]: does this target get this kind of event at all.
//! 2. [`shape`](mod@shape): the body value, with a large or unwanted page body left out
//!    (and stored, by the caller, before the request goes).
//! 3. [`encode`](mod@encode): the bytes, in the profile's encoding and compression.
//! 4. [`sign`](mod@sign): the headers that authenticate the request.
//! 5. [`send`](mod@send): the HTTP POST.
//!
//! Each step reads what it does from the target's [`DeliveryProfile`], so a new kind of
//! receiver is a new profile, not a new branch here. Steps 3 and 4 and the header
//! assembly are pure and run together in [`prepare`]; the caller
//! (`deliver::EventHandler`) keeps what needs the stores: storing a left-out body between
//! steps 2 and 3, and recording the outcome after step 5.
//!
//! [`DeliveryProfile`]: crate::profiles::DeliveryProfile

pub mod encode;
pub mod select;
pub mod send;
pub mod shape;
pub mod sign;

use crawler_core::EventEnvelope;

use crate::encoding::{Body, EncodeError};
use crate::headers::{webhook_headers, Ours};
use crate::signing::SigningError;
use crate::target::Target;

pub use select::select;
pub use send::{send, Request};
pub use shape::shape;

/// Why a request could not be made; the attempt then fails without being sent. The texts
/// are what the failed-deliveries listing shows.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("invalid_secret: {0}")]
    Secret(#[from] SigningError),
    #[error("encode_error: {0}")]
    Encode(#[from] EncodeError),
}

/// Encodes a shaped body, signs it and assembles the headers of one attempt.
/// `timestamp` is the attempt's time in seconds since the Unix epoch.
pub fn prepare(
    target: &Target,
    envelope: &EventEnvelope,
    body: &Body,
    timestamp: u64,
) -> Result<Request, PrepareError> {
    let job_id = envelope.job_id.to_string();
    prepare_message(target, &envelope.event_id, Some(&job_id), body, timestamp)
}

/// [`prepare`] for a message that may belong to no job (a test event).
pub fn prepare_message(
    target: &Target,
    id: &str,
    job_id: Option<&str>,
    body: &Body,
    timestamp: u64,
) -> Result<Request, PrepareError> {
    let encoded = encode::encode(target, body)?;
    let message = sign::Message {
        id,
        timestamp,
        body: &encoded.bytes,
    };
    let signature = sign::sign(target.profile.signing, &target.secret, &message)?;
    let endpoint = target
        .profile
        .endpoint_context
        .map(|context| (context.headers)(&target.recipient()))
        .unwrap_or_default();
    let headers = webhook_headers(
        &target.headers,
        target.profile,
        Ours {
            signature,
            endpoint,
            job_id,
            body: &encoded,
        },
    );
    Ok(Request {
        headers,
        body: encoded.bytes,
    })
}

#[cfg(test)]
pub(crate) mod tests;
