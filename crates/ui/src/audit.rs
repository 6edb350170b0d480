//! Writing the audit log (and the matching operator log line). The actions
//! are a closed list so that the admin page and any tool reading the table
//! see one vocabulary.

use moth_storage::audit::{AuditUser, NewAuditEntry};
use moth_storage::Database;
use serde_json::Value;

/// Everything the audit log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    SignIn,
    SignInFailed,
    SignInThrottled,
    SignOut,
    FirstAdminCreated,
    UserAdded,
    UserRemoved,
    RoleChanged,
    PasswordChanged,
    PasswordReset,
    MemberAdded,
    MemberRemoved,
    ProjectCreated,
    TokenCreated,
    TokenRevoked,
    AlertAdded,
    AlertEdited,
    AlertEnabled,
    AlertDisabled,
    AlertDeleted,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "user.sign_in",
            Self::SignInFailed => "user.sign_in_failed",
            Self::SignInThrottled => "user.sign_in_throttled",
            Self::SignOut => "user.sign_out",
            Self::FirstAdminCreated => "setup.first_admin",
            Self::UserAdded => "user.add",
            Self::UserRemoved => "user.remove",
            Self::RoleChanged => "user.role_change",
            Self::PasswordChanged => "user.password_change",
            Self::PasswordReset => "user.password_reset",
            Self::MemberAdded => "project.member_add",
            Self::MemberRemoved => "project.member_remove",
            Self::ProjectCreated => "project.create",
            Self::TokenCreated => "token.create",
            Self::TokenRevoked => "token.revoke",
            Self::AlertAdded => "alert.add",
            Self::AlertEdited => "alert.edit",
            Self::AlertEnabled => "alert.enable",
            Self::AlertDisabled => "alert.disable",
            Self::AlertDeleted => "alert.delete",
        }
    }
}

/// One entry, built up and then written with [`Audit::write`].
pub struct Audit<'a> {
    entry: NewAuditEntry<'a>,
}

impl<'a> Audit<'a> {
    pub fn new(action: AuditAction) -> Self {
        Self {
            entry: NewAuditEntry {
                action: action.as_str(),
                actor: None,
                target: None,
                project_id: None,
                details: Value::Object(Default::default()),
                client_addr: None,
            },
        }
    }

    pub fn actor(mut self, id: Option<i64>, email: &'a str) -> Self {
        self.entry.actor = Some(AuditUser { id, email });
        self
    }

    pub fn target(mut self, id: Option<i64>, email: &'a str) -> Self {
        self.entry.target = Some(AuditUser { id, email });
        self
    }

    pub fn project(mut self, id: i64) -> Self {
        self.entry.project_id = Some(id);
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.entry.details = details;
        self
    }

    pub fn from_addr(mut self, addr: &'a str) -> Self {
        self.entry.client_addr = Some(addr);
        self
    }

    /// Writes the entry. The change it records has happened already, so a
    /// failure here is logged rather than turned into an error page.
    pub async fn write(self, db: &Database) {
        let e = &self.entry;
        tracing::info!(
            action = e.action,
            actor = e.actor.map(|u| u.email),
            target = e.target.map(|u| u.email),
            project_id = e.project_id,
            client_addr = e.client_addr,
            "audit"
        );
        if let Err(err) = db.record_audit(e).await {
            tracing::error!(action = e.action, error = %err, "could not write the audit log");
        }
    }
}
