//! The response and request schemas of the OpenAPI document (JSON Schema
//! 2020-12, as OpenAPI 3.1 uses it). They describe what the serialisers in
//! `issue_json`, `event_json`, `entries`, `projects` and `tags` produce;
//! the end-to-end tests validate real answers against them.

use serde_json::{json, Map, Value};

pub(super) fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn nullable(kind: &str) -> Value {
    json!({ "type": [kind, "null"] })
}

fn time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": properties })
}

fn array_of(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

/// `#/components/schemas`.
pub(super) fn schemas() -> Value {
    let mut all = Map::new();
    for group in [
        group0(),
        group1(),
        group2(),
        group3(),
        group4(),
        group5(),
        group6(),
        group7(),
    ] {
        if let Value::Object(m) = group {
            all.extend(m);
        }
    }
    Value::Object(all)
}

fn numeric_id() -> Value {
    json!({ "type": "string", "pattern": "^[0-9]+$" })
}

fn hex32() -> Value {
    json!({ "type": "string", "pattern": "^[0-9a-f]{32}$" })
}

fn series() -> Value {
    array_of(json!({
        "type": "array", "prefixItems": [{"type": "integer"}, {"type": "integer"}],
        "minItems": 2, "maxItems": 2,
    }))
}

fn group0() -> Value {
    let (numeric_id, hex32, series) = (numeric_id(), hex32(), series());
    let _ = (&numeric_id, &hex32, &series);
    json!({
        "Error": object(&["detail"], json!({ "detail": {"type": "string"} })),
        "Organization": object(&["slug", "name"], json!({
            "slug": {"type": "string"}, "name": {"type": "string"},
        })),
        "Project": object(
            &["id", "slug", "name", "platform", "dateCreated", "hasAccess", "status", "organization"],
            json!({
                "id": numeric_id, "slug": {"type": "string"}, "name": {"type": "string"},
                "platform": nullable("string"), "dateCreated": time(),
                "isBookmarked": {"type": "boolean"}, "isMember": {"type": "boolean"},
                "hasAccess": {"type": "boolean"}, "features": array_of(json!({"type": "string"})),
                "status": {"const": "active"}, "organization": schema_ref("Organization"),
            }),
        ),
        "ProjectKey": object(
            &["id", "name", "label", "public", "secret", "projectId", "isActive", "dsn", "dateCreated"],
            json!({
                "id": {"type": "string"}, "name": {"type": "string"}, "label": {"type": "string"},
                "public": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                "secret": {"type": "null", "description": "Moth keys have no secret part."},
                "projectId": {"type": "integer"}, "isActive": {"type": "boolean"},
                "rateLimit": {"type": "null"},
                "dsn": object(&["public", "secret"], json!({
                    "public": {"type": "string"}, "secret": {"type": "string"},
                })),
                "dateCreated": time(),
            }),
        ),
    })
}

fn group1() -> Value {
    let (numeric_id, hex32, series) = (numeric_id(), hex32(), series());
    let _ = (&numeric_id, &hex32, &series);
    json!({
        "IssueProject": object(&["id", "name", "slug", "platform"], json!({
            "id": numeric_id, "name": {"type": "string"}, "slug": {"type": "string"},
            "platform": nullable("string"),
        })),
        "Release": {
            "oneOf": [
                {"type": "null"},
                object(&["version"], json!({
                    "version": {"type": "string"}, "shortVersion": {"type": "string"},
                })),
            ],
        },
        "StatusDetails": {
            "type": "object",
            "description": "Empty, or what the resolution or ignore (mute) was given.",
            "properties": {
                "inNextRelease": {"type": "boolean"}, "inRelease": {"type": "string"},
                "ignoreCount": nullable("integer"), "ignoreUntil": {"type": ["string", "null"], "format": "date-time"},
                "ignoreUserCount": nullable("integer"), "ignoreWindow": nullable("integer"),
                "ignoreUserWindow": nullable("integer"), "actor": {"type": "null"},
            },
        },
    })
}

fn group2() -> Value {
    let (numeric_id, hex32, series) = (numeric_id(), hex32(), series());
    let _ = (&numeric_id, &hex32, &series);
    json!({
        "Issue": object(
            &["id", "shortId", "title", "culprit", "permalink", "level", "status", "statusDetails",
              "isPublic", "platform", "project", "type", "metadata", "count", "userCount",
              "firstSeen", "lastSeen", "firstRelease", "lastRelease", "assignedTo",
              "isBookmarked", "isSubscribed", "hasSeen", "annotations", "numComments"],
            json!({
                "id": numeric_id, "shareId": {"type": "null"}, "shortId": {"type": "string"},
                "title": {"type": "string"}, "culprit": {"type": "string"},
                "permalink": {"type": "string"}, "logger": nullable("string"),
                "level": {"enum": ["debug", "info", "warning", "error", "fatal"]},
                "status": {"enum": ["unresolved", "resolved", "ignored"]},
                "statusDetails": schema_ref("StatusDetails"),
                "isPublic": {"type": "boolean"}, "platform": nullable("string"),
                "project": schema_ref("IssueProject"), "type": {"type": "string"},
                "metadata": {"type": "object"}, "numComments": {"type": "integer"},
                "assignedTo": {"type": "null"}, "isBookmarked": {"type": "boolean"},
                "isSubscribed": {"type": "boolean"}, "subscriptionDetails": {"type": "null"},
                "hasSeen": {"type": "boolean"}, "annotations": {"type": "array"},
                "count": {"type": "string", "pattern": "^[0-9]+$"},
                "userCount": {"type": "integer", "minimum": 0},
                "firstSeen": time(), "lastSeen": time(),
                "firstRelease": schema_ref("Release"), "lastRelease": schema_ref("Release"),
                "stats": {"type": "object", "additionalProperties": series},
            }),
        ),
        "IssueDetails": {
            "allOf": [
                schema_ref("Issue"),
                object(&["activity", "stats", "tags"], json!({
                    "activity": array_of(object(&["id", "type", "data", "dateCreated", "user"], json!({
                        "id": numeric_id, "type": {"type": "string"}, "data": {},
                        "dateCreated": time(), "user": {"type": ["object", "null"]},
                    }))),
                    "stats": object(&["24h", "30d"], json!({ "24h": series, "30d": series })),
                    "tags": array_of(object(&["key", "name", "totalValues"], json!({
                        "key": {"type": "string"}, "name": {"type": "string"},
                        "totalValues": {"type": "integer"},
                    }))),
                })),
            ],
        },
    })
}

fn group3() -> Value {
    let (numeric_id, hex32, series) = (numeric_id(), hex32(), series());
    let _ = (&numeric_id, &hex32, &series);
    json!({
        "IssueUpdate": {
            "type": "object",
            "properties": {
                "status": {"enum": ["resolved", "resolvedInNextRelease", "unresolved", "ignored"]},
                "statusDetails": {
                    "type": "object",
                    "properties": {
                        "inNextRelease": {"type": "boolean"}, "inRelease": {"type": "string"},
                        "ignoreDuration": {"type": "integer", "minimum": 1},
                        "ignoreUntil": {"type": "string", "format": "date-time"},
                        "ignoreCount": {"type": "integer", "minimum": 1},
                        "ignoreWindow": {"type": "integer", "minimum": 1, "maximum": 10080},
                        "ignoreUserCount": {"type": "integer", "minimum": 1},
                        "ignoreUserWindow": {"type": "integer", "minimum": 1, "maximum": 10080},
                    },
                },
                "merge": {"type": "boolean", "description": "Bulk only: merge the issues into the one with most events."},
            },
        },
        "BulkUpdateResult": {
            "type": "object",
            "properties": {
                "status": {"enum": ["resolved", "unresolved", "ignored"]},
                "statusDetails": schema_ref("StatusDetails"),
                "merge": object(&["parent", "children"], json!({
                    "parent": numeric_id, "children": array_of(numeric_id),
                })),
            },
        },
    })
}

fn group4() -> Value {
    let (numeric_id, hex32, series) = (numeric_id(), hex32(), series());
    let _ = (&numeric_id, &hex32, &series);
    json!({
        "EventTag": object(&["key", "value"], json!({
            "key": {"type": "string"}, "value": {"type": "string"}, "query": {"type": "string"},
        })),
        "EventUser": {"type": ["object", "null"], "properties": {
            "id": nullable("string"), "email": nullable("string"), "username": nullable("string"),
            "ip_address": nullable("string"), "name": nullable("string"),
            "data": {"type": ["object", "null"]},
        }},
        "EventSummary": object(
            &["id", "eventID", "groupID", "projectID", "title", "message", "platform",
              "dateCreated", "tags", "user", "event.type"],
            json!({
                "id": hex32, "eventID": hex32, "groupID": numeric_id, "projectID": numeric_id,
                "title": {"type": "string"}, "message": {"type": "string"},
                "culprit": nullable("string"), "location": {"type": "null"},
                "platform": nullable("string"), "dateCreated": time(),
                "tags": array_of(schema_ref("EventTag")), "user": schema_ref("EventUser"),
                "event.type": {"type": "string"}, "crashFile": {"type": "null"},
            }),
        ),
    })
}

fn group5() -> Value {
    let (numeric_id, hex32, series) = (numeric_id(), hex32(), series());
    let _ = (&numeric_id, &hex32, &series);
    json!({
        "Frame": object(&["filename", "absPath", "module", "function", "context", "lineNo", "colNo", "inApp", "vars"],
            json!({
                "filename": nullable("string"), "absPath": nullable("string"),
                "module": nullable("string"), "package": nullable("string"),
                "platform": nullable("string"), "function": nullable("string"),
                "rawFunction": nullable("string"), "symbol": nullable("string"),
                "instructionAddr": nullable("string"), "symbolAddr": nullable("string"),
                "context": array_of(json!({"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "minItems": 2, "maxItems": 2})),
                "lineNo": {"type": ["integer", "null"], "minimum": 0},
                "colNo": {"type": ["integer", "null"], "minimum": 0},
                "inApp": {"type": "boolean"}, "trust": nullable("string"),
                "vars": {"type": ["object", "null"]},
            })),
        "Stacktrace": {"type": ["object", "null"], "required": ["frames", "hasSystemFrames"], "properties": {
            "frames": array_of(schema_ref("Frame")), "hasSystemFrames": {"type": "boolean"},
        }},
        "Entry": {
            "type": "object", "required": ["type", "data"],
            "properties": {
                "type": {"enum": ["exception", "message", "stacktrace", "threads", "breadcrumbs", "request"]},
                "data": {"type": "object"},
            },
            "oneOf": [
                entry("exception", object(&["values", "hasSystemFrames"], json!({
                    "values": array_of(object(&["type", "value", "module", "mechanism", "stacktrace"], json!({
                        "type": nullable("string"), "value": nullable("string"),
                        "module": nullable("string"), "mechanism": {"type": ["object", "null"]},
                        "stacktrace": schema_ref("Stacktrace"),
                    }))),
                    "hasSystemFrames": {"type": "boolean"},
                }))),
                entry("message", object(&["formatted"], json!({
                    "formatted": {"type": "string"}, "message": nullable("string"),
                }))),
                entry("stacktrace", schema_ref("Stacktrace")),
                entry("threads", object(&["values"], json!({"values": {"type": "array"}}))),
                entry("breadcrumbs", object(&["values"], json!({
                    "values": array_of(object(&["type", "level", "category", "message", "timestamp"], json!({
                        "type": {"type": "string"}, "level": {"type": "string"},
                        "category": nullable("string"), "message": nullable("string"),
                        "timestamp": nullable("string"), "data": {"type": ["object", "null"]},
                    }))),
                }))),
                entry("request", object(&["url", "method", "headers", "query"], json!({
                    "url": nullable("string"), "method": nullable("string"),
                    "headers": array_of(json!({"type": "array", "minItems": 2, "maxItems": 2})),
                    "query": {"type": "array"}, "cookies": {"type": "array"},
                }))),
            ],
        },
    })
}

fn group6() -> Value {
    let (numeric_id, hex32, series) = (numeric_id(), hex32(), series());
    let _ = (&numeric_id, &hex32, &series);
    json!({
        "Event": object(
            &["id", "eventID", "groupID", "projectID", "title", "message", "platform", "type",
              "dateCreated", "dateReceived", "tags", "entries", "user", "contexts", "sdk",
              "errors", "metadata", "release"],
            json!({
                "id": hex32, "eventID": hex32, "groupID": numeric_id, "projectID": numeric_id,
                "title": {"type": "string"}, "message": {"type": "string"},
                "culprit": nullable("string"), "platform": nullable("string"),
                "type": {"type": "string"}, "dateCreated": time(), "dateReceived": time(),
                "tags": array_of(schema_ref("EventTag")), "entries": array_of(schema_ref("Entry")),
                "user": schema_ref("EventUser"), "contexts": {"type": "object"},
                "sdk": {"type": ["object", "null"]}, "context": {"type": "object"},
                "packages": {"type": "object"}, "metadata": {"type": "object"},
                "errors": array_of(object(&["type", "message", "data"], json!({
                    "type": {"type": "string"}, "message": {"type": "string"}, "data": {"type": "object"},
                }))),
                "release": schema_ref("Release"), "environment": nullable("string"),
                "dist": nullable("string"),
            }),
        ),
        "EventDetails": {
            "allOf": [
                schema_ref("Event"),
                object(&["previousEventID", "nextEventID", "userReport"], json!({
                    "previousEventID": {"oneOf": [{"type": "null"}, hex32]},
                    "nextEventID": {"oneOf": [{"type": "null"}, hex32]},
                    "userReport": {"type": ["object", "null"]},
                })),
            ],
        },
    })
}

fn group7() -> Value {
    let (numeric_id, hex32, series) = (numeric_id(), hex32(), series());
    let _ = (&numeric_id, &hex32, &series);
    json!({
        "TagValue": object(&["key", "name", "value", "count", "firstSeen", "lastSeen"], json!({
            "key": {"type": "string"}, "name": {"type": "string"}, "value": {"type": "string"},
            "count": {"type": "integer", "minimum": 0}, "firstSeen": time(), "lastSeen": time(),
        })),
        "Tag": object(&["key", "name", "totalValues", "uniqueValues", "topValues"], json!({
            "key": {"type": "string"}, "name": {"type": "string"},
            "totalValues": {"type": "integer"}, "uniqueValues": {"type": "integer"},
            "topValues": array_of(schema_ref("TagValue")),
        })),
    })
}

/// One kind of entry: its `type` and the shape of its `data`.
fn entry(kind: &str, data: Value) -> Value {
    json!({ "properties": { "type": {"const": kind}, "data": data } })
}
