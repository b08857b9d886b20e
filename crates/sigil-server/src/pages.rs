//! Hosted pages: server-rendered HTML from minijinja templates (autoescaped), readable without
//! JavaScript. Operators brand them by pointing `ui.template_dir` at a directory holding any of
//! the templates (same names) and a `sigil.css`; the built-in ones fill the rest.

use std::path::PathBuf;

use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, Value};

use crate::config::UiConfig;
use crate::security::page_csp;

/// The built-in templates.
const BUILT_IN: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("login.html", include_str!("../templates/login.html")),
    (
        "saml_post.html",
        include_str!("../templates/saml_post.html"),
    ),
    (
        "login_link.html",
        include_str!("../templates/login_link.html"),
    ),
    (
        "login_wallet.html",
        include_str!("../templates/login_wallet.html"),
    ),
    ("consent.html", include_str!("../templates/consent.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("logout.html", include_str!("../templates/logout.html")),
    (
        "logged_out.html",
        include_str!("../templates/logged_out.html"),
    ),
    ("device.html", include_str!("../templates/device.html")),
    (
        "device_confirm.html",
        include_str!("../templates/device_confirm.html"),
    ),
    (
        "device_done.html",
        include_str!("../templates/device_done.html"),
    ),
    ("account.html", include_str!("../templates/account.html")),
    ("api_docs.html", include_str!("../templates/api_docs.html")),
    (
        "credential_offer.html",
        include_str!("../templates/credential_offer.html"),
    ),
    (
        "presentation.html",
        include_str!("../templates/presentation.html"),
    ),
];

const BUILT_IN_CSS: &str = include_str!("../static/sigil.css");

/// The page renderer.
pub struct Pages {
    env: Environment<'static>,
    css: String,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages").finish_non_exhaustive()
    }
}

fn override_path(dir: &Option<PathBuf>, name: &str) -> Option<PathBuf> {
    let dir = dir.as_ref()?;
    // Template names are ours (fixed list), never user input; still refuse anything path-like.
    if name.contains('/') || name.contains("..") {
        return None;
    }
    let path = dir.join(name);
    path.is_file().then_some(path)
}

impl Pages {
    /// Loads the templates (checking that every one parses, so a broken override fails at
    /// start-up rather than on a user's screen).
    pub fn new(cfg: &UiConfig) -> Result<Self, String> {
        let dir = cfg.template_dir.clone();
        let mut env = Environment::new();
        let loader_dir = dir.clone();
        env.set_loader(move |name: &str| {
            if let Some(path) = override_path(&loader_dir, name) {
                return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("{}: {e}", path.display()),
                    )
                });
            }
            Ok(BUILT_IN
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| (*t).to_owned()))
        });
        for (name, _) in BUILT_IN {
            env.get_template(name)
                .map_err(|e| format!("template {name}: {e}"))?;
        }
        let css = match override_path(&dir, "sigil.css") {
            Some(path) => {
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => BUILT_IN_CSS.to_owned(),
        };
        Ok(Pages { env, css })
    }

    /// The stylesheet.
    pub fn css(&self) -> &str {
        &self.css
    }

    /// Renders a page: HTML, `no-store`, and a CSP whose `form-action` also allows
    /// `form_targets` and whose `frame-src` allows `frame_sources`.
    pub fn respond(
        &self,
        template: &str,
        ctx: Value,
        status: StatusCode,
        form_targets: &[String],
        frame_sources: &[String],
    ) -> Response {
        let html = match self.env.get_template(template).and_then(|t| t.render(ctx)) {
            Ok(html) => html,
            Err(e) => {
                tracing::error!(template, error = %e, "page rendering failed");
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "An internal error occurred.",
                )
                    .into_response();
            }
        };
        let mut res = (status, Html(html)).into_response();
        let h = res.headers_mut();
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        // `same-origin`, not `no-referrer`: under `no-referrer` browsers send `Origin: null`
        // with form posts, which the CSRF origin check must refuse. Nothing leaves the site.
        h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
        if let Ok(csp) = HeaderValue::from_str(&page_csp(form_targets, frame_sources)) {
            h.insert(CONTENT_SECURITY_POLICY, csp);
        }
        res
    }
}

/// Human descriptions of well-known scopes for consent screens.
pub fn describe_scope(scope: &str) -> &str {
    match scope {
        "openid" => "Know who you are",
        "profile" => "See your name and username",
        "email" => "See your e-mail address",
        "offline_access" => "Keep access while you are not using it",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_templates_render_and_escape() {
        let pages = Pages::new(&UiConfig::default()).expect("templates load");
        let res = pages.respond(
            "error.html",
            minijinja::context! { product => "Sigil", title => "Oops", message => "<script>x</script>" },
            StatusCode::BAD_REQUEST,
            &[],
            &[],
        );
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let csp = res
            .headers()
            .get(CONTENT_SECURITY_POLICY)
            .expect("csp")
            .to_str()
            .expect("ascii");
        assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
    }

    #[test]
    fn a_template_directory_overrides_built_ins() {
        let dir = std::env::temp_dir().join(format!("sigil-tpl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("error.html"), "BRANDED {{ title }}").expect("write");
        std::fs::write(dir.join("sigil.css"), "body{}").expect("write");
        let pages = Pages::new(&UiConfig {
            template_dir: Some(dir.clone()),
            product_name: None,
        })
        .expect("loads");
        assert_eq!(pages.css(), "body{}");
        let html = pages
            .env
            .get_template("error.html")
            .expect("t")
            .render(minijinja::context! { title => "x" })
            .expect("r");
        assert_eq!(html, "BRANDED x");
        std::fs::remove_dir_all(dir).ok();
    }
}
