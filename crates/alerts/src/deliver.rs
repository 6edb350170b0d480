//! One message to one destination: render it in the destination's format,
//! sign it when it goes to a generic webhook, and post it.

use moth_storage::alerts::{Destination, DestinationKind};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::config::DeliveryConfig;
use crate::format::{self, webhook};
use crate::message::Message;
use crate::send::{self, SendResult};
use crate::signature;

/// The exact bytes sent for `message` to a destination of `kind`.
pub fn body(kind: DestinationKind, message: &Message) -> Vec<u8> {
    serde_json::to_vec(&format::render(kind, message)).expect("JSON values serialise")
}

/// Headers sent beside `body`: for the generic webhook, the signature, the
/// timestamp, the message type and the delivery id.
pub fn headers(destination: &Destination, message: &Message, body: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if destination.kind != DestinationKind::Webhook {
        return headers;
    }
    let mut put = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), v);
        }
    };
    put(
        signature::SIGNATURE_HEADER,
        signature::sign(&destination.secret, body),
    );
    put(
        signature::TIMESTAMP_HEADER,
        message.sent_at.timestamp().to_string(),
    );
    put(
        signature::EVENT_HEADER,
        webhook::event_type(message).to_string(),
    );
    if let Some(id) = message.delivery_id {
        put(signature::DELIVERY_HEADER, id.to_string());
    }
    headers
}

/// Renders, signs and posts `message` to `destination`.
pub async fn deliver(
    config: &DeliveryConfig,
    destination: &Destination,
    message: &Message,
) -> SendResult {
    let body = body(destination.kind, message);
    let headers = headers(destination, message, &body);
    send::post(config, &destination.url, body, headers).await
}
