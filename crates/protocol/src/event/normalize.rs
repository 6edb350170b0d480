//! The top level of normalisation: sorts the payload's keys into known
//! attributes (resolving legacy aliases), runs each attribute's normaliser,
//! derives tags, and assembles the canonical event object.

use serde_json::{Map, Value};

use super::attrs::{self, MAX_LOGGER, MAX_TRANSACTION};
use super::breadcrumbs::normalize_breadcrumbs;
use super::contexts::{derive_from_user_agent, normalize_contexts};
use super::ctx::{note, Ctx};
use super::derived::{add_derived_tags, Sources};
use super::exception::{adopt_stacktrace, normalize_exceptions};
use super::level::Level;
use super::request::{header, normalize_request};
use super::stacktrace::normalize_stacktrace;
use super::tags::{normalize_tags, to_json};
use super::threads::normalize_threads;
use super::timestamp::{format_timestamp, parse_timestamp, MAX_FUTURE, MAX_PAST};
use super::trim::{bag, bag_at};
use super::user::{infer_ip, normalize_user, user_ident};
use super::values::container;
use super::{NormalizeOptions, NormalizedEvent};
use crate::event_id::EventId;

/// The top-level attributes Moth interprets.
#[derive(Clone, Copy)]
enum Field {
    EventId,
    Timestamp,
    Level,
    Platform,
    Logger,
    Transaction,
    Culprit,
    ServerName,
    Site,
    Release,
    Dist,
    Environment,
    Message,
    LogEntry,
    Exception,
    Threads,
    Stacktrace,
    Breadcrumbs,
    Request,
    User,
    Contexts,
    Tags,
    Extra,
    Fingerprint,
    Modules,
    Sdk,
    Errors,
    Type,
}

const FIELDS: usize = Field::Type as usize + 1;

/// How a top-level key is treated.
enum Key {
    /// The attribute itself.
    Canonical(Field),
    /// A legacy `sentry.interfaces.*` name: used when the attribute is absent.
    Alias(Field),
    /// Server-internal; whatever a client sends is discarded.
    Internal,
    /// Unknown: kept as sent, within the bag limits.
    Other,
}

fn classify(key: &str) -> Key {
    use Field as F;
    match key {
        "event_id" => Key::Canonical(F::EventId),
        "timestamp" => Key::Canonical(F::Timestamp),
        "level" => Key::Canonical(F::Level),
        "platform" => Key::Canonical(F::Platform),
        "logger" => Key::Canonical(F::Logger),
        "transaction" => Key::Canonical(F::Transaction),
        "culprit" => Key::Canonical(F::Culprit),
        "server_name" => Key::Canonical(F::ServerName),
        "site" => Key::Canonical(F::Site),
        "release" => Key::Canonical(F::Release),
        "dist" => Key::Canonical(F::Dist),
        "environment" => Key::Canonical(F::Environment),
        "message" => Key::Canonical(F::Message),
        "logentry" => Key::Canonical(F::LogEntry),
        "sentry.interfaces.Message" => Key::Alias(F::LogEntry),
        "exception" => Key::Canonical(F::Exception),
        "sentry.interfaces.Exception" => Key::Alias(F::Exception),
        "threads" => Key::Canonical(F::Threads),
        "stacktrace" => Key::Canonical(F::Stacktrace),
        "sentry.interfaces.Stacktrace" => Key::Alias(F::Stacktrace),
        "breadcrumbs" => Key::Canonical(F::Breadcrumbs),
        "sentry.interfaces.Breadcrumbs" => Key::Alias(F::Breadcrumbs),
        "request" => Key::Canonical(F::Request),
        "sentry.interfaces.Http" => Key::Alias(F::Request),
        "user" => Key::Canonical(F::User),
        "sentry.interfaces.User" => Key::Alias(F::User),
        "contexts" => Key::Canonical(F::Contexts),
        "sentry.interfaces.Contexts" => Key::Alias(F::Contexts),
        "tags" => Key::Canonical(F::Tags),
        "extra" => Key::Canonical(F::Extra),
        "fingerprint" => Key::Canonical(F::Fingerprint),
        "modules" => Key::Canonical(F::Modules),
        "sdk" => Key::Canonical(F::Sdk),
        "errors" => Key::Canonical(F::Errors),
        "type" => Key::Canonical(F::Type),
        "received" | "project" | "key_id" | "hashes" | "metadata" | "title" | "grouping_config"
        | "main_exception_id" => Key::Internal,
        _ => Key::Other,
    }
}

/// The payload's keys sorted by treatment.
struct Fields {
    canonical: [Option<Value>; FIELDS],
    alias: [Option<Value>; FIELDS],
    other: Vec<(String, Value)>,
}

impl Fields {
    fn split(input: Map<String, Value>) -> Fields {
        let mut fields = Fields {
            canonical: std::array::from_fn(|_| None),
            alias: std::array::from_fn(|_| None),
            other: Vec::new(),
        };
        for (key, value) in input {
            match classify(&key) {
                Key::Canonical(f) => fields.canonical[f as usize] = Some(value),
                Key::Alias(f) => fields.alias[f as usize] = Some(value),
                Key::Internal => {}
                Key::Other => fields.other.push((key, value)),
            }
        }
        fields
    }

    /// The attribute, else its alias; `null` counts as absent.
    fn take(&mut self, f: Field) -> Option<Value> {
        let canonical = self.canonical[f as usize].take().filter(|v| !v.is_null());
        let alias = self.alias[f as usize].take().filter(|v| !v.is_null());
        canonical.or(alias)
    }
}

pub(super) fn normalize(input: Map<String, Value>, opts: &NormalizeOptions) -> NormalizedEvent {
    let mut ctx = Ctx::new(&opts.limits);
    let mut f = Fields::split(input);
    let received = opts.received_at;

    let payload_id = f.take(Field::EventId);
    let event_id = match (opts.envelope_event_id, payload_id) {
        (Some(id), _) => id,
        (None, None) => EventId::new_random(),
        (None, Some(value)) => match value.as_str().and_then(|s| EventId::parse(s.trim())) {
            Some(id) => id,
            None => {
                ctx.at("event_id", |ctx| ctx.invalid(&value));
                EventId::new_random()
            }
        },
    };

    let timestamp = match f.take(Field::Timestamp) {
        None => received,
        Some(value) => ctx.at("timestamp", |ctx| match parse_timestamp(&value) {
            None => {
                ctx.invalid(&value);
                received
            }
            Some(t) if t > received + MAX_FUTURE => {
                ctx.note(
                    note::FUTURE_TIMESTAMP,
                    "",
                    Value::String(format_timestamp(t)),
                    &[],
                );
                received
            }
            Some(t) if t < received - MAX_PAST => {
                ctx.note(
                    note::PAST_TIMESTAMP,
                    "",
                    Value::String(format_timestamp(t)),
                    &[],
                );
                received
            }
            Some(t) => t,
        }),
    };

    let level = match f.take(Field::Level) {
        None => Level::Error,
        Some(value) => Level::from_json(&value).unwrap_or_else(|| {
            ctx.at("level", |ctx| ctx.invalid(&value));
            Level::Error
        }),
    };

    let max_string = ctx.limits.max_string;
    let platform = text(&mut ctx, &mut f, Field::Platform, "platform", MAX_LOGGER)
        .unwrap_or_else(|| "other".to_owned());
    let logger = text(&mut ctx, &mut f, Field::Logger, "logger", MAX_LOGGER);
    let transaction = text(
        &mut ctx,
        &mut f,
        Field::Transaction,
        "transaction",
        MAX_TRANSACTION,
    );
    let culprit = text(&mut ctx, &mut f, Field::Culprit, "culprit", MAX_TRANSACTION);
    let server_name = text(
        &mut ctx,
        &mut f,
        Field::ServerName,
        "server_name",
        max_string,
    );
    let site = text(&mut ctx, &mut f, Field::Site, "site", max_string);
    let event_type = text(&mut ctx, &mut f, Field::Type, "type", MAX_LOGGER);

    let release = f
        .take(Field::Release)
        .and_then(|v| ctx.at("release", |ctx| attrs::release(ctx, v)));
    let dist = f
        .take(Field::Dist)
        .and_then(|v| ctx.at("dist", |ctx| attrs::dist(ctx, v)));
    let mut environment = f
        .take(Field::Environment)
        .and_then(|v| ctx.at("environment", |ctx| attrs::environment(ctx, v)));

    let logentry =
        super::logentry::normalize(&mut ctx, f.take(Field::LogEntry), f.take(Field::Message));

    let mut exceptions = f
        .take(Field::Exception)
        .map(|v| normalize_exceptions(&mut ctx, v))
        .unwrap_or_default();
    let mut stacktrace = f
        .take(Field::Stacktrace)
        .and_then(|v| ctx.at("stacktrace", |ctx| normalize_stacktrace(ctx, v)));
    if let Some(st) = stacktrace.take() {
        stacktrace = adopt_stacktrace(&mut exceptions, st);
    }
    let threads = f
        .take(Field::Threads)
        .map(|v| normalize_threads(&mut ctx, v));
    let breadcrumbs = f
        .take(Field::Breadcrumbs)
        .map(|v| normalize_breadcrumbs(&mut ctx, v));
    let request = f
        .take(Field::Request)
        .and_then(|v| normalize_request(&mut ctx, v));

    let mut contexts = f
        .take(Field::Contexts)
        .and_then(|v| normalize_contexts(&mut ctx, v));
    if let Some(ua) = header(request.as_ref(), "user-agent") {
        derive_from_user_agent(&mut contexts, ua);
    }

    let sdk = f
        .take(Field::Sdk)
        .and_then(|v| ctx.at("sdk", |ctx| attrs::object_bag(ctx, v)));
    let mut user = f
        .take(Field::User)
        .and_then(|v| normalize_user(&mut ctx, v, opts.client_ip));
    infer_ip(
        &mut user,
        request.as_ref(),
        &platform,
        sdk.as_ref(),
        opts.client_ip,
    );
    let user_ident = user_ident(user.as_ref());

    let (mut tags, environment_tag) = match f.take(Field::Tags) {
        Some(v) => normalize_tags(&mut ctx, v),
        None => Default::default(),
    };
    if environment.is_none() {
        if let Some(env) = environment_tag {
            environment = ctx.at("tags.environment", |ctx| {
                attrs::environment(ctx, Value::String(env))
            });
        }
    }

    let extra = f
        .take(Field::Extra)
        .and_then(|v| ctx.at("extra", |ctx| attrs::object_bag(ctx, v)));
    let fingerprint = f
        .take(Field::Fingerprint)
        .and_then(|v| ctx.at("fingerprint", |ctx| attrs::fingerprint(ctx, v)));
    let modules = f
        .take(Field::Modules)
        .and_then(|v| ctx.at("modules", |ctx| attrs::modules(ctx, v)));
    let sdk_errors = f
        .take(Field::Errors)
        .map(|v| sdk_errors(&mut ctx, v))
        .unwrap_or_default();

    let depth = ctx.limits.max_depth;
    let mut other = std::mem::take(&mut f.other);
    for (key, value) in &mut other {
        bag_at(&mut ctx, key, value, depth);
    }

    add_derived_tags(
        &ctx,
        &mut tags,
        &Sources {
            level,
            environment: environment.as_deref(),
            release: release.as_deref(),
            dist: dist.as_deref(),
            server_name: server_name.as_deref(),
            site: site.as_deref(),
            transaction: transaction.as_deref(),
            logger: logger.as_deref(),
            request: request.as_ref(),
            user_ident: user_ident.as_deref(),
            contexts: contexts.as_ref(),
            exceptions: &exceptions,
        },
    );
    let tags = tags.into_pairs();

    let event_type = event_type.unwrap_or_else(|| {
        if exceptions.is_empty() {
            "default"
        } else {
            "error"
        }
        .to_owned()
    });

    // Assemble in a fixed, readable order; unknown keys follow in the order
    // sent, and `errors` comes last.
    let mut data = Map::with_capacity(32 + other.len());
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            data.insert(key.to_owned(), value);
        }
    };
    let string = |s: &Option<String>| s.clone().map(Value::String);
    put("event_id", Some(Value::String(event_id.to_string())));
    put(
        "timestamp",
        Some(Value::String(format_timestamp(timestamp))),
    );
    put("received", Some(Value::String(format_timestamp(received))));
    put("level", Some(Value::String(level.as_str().to_owned())));
    put("platform", Some(Value::String(platform.clone())));
    put("type", Some(Value::String(event_type)));
    put("logger", string(&logger));
    put("transaction", string(&transaction));
    put("culprit", culprit.map(Value::String));
    put("server_name", string(&server_name));
    put("site", site.map(Value::String));
    put("release", string(&release));
    put("dist", dist.map(Value::String));
    put("environment", string(&environment));
    put("logentry", logentry);
    put(
        "exception",
        (!exceptions.is_empty()).then(|| container(exceptions)),
    );
    put("stacktrace", stacktrace);
    put("threads", threads.filter(|t| !t.is_empty()).map(container));
    put(
        "breadcrumbs",
        breadcrumbs.filter(|b| !b.is_empty()).map(container),
    );
    put("request", request);
    put("user", user.map(Value::Object));
    put(
        "contexts",
        contexts.filter(|c| !c.is_empty()).map(Value::Object),
    );
    put("tags", Some(to_json(&tags)));
    put("extra", extra);
    put("fingerprint", fingerprint);
    put("modules", modules);
    put("sdk", sdk);
    for (key, value) in other {
        data.insert(key, value);
    }
    let mut errors = sdk_errors;
    errors.extend(ctx.into_notes());
    if !errors.is_empty() {
        data.insert("errors".to_owned(), Value::Array(errors));
    }

    NormalizedEvent {
        event_id,
        timestamp,
        level,
        platform,
        release,
        environment,
        transaction,
        user_ident,
        tags,
        data: Value::Object(data),
    }
}

/// A free-text attribute (see [`attrs::text`]) at its own path.
fn text(ctx: &mut Ctx, f: &mut Fields, field: Field, key: &str, max: usize) -> Option<String> {
    let value = f.take(field)?;
    ctx.at(key, |ctx| attrs::text(ctx, value, max))
}

/// The SDK's own `errors`: kept (bounded), before Moth's notes.
fn sdk_errors(ctx: &mut Ctx, value: Value) -> Vec<Value> {
    ctx.at("errors", |ctx| {
        let Value::Array(mut errors) = value else {
            ctx.invalid(&value);
            return Vec::new();
        };
        let max = ctx.limits.max_errors;
        if errors.len() > max {
            ctx.too_many(errors.len(), max);
            errors.truncate(max);
        }
        let mut errors = Value::Array(errors);
        let depth = ctx.limits.max_depth;
        bag(ctx, &mut errors, depth);
        match errors {
            Value::Array(errors) => errors,
            _ => Vec::new(),
        }
    })
}
