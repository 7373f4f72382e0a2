//! Two instances on one database, as behind a load balancer (F13, I5): what one instance
//! revokes, the other refuses at the very next request, and login throttling is shared. On
//! PostgreSQL (the multi-instance deployment) and on SQLite (two pools on one file).

use crate::common;

use common::{Backend, PASSWORD, create, new_client, role_id, signed_in, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(revocations_on_one_instance_hold_on_the_other, login_throttling_is_shared);

async fn revocations_on_one_instance_hold_on_the_other(backend: Backend) {
    let a = spawn_app(backend).await;
    let b = a.second_instance().await;
    let ada = a.admin("ada").await;
    let bob = create(&a, &ada, "bob", &[]).await;
    let carl = create(&a, &ada, "carl", &[]).await;
    // Cookies ignore the port: one client signs in on A and is then served by B.
    let bob_client = signed_in(&a, "bob").await;
    let carl_client = signed_in(&a, "carl").await;
    assert!(b.call_as(&bob_client, "me/profile", &[]).await.is_ok());
    assert!(b.call_as(&carl_client, "me/profile", &[]).await.is_ok());

    // Force logout on A: B refuses bob at once.
    let logout = json!({ "action": "ForceLogout", "selection": { "Users": [bob] } });
    assert!(a.call_json(&ada, "users/bulk", logout).await.is_ok());
    assert_eq!(b.call_as(&bob_client, "me/profile", &[]).await.status, StatusCode::UNAUTHORIZED);

    // Lock on A: B refuses carl at once, and refuses his password too.
    let lock = json!({ "action": "Lock", "selection": { "Users": [carl] } });
    assert!(a.call_json(&ada, "users/bulk", lock).await.is_ok());
    assert_eq!(b.call_as(&carl_client, "me/profile", &[]).await.status, StatusCode::UNAUTHORIZED);
    let relogin = b.call_as(&new_client(), "auth/login", &[("identifier", "carl"), ("password", common::NEW)]).await;
    assert_ne!(relogin.status, StatusCode::OK, "{relogin:?}");

    // Partner revoke on A: staff acting through B get DelegationEnded at the next request.
    let pete = a.admin("pete").await;
    let pete_id = a.call_as(&pete, "session/current", &[]).await.body["account"]["partner_id"].as_str().unwrap().to_owned();
    assert!(a.call_as(&ada, "partners/invite", &[("partner_id", &pete_id)]).await.is_ok());
    let link = a.call_as(&pete, "partners/list", &[]).await.body["links"][0]["id"].to_string();
    assert!(a.call_as(&pete, "partners/respond", &[("link_id", &link), ("accept", "true")]).await.is_ok());
    create(&a, &pete, "sam", &[]).await;
    let grant = [("link_id", link.clone()), ("user_id", a.user_id("sam").await.to_string()), ("role_id", role_id(&a, "user_manager").await.to_string())];
    let grant: Vec<(&str, &str)> = grant.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert!(a.call_as(&pete, "partners/grant", &grant).await.is_ok());
    let sam = signed_in(&b, "sam").await;
    common::enrol_totp(&b, &sam).await;
    let customer = b.call_as(&sam, "session/current", &[]).await.body["customers"][0]["account"]["id"].to_string();
    assert!(b.call_as(&sam, "partners/act_for", &[("account_id", &customer)]).await.is_ok());
    assert!(b.call_as(&sam, "users/list", &[]).await.is_ok());
    assert!(a.call_as(&ada, "partners/revoke", &[("link_id", &link)]).await.is_ok());
    let after = b.call_as(&sam, "users/list", &[]).await;
    assert_eq!((after.status, after.body), (StatusCode::FORBIDDEN, json!("DelegationEnded")));

    b.finish().await;
    a.finish().await;
}

async fn login_throttling_is_shared(backend: Backend) {
    let a = spawn_app(backend).await;
    let b = a.second_instance().await;
    assert!(a.register("jane", "jane@example.com").await.is_ok());
    // Five failures (the configured limit), alternating instances.
    for attempt in 0..5 {
        let instance = if attempt % 2 == 0 { &a } else { &b };
        let answer = instance.call_as(&new_client(), "auth/login", &[("identifier", "jane"), ("password", "wrong")]).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    for instance in [&a, &b] {
        let blocked = instance.call_as(&new_client(), "auth/login", &[("identifier", "jane"), ("password", PASSWORD)]).await;
        assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS, "{blocked:?}");
    }
    b.finish().await;
    a.finish().await;
}
