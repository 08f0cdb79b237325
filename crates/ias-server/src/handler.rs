//! The [`IasApi`] implementation: the handler of `POST /oauth/token`, what it
//! shares ([`ServerContext`]: the GitHub client, the exchange permits, the
//! metrics), and `FinishIfDropped`, which lets an exchange whose client went
//! away finish in a tracked task.
//!
//! The request body is judged by `ias-api`'s generated endpoint before the
//! handler runs; the handler gets it typed and only exchanges the code.
//! Errors are `ias_api::ApiError` of the operation's own error type, so every
//! answer is one the spec documents for it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use dropshot::{HttpResponseOk, RequestContext};
use ias_api::operations::{ExchangeAuthorizationCode, ExchangeAuthorizationCodeError};
use ias_api::{
    ApiError, ExchangeAuthorizationCodeRequest, ExchangeAuthorizationCodeRequestProvider,
    ExchangeAuthorizationCodeResponse, IasApi, Secret,
};
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;

use crate::{github, metrics, Config};

/// What every request can use.
pub struct ServerContext {
    github: Arc<github::GitHub>,
    pub(crate) exchanges: ExchangeSlots,
    /// Exchanges whose client went away, finishing on their own.
    pub(crate) orphans: TaskTracker,
    metrics: Arc<metrics::Metrics>,
}

impl ServerContext {
    /// Builds the context (the GitHub client and its connection pool), with
    /// room for `max_exchanges` exchanges in flight.
    pub fn new(
        config: &Config,
        max_exchanges: usize,
        metrics: Arc<metrics::Metrics>,
    ) -> anyhow::Result<Self> {
        Ok(ServerContext {
            github: Arc::new(github::GitHub::new(config)?),
            exchanges: ExchangeSlots {
                permits: Arc::new(Semaphore::new(max_exchanges)),
                max: max_exchanges,
            },
            orphans: TaskTracker::new(),
            metrics,
        })
    }
}

/// `IAS_MAX_CONCURRENT_EXCHANGES` permits, one per exchange in flight.
#[derive(Clone)]
pub struct ExchangeSlots {
    permits: Arc<Semaphore>,
    max: usize,
}

impl ExchangeSlots {
    /// Exchanges in flight now.
    pub fn in_flight(&self) -> usize {
        self.max - self.permits.available_permits()
    }
}

/// The implementation of [`IasApi`].
pub enum IasServer {}

impl IasApi for IasServer {
    type Context = ServerContext;

    async fn exchange_authorization_code(
        rqctx: RequestContext<ServerContext>,
        request: ExchangeAuthorizationCodeRequest,
    ) -> Result<
        HttpResponseOk<ExchangeAuthorizationCodeResponse>,
        ApiError<ExchangeAuthorizationCode>,
    > {
        let context = rqctx.context();
        // At capacity, answer at once rather than queue (no socket is opened).
        let Ok(permit) = Arc::clone(&context.exchanges.permits).try_acquire_owned() else {
            context
                .metrics
                .exchange(metrics::ExchangeOutcome::Rejected, Duration::ZERO);
            return Err(ApiError::new(
                ExchangeAuthorizationCodeError::ExchangeAuthorizationCodeEncounteredError,
            )
            .with_trace(format!(
                "the server is at capacity: {} exchanges with GitHub are in flight \
                         (IAS_MAX_CONCURRENT_EXCHANGES); retry shortly",
                context.exchanges.max
            )));
        };
        let token = match request.provider {
            ExchangeAuthorizationCodeRequestProvider::Github => {
                let github = Arc::clone(&context.github);
                let metrics = Arc::clone(&context.metrics);
                let (code, verifier) = (request.code, request.code_verifier);
                FinishIfDropped {
                    exchange: Some(Box::pin(async move {
                        let _permit = permit;
                        let started = std::time::Instant::now();
                        let result = github.exchange(&code, verifier.as_ref()).await;
                        metrics.exchange(metrics::ExchangeOutcome::of(&result), started.elapsed());
                        result
                    })),
                    orphans: &context.orphans,
                    log: &rqctx.log,
                }
                .await
                .inspect_err(|e| log_upstream_detail(&rqctx.log, e))?
            }
        };
        Ok(HttpResponseOk(ExchangeAuthorizationCodeResponse::new(
            token,
        )))
    }
}

/// An upstream failure's full cause (the client's trace says less), on the
/// request's log (so with its `req_id`).
fn log_upstream_detail(log: &slog::Logger, e: &github::ExchangeError) {
    if let Some(detail) = e.log_detail() {
        slog::warn!(log, "exchange with GitHub failed"; "detail" => detail);
    }
}

/// An exchange, run as part of its request. Handlers run with dropshot's
/// `CancelOnDisconnect` (no task and channel per request), so a client that
/// goes away drops the request; an exchange already under way is then handed
/// to a task of its own (tracked, so that shutdown waits for it), finishes —
/// GitHub may already have used the code — and its outcome is logged.
struct FinishIfDropped<'a, F>
where
    F: Future<Output = Result<Secret, github::ExchangeError>> + Send + 'static,
{
    exchange: Option<Pin<Box<F>>>,
    orphans: &'a TaskTracker,
    log: &'a slog::Logger,
}

impl<F> Future for FinishIfDropped<'_, F>
where
    F: Future<Output = Result<Secret, github::ExchangeError>> + Send + 'static,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let exchange = self
            .exchange
            .as_mut()
            .expect("FinishIfDropped polled after completion");
        let outcome = std::task::ready!(exchange.as_mut().poll(cx));
        self.exchange = None;
        Poll::Ready(outcome)
    }
}

impl<F> Drop for FinishIfDropped<'_, F>
where
    F: Future<Output = Result<Secret, github::ExchangeError>> + Send + 'static,
{
    fn drop(&mut self) {
        let Some(exchange) = self.exchange.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // the runtime, and the process, are going away
        };
        let log = self.log.clone();
        self.orphans.spawn_on(
            async move {
                let outcome = match exchange.await {
                    Ok(_) => "ok".to_string(),
                    Err(e) => {
                        log_upstream_detail(&log, &e);
                        ApiError::<ExchangeAuthorizationCode>::from(e).to_string()
                    }
                };
                slog::info!(log, "exchange finished after the client went away";
                    "outcome" => outcome);
            },
            &runtime,
        );
    }
}
