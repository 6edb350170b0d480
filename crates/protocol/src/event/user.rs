//! The user interface (sentry-protocol.md §6.5), the sender's IP address,
//! and how users are counted.

use std::net::IpAddr;

use serde_json::{Map, Value};

use super::ctx::Ctx;
use super::fields;

/// What SDKs write for "the IP this request comes from".
const AUTO_IP: &str = "{{auto}}";

/// Normalises `user` (or its alias) at path `user`: ids may be numbers
/// (made strings), `ip_address` must be an IP or `{{auto}}` (replaced by the
/// client's IP, or removed when unknown).
pub(crate) fn normalize_user(
    ctx: &mut Ctx,
    value: Value,
    client_ip: Option<IpAddr>,
) -> Option<Map<String, Value>> {
    ctx.at("user", |ctx| {
        let Value::Object(mut map) = value else {
            if !value.is_null() {
                ctx.invalid(&value);
            }
            return None;
        };
        let depth = ctx.limits.max_depth;
        let max_string = ctx.limits.max_string;
        map.retain(|key, value| {
            ctx.at(key, |ctx| match key.as_str() {
                "ip_address" => ip_address(ctx, value, client_ip),
                "id" | "email" | "username" | "name" | "segment" => {
                    fields::string(ctx, value, max_string) && value.as_str() != Some("")
                }
                "geo" | "data" => fields::object(ctx, value, depth),
                _ => fields::any(ctx, value, depth),
            })
        });
        Some(map)
    })
}

fn ip_address(ctx: &mut Ctx, value: &mut Value, client_ip: Option<IpAddr>) -> bool {
    let ip = match &*value {
        Value::String(s) if s.trim() == AUTO_IP => client_ip,
        Value::String(s) => match s.trim().parse::<IpAddr>() {
            Ok(ip) => Some(ip),
            Err(_) => {
                ctx.invalid(value);
                None
            }
        },
        Value::Null => None,
        other => {
            ctx.invalid(other);
            None
        }
    };
    match ip {
        Some(ip) => {
            *value = Value::String(ip.to_string());
            true
        }
        None => false,
    }
}

/// Fills `user.ip_address` when the SDK did not send one, as Relay does:
/// from `request.env.REMOTE_ADDR` (server SDKs behind a framework), else
/// from the client's IP when the SDK asks for it (`sdk.settings.infer_ip:
/// "auto"`) or, for SDKs that predate that setting, when the platform is a
/// client-side one (`javascript`, `cocoa`, `objc`) whose sender is the user.
pub(crate) fn infer_ip(
    user: &mut Option<Map<String, Value>>,
    request: Option<&Value>,
    platform: &str,
    sdk: Option<&Value>,
    client_ip: Option<IpAddr>,
) {
    if user.as_ref().is_some_and(|u| u.contains_key("ip_address")) {
        return;
    }
    let remote_addr = request
        .and_then(|r| r.get("env"))
        .and_then(|env| env.get("REMOTE_ADDR"))
        .and_then(Value::as_str)
        .and_then(|s| s.trim().parse::<IpAddr>().ok());
    let inferred = remote_addr.or_else(|| {
        let setting = sdk
            .and_then(|s| s.get("settings"))
            .and_then(|s| s.get("infer_ip"))
            .and_then(Value::as_str);
        let wanted = match setting {
            Some("auto") => true,
            Some("never") => false,
            _ => matches!(platform, "javascript" | "cocoa" | "objc"),
        };
        client_ip.filter(|_| wanted)
    });
    if let Some(ip) = inferred {
        user.get_or_insert_with(Map::new)
            .insert("ip_address".into(), Value::String(ip.to_string()));
    }
}

/// How Sentry counts distinct users: the first of `id:…`, `email:…`,
/// `username:…`, `ip:…`.
pub(crate) fn user_ident(user: Option<&Map<String, Value>>) -> Option<String> {
    let user = user?;
    for (key, prefix) in [
        ("id", "id:"),
        ("email", "email:"),
        ("username", "username:"),
        ("ip_address", "ip:"),
    ] {
        if let Some(v) = user
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            return Some(format!("{prefix}{v}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventLimits;
    use serde_json::json;

    fn ip() -> Option<IpAddr> {
        Some("203.0.113.7".parse().unwrap())
    }

    fn run(v: Value, client_ip: Option<IpAddr>) -> (Option<Map<String, Value>>, Vec<Value>) {
        let limits = EventLimits::default();
        let mut ctx = Ctx::new(&limits);
        let out = normalize_user(&mut ctx, v, client_ip);
        (out, ctx.into_notes())
    }

    #[test]
    fn fields_and_auto_ip() {
        let (u, notes) = run(
            json!({"id": 42, "email": "a@b.c", "username": "ada", "ip_address": "{{auto}}", "geo": {"city": "X"}, "extra": 1}),
            ip(),
        );
        assert_eq!(
            Value::Object(u.unwrap()),
            json!({"id": "42", "email": "a@b.c", "username": "ada", "ip_address": "203.0.113.7", "geo": {"city": "X"}, "extra": 1})
        );
        assert!(notes.is_empty());
        let (u, _) = run(json!({"ip_address": "{{auto}}", "username": "root"}), None);
        assert_eq!(Value::Object(u.unwrap()), json!({"username": "root"}));
        let (u, notes) = run(
            json!({"ip_address": "not-an-ip", "id": {"a": 1}, "geo": 5}),
            ip(),
        );
        assert_eq!(Value::Object(u.unwrap()), json!({}));
        let names: Vec<_> = notes.iter().map(|n| n["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["user.ip_address", "user.id", "user.geo"]);
        assert_eq!(run(json!("ada"), ip()).0, None);
    }

    #[test]
    fn ip_inference() {
        let infer =
            |user: Option<Value>, request: Option<Value>, platform: &str, sdk: Option<Value>| {
                let mut user = user.and_then(|u| u.as_object().cloned());
                infer_ip(&mut user, request.as_ref(), platform, sdk.as_ref(), ip());
                user.and_then(|u| u.get("ip_address").cloned())
            };
        assert_eq!(
            infer(None, None, "javascript", None),
            Some(json!("203.0.113.7"))
        );
        assert_eq!(infer(None, None, "python", None), None);
        assert_eq!(
            infer(
                None,
                None,
                "python",
                Some(json!({"settings": {"infer_ip": "auto"}}))
            ),
            Some(json!("203.0.113.7"))
        );
        assert_eq!(
            infer(
                None,
                None,
                "javascript",
                Some(json!({"settings": {"infer_ip": "never"}}))
            ),
            None
        );
        assert_eq!(
            infer(
                None,
                Some(json!({"env": {"REMOTE_ADDR": "10.1.2.3"}})),
                "python",
                None
            ),
            Some(json!("10.1.2.3"))
        );
        assert_eq!(
            infer(
                Some(json!({"ip_address": "1.1.1.1"})),
                None,
                "javascript",
                None
            ),
            Some(json!("1.1.1.1"))
        );
    }

    #[test]
    fn idents() {
        let ident = |v: Value| user_ident(v.as_object());
        assert_eq!(
            ident(json!({"id": "u-42", "email": "a@b"})).as_deref(),
            Some("id:u-42")
        );
        assert_eq!(
            ident(json!({"email": "a@b", "username": "x"})).as_deref(),
            Some("email:a@b")
        );
        assert_eq!(
            ident(json!({"username": "root"})).as_deref(),
            Some("username:root")
        );
        assert_eq!(
            ident(json!({"ip_address": "1.2.3.4"})).as_deref(),
            Some("ip:1.2.3.4")
        );
        assert_eq!(ident(json!({"name": "Ada"})), None);
        assert_eq!(user_ident(None), None);
    }
}
