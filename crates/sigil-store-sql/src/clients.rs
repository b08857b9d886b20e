//! Client changes, written once for both dialects (placeholders aside).

/// Replaces a client's settings if its revision is still the one read. Binds: name, secret
/// digest, auth method, redirect URIs, post-logout redirect URIs, grant types, scopes,
/// resources, jwks_uri, jwks, require_pkce, first_party, id_token_alg, disabled, updated_at,
/// then tenant, id, revision.
pub(crate) const UPDATE: &str = "UPDATE clients SET name = ?, secret_digest = ?, auth_method = ?,
    redirect_uris = ?, post_logout_redirect_uris = ?, grant_types = ?, scopes = ?, resources = ?,
    jwks_uri = ?, jwks = ?, require_pkce = ?, first_party = ?, id_token_alg = ?, disabled = ?,
    updated_at = ?, revision = revision + 1
    WHERE tenant_id = ? AND id = ? AND revision = ?";

/// Deletes a client (optionally only at a revision). Binds: tenant, id, revision, revision.
pub(crate) const DELETE: &str =
    "DELETE FROM clients WHERE tenant_id = ? AND id = ? AND (? IS NULL OR revision = ?)";

/// Deletes the consents users gave a client. Binds: tenant, id.
pub(crate) const DELETE_CONSENTS: &str =
    "DELETE FROM consents WHERE tenant_id = ? AND client_id = ?";
