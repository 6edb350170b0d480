//! moth-ui
