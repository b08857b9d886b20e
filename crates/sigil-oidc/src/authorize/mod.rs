//! The authorization endpoint and the interaction it hands the browser to.
//!
//! `authorize` validates the request and either answers at once (a code, or an error) or
//! stores the request as an *interaction* bound to the browser, which the sign-in and
//! consent pages complete; the interaction is then evaluated again with what the user did.
//! Login UI never touches token code.

pub mod code;
pub mod pushed;
pub mod request;

use serde::{Deserialize, Serialize};
use sigil_core::model::{Artifact, ArtifactKind, Client};
use sigil_core::{ClientId, Digest32, UnixTime};
use sigil_keys::DecodedJws;
use sigil_policy::Outcome;
use std::sync::Arc;

use self::code::error_redirect;
use self::request::{AuthorizationRequest, AuthorizeError, validate_with};
use crate::error::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::provider::{Provider, TenantCtx};
use crate::sessions::{Browser, CurrentSession};
use crate::tokens::IdTokenClaims;

/// What the authorization endpoint (or a finished interaction) answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeOutcome {
    /// Redirect the browser (to the client: a code or an error).
    Redirect(String),
    /// Send the browser to the interaction with this id.
    Interaction(String),
    /// Show an error page; never redirect (unknown client or redirect URI).
    ErrorPage(OAuthError),
}

/// What an interaction needs from the user now.
#[derive(Debug, Clone)]
pub enum InteractionStep {
    /// Sign in.
    Login {
        /// The client asking.
        client: Arc<Client>,
        /// Username to prefill.
        login_hint: Option<String>,
        /// Whether the user is signed in but must authenticate again.
        reauthenticate: bool,
        /// The external identity provider the client asked the user to sign in at.
        idp_hint: Option<String>,
    },
    /// Approve the client's access.
    Consent {
        /// The client asking.
        client: Arc<Client>,
        /// Scopes requested.
        scopes: Vec<String>,
        /// The names of the credentials a wallet asks to receive.
        credentials: Vec<String>,
        /// The signed-in user's name.
        username: String,
    },
    /// Nothing: the interaction is finished.
    Done(AuthorizeOutcome),
}

/// An authorization request waiting for the user.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Interaction {
    request: AuthorizationRequest,
    created_at: UnixTime,
    browser: Digest32,
    consent_given: bool,
    /// The session the browser had when the request arrived: a re-authentication demanded by
    /// `prompt=login` or `max_age` is satisfied only by a newer one.
    session_at_start: Option<sigil_core::SessionId>,
}

enum Need {
    Login { reauthenticate: bool },
    Consent,
    Issue,
    Fail(OAuthError),
}

impl Provider {
    /// Handles an authorization request.
    pub async fn authorize(
        &self,
        t: &TenantCtx,
        params: &Params,
        browser: &Browser,
    ) -> AuthorizeOutcome {
        match self.authorize_inner(t, params, browser).await {
            Ok(outcome) => outcome,
            Err(AuthorizeError::Page(e)) => AuthorizeOutcome::ErrorPage(e),
            Err(AuthorizeError::Redirect {
                redirect_uri,
                state,
                error,
            }) => AuthorizeOutcome::Redirect(error_redirect(
                t,
                &redirect_uri,
                state.as_deref(),
                &error,
            )),
        }
    }

    async fn authorize_inner(
        &self,
        t: &TenantCtx,
        params: &Params,
        browser: &Browser,
    ) -> Result<AuthorizeOutcome, AuthorizeError> {
        let page = AuthorizeError::Page;
        let pushed = self.pushed_params(t, params).await.map_err(page)?;
        let was_pushed = pushed.is_some();
        let params = pushed.as_ref().unwrap_or(params);
        let client_id = params.require("client_id").map_err(page)?;
        let client_id = ClientId::parse(client_id)
            .map_err(|_| page(OAuthError::invalid_request("client_id is malformed")))?;
        let client = self
            .client(&t.id, &client_id)
            .await
            .map_err(page)?
            .filter(|c| !c.disabled)
            .ok_or_else(|| page(OAuthError::new(ErrorCode::InvalidClient, "unknown client")))?;
        let mut req = self.checked_request(t, params, &client).await?;
        let (redirect_uri, state) = (req.redirect_uri.clone(), req.state.clone());
        let to_client = |error: OAuthError| AuthorizeError::Redirect {
            redirect_uri: redirect_uri.clone(),
            state: state.clone(),
            error,
        };
        if self.config.tokens.require_par && !was_pushed {
            return Err(to_client(OAuthError::invalid_request(
                "authorization requests must be pushed first (RFC 9126)",
            )));
        }
        if let Some(hint) = req.id_token_hint.take() {
            let sub = self
                .id_token_hint_subject(t, &hint, &client)
                .await
                .map_err(to_client)?;
            req.id_token_hint = Some(sub);
        }
        let session = self.current_session(t, browser).await.map_err(to_client)?;
        let ix = Interaction {
            request: req,
            created_at: self.now(),
            browser: Digest32::of(&browser.browser_id),
            consent_given: false,
            session_at_start: session.as_ref().map(|s| s.session.id.clone()),
        };
        match self
            .evaluate(t, &client, &ix, session.as_ref(), false)
            .await
            .map_err(to_client)?
        {
            Need::Issue => Ok(self.finish(t, &ix.request, session.as_ref(), None).await),
            Need::Fail(e) => Err(to_client(e)),
            Need::Login { .. } if ix.request.prompt.none => Err(to_client(OAuthError::new(
                ErrorCode::LoginRequired,
                "the user must sign in",
            ))),
            Need::Consent if ix.request.prompt.none => Err(to_client(OAuthError::new(
                ErrorCode::ConsentRequired,
                "the user must consent",
            ))),
            Need::Login { .. } | Need::Consent => {
                let id = self.store_interaction(t, &ix).await.map_err(to_client)?;
                Ok(AuthorizeOutcome::Interaction(id))
            }
        }
    }

    /// Validates an authorization request for `client`, its credential part read against the
    /// tenant's credential types (read once).
    pub(crate) async fn checked_request(
        &self,
        t: &TenantCtx,
        params: &Params,
        client: &Client,
    ) -> Result<AuthorizationRequest, AuthorizeError> {
        let types = self
            .credential_types(t)
            .await
            .map_err(AuthorizeError::Page)?;
        let ids: Vec<String> = types.iter().map(|ty| ty.id.clone()).collect();
        let mut req = validate_with(params, client, &ids)?;
        match self.credential_grant(t, params, &req, &types).await {
            Ok(credentials) => req.credentials = credentials,
            Err(error) => {
                return Err(AuthorizeError::Redirect {
                    redirect_uri: req.redirect_uri,
                    state: req.state,
                    error,
                });
            }
        }
        Ok(req)
    }

    /// Verifies an `id_token_hint` (ours, for this client; expiry ignored as the spec allows)
    /// and returns its subject.
    async fn id_token_hint_subject(
        &self,
        t: &TenantCtx,
        hint: &str,
        client: &Client,
    ) -> Result<String, OAuthError> {
        let claims = self.verify_own_id_token(t, hint).await?;
        if claims.aud != client.id.as_str() {
            return Err(OAuthError::invalid_request(
                "id_token_hint was issued to another client",
            ));
        }
        Ok(claims.sub)
    }

    /// Verifies an ID token Sigil issued (signature, issuer), ignoring expiry.
    pub(crate) async fn verify_own_id_token(
        &self,
        t: &TenantCtx,
        token: &str,
    ) -> Result<IdTokenClaims, OAuthError> {
        let bad = || {
            OAuthError::invalid_request("id_token_hint is not a valid ID token from this issuer")
        };
        let jws = DecodedJws::decode(token, 16 * 1024).map_err(|_| bad())?;
        if jws.has_typ(crate::tokens::ACCESS_TOKEN_TYP) {
            return Err(bad());
        }
        self.verify_own(&t.id, &jws).await.map_err(|_| bad())?;
        let claims: IdTokenClaims = jws.claims().map_err(|_| bad())?;
        if claims.iss != t.issuer {
            return Err(bad());
        }
        Ok(claims)
    }

    async fn evaluate(
        &self,
        t: &TenantCtx,
        client: &Client,
        ix: &Interaction,
        session: Option<&CurrentSession>,
        in_interaction: bool,
    ) -> Result<Need, OAuthError> {
        let req = &ix.request;
        let Some(current) = session else {
            return Ok(Need::Login {
                reauthenticate: false,
            });
        };
        let now = self.now();
        let fresh = in_interaction
            && current.session.auth.auth_time >= ix.created_at
            && ix.session_at_start.as_ref() != Some(&current.session.id);
        if req.prompt.login && !fresh {
            return Ok(Need::Login {
                reauthenticate: true,
            });
        }
        if let Some(max_age) = req.max_age {
            let age = now.0 - current.session.auth.auth_time.0;
            // max_age=0 means "authenticate now", like prompt=login.
            let too_old = max_age == 0 || age > i64::try_from(max_age).unwrap_or(i64::MAX);
            if too_old && !fresh {
                return Ok(Need::Login {
                    reauthenticate: true,
                });
            }
        }
        if let Some(hint_sub) = &req.id_token_hint
            && hint_sub != current.user.id.as_str()
        {
            return Ok(if fresh {
                Need::Fail(OAuthError::new(
                    ErrorCode::LoginRequired,
                    "the signed-in user is not the one id_token_hint names",
                ))
            } else {
                Need::Login {
                    reauthenticate: true,
                }
            });
        }
        if let Some(sign_on) = self.check_sign_on(t, client, current).await? {
            match sign_on.decision {
                Outcome::Allow | Outcome::Public => {}
                Outcome::StepUp if !fresh => {
                    return Ok(Need::Login {
                        reauthenticate: true,
                    });
                }
                Outcome::StepUp => {
                    return Ok(Need::Fail(OAuthError::new(
                        ErrorCode::AccessDenied,
                        "this application needs a stronger sign-in",
                    )));
                }
                Outcome::Deny => {
                    return Ok(Need::Fail(OAuthError::new(
                        ErrorCode::AccessDenied,
                        "the user may not sign in to this application",
                    )));
                }
            }
        }
        if let Some(grant) = &req.credentials {
            if let Some(refusal) = grant.refusal_for(&current.user) {
                return Ok(if fresh {
                    Need::Fail(refusal)
                } else {
                    Need::Login {
                        reauthenticate: true,
                    }
                });
            }
            // Credentials go to a wallet only when its user says so, every time.
            let asked = !client.first_party && !ix.consent_given;
            return Ok(if asked { Need::Consent } else { Need::Issue });
        }
        let consented = self
            .has_consent(t, &current.user, client, &req.scopes)
            .await?;
        let must_ask = req.prompt.consent && !client.first_party && !ix.consent_given;
        if (!consented || must_ask) && !ix.consent_given {
            return Ok(Need::Consent);
        }
        Ok(Need::Issue)
    }

    async fn finish(
        &self,
        t: &TenantCtx,
        req: &AuthorizationRequest,
        session: Option<&CurrentSession>,
        interaction: Option<&Digest32>,
    ) -> AuthorizeOutcome {
        let Some(current) = session else {
            return AuthorizeOutcome::ErrorPage(OAuthError::new(
                ErrorCode::LoginRequired,
                "not signed in",
            ));
        };
        match self
            .issue_code(
                t,
                req,
                &current.session.auth,
                &current.session.id,
                interaction,
            )
            .await
        {
            Ok(Some(url)) => AuthorizeOutcome::Redirect(url),
            Ok(None) => AuthorizeOutcome::ErrorPage(OAuthError::invalid_request(
                "this sign-in request was already completed",
            )),
            Err(e) => AuthorizeOutcome::Redirect(error_redirect(
                t,
                &req.redirect_uri,
                req.state.as_deref(),
                &e,
            )),
        }
    }

    async fn store_interaction(
        &self,
        t: &TenantCtx,
        ix: &Interaction,
    ) -> Result<String, OAuthError> {
        let id = sigil_core::random::identifier();
        let now = self.now();
        let artifact = Artifact {
            tenant: t.id.clone(),
            kind: ArtifactKind::Interaction,
            key: Digest32::of(&id),
            payload: serde_json::to_value(ix)
                .map_err(|_| OAuthError::invalid_request("unencodable request"))?,
            expires_at: now.plus(std::time::Duration::from_secs(
                self.config.tokens.interaction_ttl,
            )),
            consumed_at: None,
        };
        self.store.put_artifact(&artifact, now).await?;
        Ok(id)
    }

    async fn load_interaction(
        &self,
        t: &TenantCtx,
        id: &str,
        browser: &Browser,
    ) -> Result<(Interaction, Arc<Client>), OAuthError> {
        let expired = || {
            OAuthError::invalid_request(
                "this sign-in request has expired or is not valid; start again from the application",
            )
        };
        if id.len() > 64 {
            return Err(expired());
        }
        let artifact = self
            .store
            .get_artifact(
                &t.id,
                ArtifactKind::Interaction,
                &Digest32::of(id),
                self.now(),
            )
            .await?
            .filter(|a| a.consumed_at.is_none())
            .ok_or_else(expired)?;
        let ix: Interaction = serde_json::from_value(artifact.payload).map_err(|_| expired())?;
        if !ix.browser.ct_eq(&Digest32::of(&browser.browser_id)) {
            return Err(OAuthError::invalid_request(
                "this sign-in request belongs to another browser",
            ));
        }
        let client = self
            .client(&t.id, &ix.request.client_id)
            .await?
            .filter(|c| !c.disabled)
            .ok_or_else(expired)?;
        Ok((ix, client))
    }

    /// The client an interaction of this browser is for (to name it on a sign-in page).
    pub async fn interaction_client(
        &self,
        t: &TenantCtx,
        id: &str,
        browser: &Browser,
    ) -> Option<Arc<Client>> {
        self.load_interaction(t, id, browser)
            .await
            .ok()
            .map(|(_, client)| client)
    }

    /// What the interaction `id` needs now; finishing it when nothing is left to ask.
    pub async fn interaction(&self, t: &TenantCtx, id: &str, browser: &Browser) -> InteractionStep {
        let (ix, client) = match self.load_interaction(t, id, browser).await {
            Ok(found) => found,
            Err(e) => return InteractionStep::Done(AuthorizeOutcome::ErrorPage(e)),
        };
        let session = match self.current_session(t, browser).await {
            Ok(s) => s,
            Err(e) => return InteractionStep::Done(self.fail_interaction(t, id, &ix, e).await),
        };
        let need = match self.evaluate(t, &client, &ix, session.as_ref(), true).await {
            Ok(n) => n,
            Err(e) => return InteractionStep::Done(self.fail_interaction(t, id, &ix, e).await),
        };
        match need {
            Need::Login { reauthenticate } => InteractionStep::Login {
                client,
                login_hint: ix.request.login_hint.clone(),
                reauthenticate: reauthenticate && session.is_some(),
                idp_hint: ix.request.idp_hint.clone(),
            },
            Need::Consent => InteractionStep::Consent {
                scopes: ix.request.scopes.iter().map(str::to_owned).collect(),
                credentials: match &ix.request.credentials {
                    Some(grant) => match self.credential_names(t, grant).await {
                        Ok(names) => names,
                        Err(e) => {
                            return InteractionStep::Done(
                                self.fail_interaction(t, id, &ix, e).await,
                            );
                        }
                    },
                    None => Vec::new(),
                },
                username: session.map(|s| s.user.username).unwrap_or_default(),
                client,
            },
            Need::Fail(e) => InteractionStep::Done(self.fail_interaction(t, id, &ix, e).await),
            Need::Issue => {
                let key = Digest32::of(id);
                InteractionStep::Done(
                    self.finish(t, &ix.request, session.as_ref(), Some(&key))
                        .await,
                )
            }
        }
    }

    async fn fail_interaction(
        &self,
        t: &TenantCtx,
        id: &str,
        ix: &Interaction,
        e: OAuthError,
    ) -> AuthorizeOutcome {
        // Best effort: an interaction that ended in an error cannot be resumed.
        let _ = self
            .store
            .consume_artifact(
                &t.id,
                ArtifactKind::Interaction,
                &Digest32::of(id),
                self.now(),
            )
            .await;
        AuthorizeOutcome::Redirect(error_redirect(
            t,
            &ix.request.redirect_uri,
            ix.request.state.as_deref(),
            &e,
        ))
    }

    /// Records the user's consent decision on interaction `id`.
    pub async fn decide_consent(
        &self,
        t: &TenantCtx,
        id: &str,
        approve: bool,
        browser: &Browser,
    ) -> InteractionStep {
        let (mut ix, client) = match self.load_interaction(t, id, browser).await {
            Ok(found) => found,
            Err(e) => return InteractionStep::Done(AuthorizeOutcome::ErrorPage(e)),
        };
        let session = match self.current_session(t, browser).await {
            Ok(Some(s)) => s,
            Ok(None) => return self.interaction(t, id, browser).await,
            Err(e) => return InteractionStep::Done(AuthorizeOutcome::ErrorPage(e)),
        };
        if !approve {
            let e = OAuthError::new(ErrorCode::AccessDenied, "the user denied the request");
            return InteractionStep::Done(self.fail_interaction(t, id, &ix, e).await);
        }
        // An approval counts only at the consent step: given at a sign-in step it would be
        // credited to whoever signs in next.
        if !matches!(
            self.evaluate(t, &client, &ix, Some(&session), true).await,
            Ok(Need::Consent)
        ) {
            return self.interaction(t, id, browser).await;
        }
        // A wallet's request for credentials is approved for this once, never remembered.
        if ix.request.credentials.is_none()
            && let Err(e) = self
                .grant_consent(t, &session.user, &client, &ix.request.scopes)
                .await
        {
            return InteractionStep::Done(AuthorizeOutcome::ErrorPage(e));
        }
        ix.consent_given = true;
        let payload = serde_json::to_value(&ix).unwrap_or_default();
        if let Err(e) = self
            .store
            .update_artifact(
                &t.id,
                ArtifactKind::Interaction,
                &Digest32::of(id),
                &payload,
                self.now(),
            )
            .await
        {
            return InteractionStep::Done(AuthorizeOutcome::ErrorPage(e.into()));
        }
        self.interaction(t, id, browser).await
    }
}
