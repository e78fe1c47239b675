//! The tick loop's lease. TTLs are real time (Redis expires the key by its own clock), so
//! these tests wait; the margins are several hundred milliseconds so a loaded machine's
//! scheduling delays cannot flip an answer.

use std::time::Duration;

use tokio::time::sleep;

use crate::common::Stores;

pub async fn second_holder_is_refused_while_the_lease_is_held(stores: Stores) {
    let ttl = Duration::from_millis(600);
    assert!(stores.a.acquire_lease("one", ttl).await.unwrap());
    assert!(!stores.b.acquire_lease("two", ttl).await.unwrap());
    assert!(!stores.a.acquire_lease("two", ttl).await.unwrap());

    sleep(ttl + Duration::from_millis(400)).await;
    assert!(
        stores.b.acquire_lease("two", ttl).await.unwrap(),
        "an expired lease is taken over"
    );
    assert!(
        !stores.a.acquire_lease("one", ttl).await.unwrap(),
        "the old holder lost it"
    );
}

pub async fn holder_renews_and_keeps_the_lease(stores: Stores) {
    let ttl = Duration::from_millis(1_000);
    let step = Duration::from_millis(600);
    assert!(stores.a.acquire_lease("one", ttl).await.unwrap());
    sleep(step).await;
    assert!(stores.a.acquire_lease("one", ttl).await.unwrap(), "renewed");
    sleep(step).await;
    // 1.2 s after the first acquire: without the renewal the lease would have expired.
    assert!(!stores.b.acquire_lease("two", ttl).await.unwrap());
    assert!(stores.b.acquire_lease("one", ttl).await.unwrap(), "renewed");
}

pub async fn released_lease_is_free_at_once(stores: Stores) {
    let ttl = Duration::from_secs(30);
    assert!(stores.a.acquire_lease("one", ttl).await.unwrap());
    stores.b.release_lease("two").await.unwrap();
    assert!(
        !stores.b.acquire_lease("two", ttl).await.unwrap(),
        "only the holder can release the lease"
    );
    stores.a.release_lease("one").await.unwrap();
    assert!(stores.b.acquire_lease("two", ttl).await.unwrap());
    stores.a.release_lease("one").await.unwrap();
    assert!(
        !stores.a.acquire_lease("one", ttl).await.unwrap(),
        "a former holder's release leaves its successor's lease alone"
    );
}
