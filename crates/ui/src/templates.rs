//! The page templates: minijinja, from the top-level `templates/`
//! directory, embedded at compile time (see `build.rs`). Names end in
//! `.html`, so every `{{ value }}` is HTML-escaped; `|safe` is never used
//! (a test fails if a template does), so hostile event data stays text.

use minijinja::{context, Environment, Value};

use crate::auth::CurrentUser;
use crate::UiError;

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// The loaded templates, parsed once at start.
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Parses every embedded template.
    pub fn load() -> Result<Self, UiError> {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)?;
        }
        Ok(Self { env })
    }

    /// Every embedded template, as `(name, source)`.
    pub fn sources() -> &'static [(&'static str, &'static str)] {
        TEMPLATES
    }

    /// Renders a template with exactly `ctx`.
    pub fn render(&self, name: &str, ctx: Value) -> Result<String, UiError> {
        Ok(self.env.get_template(name)?.render(ctx)?)
    }

    /// Renders a page: `ctx` plus what the layout needs.
    pub(crate) fn render_page(
        &self,
        name: &str,
        user: Option<&CurrentUser>,
        org: &str,
        ctx: Value,
    ) -> Result<String, UiError> {
        let current_user = user.map(|u| context! { email => &u.email, is_admin => u.is_admin });
        // Signed in: the session's token. Before (login, setup): the page's own.
        let csrf_token = match user.and_then(CurrentUser::csrf_token) {
            Some(token) => Value::from(token),
            None => ctx.get_attr("csrf_token").unwrap_or(Value::UNDEFINED),
        };
        self.render(
            name,
            context! {
                current_user,
                csrf_token,
                org,
                css_href => crate::assets::css_href(),
                ..ctx
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses_and_is_auto_escaped_html() {
        Templates::load().unwrap();
        assert!(
            TEMPLATES.len() >= 5,
            "templates missing: {}",
            TEMPLATES.len()
        );
        for (name, _) in TEMPLATES {
            assert!(
                name.ends_with(".html"),
                "{name}: only .html templates are auto-escaped"
            );
        }
    }

    /// Event data is hostile: nothing may switch escaping off.
    #[test]
    fn no_template_turns_escaping_off() {
        for (name, source) in TEMPLATES {
            let squeezed: String = source.chars().filter(|c| !c.is_whitespace()).collect();
            for banned in ["|safe", "autoescapefalse", "|urlize"] {
                assert!(!squeezed.contains(banned), "{name} uses {banned}");
            }
        }
    }

    /// The Content-Security-Policy allows no inline script or style.
    #[test]
    fn no_inline_script_or_style() {
        for (name, source) in TEMPLATES {
            let lower = source.to_ascii_lowercase();
            for banned in [
                "<script",
                "<style",
                " style=",
                " onclick",
                " onload",
                " onerror",
                " onsubmit",
                "javascript:",
            ] {
                assert!(
                    !lower.contains(banned),
                    "{name} contains {banned:?}, which the CSP blocks"
                );
            }
        }
    }

    /// Every POST form carries the CSRF token.
    #[test]
    fn every_post_form_has_the_csrf_field() {
        for (name, source) in TEMPLATES {
            let lower = source.to_ascii_lowercase();
            for form in lower.split("<form").skip(1) {
                let form = form.split("</form>").next().unwrap();
                if form.contains("method=\"post\"") {
                    assert!(
                        form.contains("name=\"csrf_token\""),
                        "{name}: a POST form lacks the csrf_token field"
                    );
                }
            }
        }
    }

    #[test]
    fn values_are_escaped() {
        let t = Templates::load().unwrap();
        let html = t
            .render_page("error.html", None, "moth", context! { status => 404, reason => "Not Found", message => "<script>alert(1)</script>" })
            .unwrap();
        assert!(html.contains("&lt;script&gt;alert(1)&lt;"), "{html}");
        assert!(!html.contains("<script>alert"));
    }
}
