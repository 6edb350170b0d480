//! moth-alerts
