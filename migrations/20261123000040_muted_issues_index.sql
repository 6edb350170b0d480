-- The mute sweeper looks only at muted issues.
CREATE INDEX issues_muted ON issues (id) WHERE status = 'muted';
