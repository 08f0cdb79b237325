//! The browser half of GitHub's OAuth web flow, as a small consent page.
//!
//! `GET /login/oauth/authorize?client_id&redirect_uri&state&code_challenge&code_challenge_method`
//! checks the app (`client_id`, and `redirect_uri` when the stand-in has one
//! configured; PKCE's method must be `S256`, the one GitHub supports) and
//! answers an HTML page that names the app, with **Authorize** and **Cancel**
//! buttons. Each posts back to the same path; the answer is a `302` to
//! `redirect_uri?code=…&state=…` (a fresh, single-use code whose exchange does
//! what [`crate::GitHubStandIn::on_authorize`] programmed, and which
//! remembers the challenge, so the exchange must send its verifier) or to
//! `redirect_uri?error=access_denied&…&state=…`. Problems GitHub shows as a
//! page are a `400` page saying what is wrong.

use std::collections::HashMap;

use hyper::StatusCode;

use crate::{markup_escape, typed, Answer, Behavior, State};

/// Where GitHub's authorize page is.
pub const AUTHORIZE_PATH: &str = "/login/oauth/authorize";

/// The pages' look: a box, GitHub-like buttons.
const STYLE: &str = "<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;color:#1f2328}\
    .box{border:1px solid #d0d7de;border-radius:6px;padding:1.5rem}button{font-size:1rem;padding:.5rem 1rem;margin-right:.5rem}\
    #approve{background:#1f883d;color:#fff;border:0;border-radius:6px}#problem{color:#d1242f}</style>";

/// An authorization the page is asking about.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    redirect_uri: String,
    state: Option<String>,
    challenge: Option<String>,
}

/// `GET`: checks the request and shows the consent page.
pub(crate) fn page(params: &HashMap<String, String>, st: &mut State) -> Answer {
    let param = |k: &str| params.get(k).map(String::as_str);
    if param("client_id") != Some(st.config.client_id.as_str()) {
        return problem("The client_id is not this OAuth app's.");
    }
    let redirect_uri = match (param("redirect_uri"), st.config.redirect_uri.as_deref()) {
        (Some(sent), Some(configured)) if sent != configured => {
            return problem("The redirect_uri is not the one registered for this OAuth app.");
        }
        (Some(sent), _) => sent.to_string(),
        (None, Some(configured)) => configured.to_string(),
        (None, None) => return problem("A redirect_uri is required (none is registered)."),
    };
    let challenge = match (param("code_challenge"), param("code_challenge_method")) {
        (None, _) => None,
        (Some(c), Some("S256")) if !c.is_empty() => Some(c.to_string()),
        (Some(_), method) => {
            return problem(&format!(
                "code_challenge_method must be S256, not {:?}.",
                method.unwrap_or("(none)")
            ))
        }
    };
    st.authorizations += 1;
    let id = format!("auth-{}", st.authorizations);
    st.pending.insert(
        id.clone(),
        Pending {
            redirect_uri: redirect_uri.clone(),
            state: param("state").map(str::to_string),
            challenge,
        },
    );
    let app = markup_escape(&st.config.client_id);
    let to = markup_escape(&redirect_uri);
    let id = markup_escape(&id);
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Authorize application</title>{STYLE}</head>\
         <body><div class=\"box\"><h1>Authorize {app}</h1>\
         <p>GitHub stand-in (local tests only): <strong>{app}</strong> asks to sign you in. \
         You will be sent back to <code>{to}</code>.</p>\
         <form method=\"post\" action=\"{AUTHORIZE_PATH}\"><input type=\"hidden\" name=\"authorization\" value=\"{id}\">\
         <button id=\"approve\" name=\"decision\" value=\"approve\">Authorize</button>\
         <button id=\"deny\" name=\"decision\" value=\"deny\">Cancel</button></form></div></body></html>\n"
    );
    typed(StatusCode::OK, "text/html; charset=utf-8", body)
}

/// `POST`: the person's decision, sent back to the app.
pub(crate) fn decide(params: &HashMap<String, String>, st: &mut State) -> Answer {
    let Some(pending) = params
        .get("authorization")
        .and_then(|id| st.pending.remove(id))
    else {
        return problem("This authorization is unknown or was already decided; start again.");
    };
    let mut query = Vec::new();
    if params.get("decision").map(String::as_str) == Some("approve") {
        st.authorizations += 1;
        let code = format!("standin-code-{}", st.authorizations);
        let behavior = st
            .on_authorize
            .clone()
            .unwrap_or_else(|| Behavior::token(format!("gho_standin_{}", st.authorizations)));
        match pending.challenge {
            Some(challenge) => {
                st.challenges.insert(code.clone(), challenge);
            }
            None => {
                st.challenges.remove(&code);
            }
        }
        st.codes.insert(code.clone(), behavior);
        query.push(("code", code));
    } else {
        query.push(("error", "access_denied".to_string()));
        query.push((
            "error_description",
            "The user has denied your application access.".to_string(),
        ));
    }
    if let Some(state) = pending.state {
        query.push(("state", state));
    }
    let separator = if pending.redirect_uri.contains('?') {
        '&'
    } else {
        '?'
    };
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&query)
        .finish();
    let location = format!("{}{separator}{encoded}", pending.redirect_uri);
    let mut answer = typed(
        StatusCode::FOUND,
        "text/plain; charset=utf-8",
        String::new(),
    );
    if let Ok(value) = hyper::header::HeaderValue::from_str(&location) {
        answer.headers_mut().insert(hyper::header::LOCATION, value);
    }
    answer
}

/// A page saying what is wrong with the authorization request.
fn problem(what: &str) -> Answer {
    typed(
        StatusCode::BAD_REQUEST,
        "text/html; charset=utf-8",
        format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Authorization problem</title>{STYLE}</head>\
             <body><div class=\"box\"><h1>Authorization problem</h1><p id=\"problem\">{}</p>\
             <p>Start the sign-in again from the application.</p></div></body></html>\n",
            markup_escape(what)
        ),
    )
}
