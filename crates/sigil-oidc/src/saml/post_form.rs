//! SAML messages Sigil sends over HTTP-POST. Every step of a sign-out is a URL the browser is
//! sent to, so a form to post waits behind a URL of Sigil's own, `/saml/post/{handle}`: the
//! page there is the form (posted with a button, since Sigil's pages run no script). The form
//! is kept five minutes and shown once.

use sigil_core::model::ArtifactKind;
use sigil_core::{Digest32, random};
use sigil_saml::outgoing::{Outgoing, PostForm};

use crate::provider::{Provider, TenantCtx};

/// Where a waiting form is shown, under the tenant's issuer (`{POST_FORM_PATH}/{handle}`).
pub const POST_FORM_PATH: &str = "/saml/post";
/// How long a form waits, seconds.
const FORM_TTL: u64 = 300;

impl Provider {
    /// Where to send the browser with `message`: its URL (HTTP-Redirect), or the page of its
    /// form (HTTP-POST); `None` when the form cannot be kept.
    pub(crate) async fn saml_send(&self, t: &TenantCtx, message: Outgoing) -> Option<String> {
        match message {
            Outgoing::Redirect(url) => Some(url),
            Outgoing::Post(form) => {
                let handle = random::secret_token();
                let kind = ArtifactKind::SamlPostForm;
                match self.put_handle(t, kind, &handle, &form, FORM_TTL).await {
                    Ok(true) => Some(t.url(&format!("{POST_FORM_PATH}/{handle}"))),
                    _ => None,
                }
            }
        }
    }

    /// The form waiting behind `handle`, once.
    pub async fn take_saml_post_form(&self, t: &TenantCtx, handle: &str) -> Option<PostForm> {
        let artifact = self
            .store
            .consume_artifact(
                &t.id,
                ArtifactKind::SamlPostForm,
                &Digest32::of(handle),
                self.now(),
            )
            .await
            .ok()??;
        serde_json::from_value(artifact.payload).ok()
    }
}
