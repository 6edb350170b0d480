-- Keyset pagination of the issue list for every sort order, with and
-- without a status filter, stays an index scan at 100,000+ issues.
CREATE INDEX issues_project_status_first_seen ON issues (project_id, status, first_seen DESC, id DESC);
CREATE INDEX issues_project_status_times_seen ON issues (project_id, status, times_seen DESC, id DESC);
CREATE INDEX issues_project_status_users_seen ON issues (project_id, status, users_seen DESC, id DESC);
CREATE INDEX issues_project_last_seen_all ON issues (project_id, last_seen DESC, id DESC);
