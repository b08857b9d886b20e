//! A scripted browser: a cookie jar, manual redirects, and real form submission (every input
//! of the form, CSRF token included), so tests exercise the pages as a user's browser would.

use reqwest::header::{HeaderMap, LOCATION};

/// One response.
#[derive(Debug, Clone)]
pub struct Page {
    /// Status.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub html: String,
    /// URL it came from.
    pub url: String,
}

impl Page {
    /// The `Location` header.
    pub fn location(&self) -> Option<String> {
        self.headers
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    /// Whether the page holds a form posting to a URL ending in `action_suffix`.
    pub fn has_form(&self, action_suffix: &str) -> bool {
        forms(&self.html)
            .iter()
            .any(|(a, _)| a.ends_with(action_suffix))
    }

    /// The inputs of that form.
    pub fn form_fields(&self, action_suffix: &str) -> Vec<(String, String)> {
        forms(&self.html)
            .into_iter()
            .find(|(a, _)| a.ends_with(action_suffix))
            .map(|(_, f)| f)
            .unwrap_or_else(|| panic!("no form posting to *{action_suffix} in:\n{}", self.html))
    }

    /// The first form (whatever its action) with its action.
    pub fn first_form_action(&self) -> Option<String> {
        forms(&self.html).into_iter().next().map(|(a, _)| a)
    }
}

/// Undoes the HTML escaping minijinja applies to attribute values.
pub fn unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// Every form of a page: its action and its named inputs.
pub fn forms(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<form") {
        let body_end = rest[start..]
            .find("</form>")
            .map_or(rest.len(), |e| start + e);
        let form = &rest[start..body_end];
        let tag_end = form.find('>').unwrap_or(form.len());
        let action = attr(&form[..tag_end], "action").unwrap_or_default();
        let mut fields = Vec::new();
        let mut inputs = form;
        while let Some(i) = inputs.find("<input") {
            let end = inputs[i..].find('>').map_or(inputs.len(), |e| i + e);
            let tag = &inputs[i..end];
            if let Some(name) = attr(tag, "name") {
                fields.push((name, attr(tag, "value").unwrap_or_default()));
            }
            inputs = &inputs[end..];
        }
        out.push((action, fields));
        rest = &rest[body_end..];
    }
    out
}

/// The browser.
pub struct Browser {
    client: reqwest::Client,
    base: String,
    origin: String,
}

impl Browser {
    /// A browser with an empty cookie jar, talking to `base`, whose pages it believes come from
    /// `origin` (the issuer's origin; what a browser would send as `Origin`).
    pub fn new(base: &str, origin: &str) -> Self {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            client,
            base: base.to_owned(),
            origin: origin.to_owned(),
        }
    }

    /// The underlying HTTP client (its cookie jar is the browser's), for requests with
    /// headers of their own.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    fn absolute(&self, url: &str) -> String {
        if url.starts_with('/') {
            format!("{}{url}", self.base)
        } else {
            url.to_owned()
        }
    }

    async fn page(url: String, res: reqwest::Response) -> Page {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        Page {
            status,
            headers,
            html: res.text().await.unwrap(),
            url,
        }
    }

    /// GET.
    pub async fn get(&self, url: &str) -> Page {
        let url = self.absolute(url);
        let res = self.client.get(&url).send().await.unwrap();
        Self::page(url, res).await
    }

    /// POST a form.
    pub async fn post(&self, url: &str, fields: &[(String, String)]) -> Page {
        let url = self.absolute(url);
        // Browsers send Origin with form posts; the CSRF check depends on it being ours.
        let res = self
            .client
            .post(&url)
            .header("origin", self.origin.as_str())
            .form(fields)
            .send()
            .await
            .unwrap();
        Self::page(url, res).await
    }

    /// Follows redirects while they stay on Sigil; returns the last page, or the redirect
    /// that leaves Sigil (to a client) without following it.
    pub async fn follow(&self, mut page: Page) -> Page {
        for _ in 0..10 {
            let Some(loc) = page
                .location()
                .filter(|_| (300..400).contains(&page.status))
            else {
                return page;
            };
            if !(loc.starts_with('/') || loc.starts_with(&self.base)) {
                return page;
            }
            page = self.get(&loc).await;
        }
        panic!("redirect loop");
    }

    /// Submits the form posting to `*action_suffix` with its own fields plus `overrides`.
    pub async fn submit(
        &self,
        page: &Page,
        action_suffix: &str,
        overrides: &[(&str, &str)],
    ) -> Page {
        let action = forms(&page.html)
            .into_iter()
            .map(|(a, _)| a)
            .find(|a| a.ends_with(action_suffix))
            .unwrap_or_else(|| panic!("no form posting to *{action_suffix}"));
        let mut fields = page.form_fields(action_suffix);
        for (k, v) in overrides {
            fields.retain(|(name, _)| name != k);
            fields.push(((*k).to_owned(), (*v).to_owned()));
        }
        self.post(&action, &fields).await
    }

    /// Starts at `url` and completes sign-in and consent (approving) as needed; returns the
    /// redirect that leaves Sigil for the client (or the page it ended on).
    pub async fn authorize(&self, url: &str, username: &str, password: &str) -> Page {
        let mut page = self.follow(self.get(url).await).await;
        for _ in 0..4 {
            if page.has_form("/login") {
                let next = self
                    .submit(
                        &page,
                        "/login",
                        &[("username", username), ("password", password)],
                    )
                    .await;
                page = self.follow(next).await;
            } else if page.has_form("/consent") {
                let next = self
                    .submit(&page, "/consent", &[("decision", "approve")])
                    .await;
                page = self.follow(next).await;
            } else {
                return page;
            }
        }
        page
    }
}

/// A query parameter of a URL.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
