package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/unescap/dmf/assessments"
	"github.com/unescap/dmf/assessments/card"
	"github.com/unescap/dmf/assessments/mail"
	"github.com/unescap/dmf/assessments/peers"
	"github.com/unescap/dmf/frameworks"
	"github.com/unescap/dmf/static"
)

// server holds what the handlers need. It is built once in serve (or by a
// test) and never changes afterwards.
type server struct {
	cfg      Config
	log      *slog.Logger
	store    *assessments.Store
	editions *frameworks.Catalog
	ref      *frameworks.Reference
	msgs     *catalog
	render   *renderer
	issuer   *assessments.Issuer
	pinned   map[string]*card.DIDDocument // other instances whose cards verify here
	metrics  *metrics
	secret   []byte             // signs device cookies and CSRF tokens (see loadSecret)
	passkeys *webauthn.WebAuthn // nil when the base URL's host cannot be a WebAuthn relying party (an IP address)
	peers    *peers.Client
	hub      *peers.Hub              // verifies trusted peers' cards and keeps them (§9 hub)
	verified card.Cache              // what every verification shares: parsed keys, checked status lists and checkpoints
	sso      map[string]*ssoProvider // single sign-on providers by name
}

// routes lists every route of the application in one place.
func (s *server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Renderer = s.render
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = echo.ExtractIPDirect()
	if len(s.cfg.TrustedProxies) > 0 {
		// Only the configured proxies may name the client; loopback and
		// private addresses are not trusted unless listed.
		opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range s.cfg.TrustedProxies {
			opts = append(opts, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	}

	e.Pre(headAsGet)
	e.Use(s.requestID)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, LogErrorFunc: s.logPanic}))
	e.Use(s.metrics.observeRequests)
	e.Use(s.logRequests())
	e.Use(s.secureHeaders)
	e.Use(middleware.BodyLimit("2M"))
	e.Use(s.resolveLang)
	e.Use(s.authenticate)
	e.Use(parseForm)
	e.Use(s.csrf)

	signedIn := s.requireUser
	admin := allow(assessments.Actor.CanAdminister)
	reviewer := allow(assessments.Actor.CanReview)
	reader := allow(assessments.Actor.SeesAllOrganisations)
	revoker := allow(assessments.Actor.CanRevoke)
	respondent := allow(assessments.Actor.CanAssess)
	coordinator := allow(assessments.Actor.CoordinatesCountry)
	edit := s.canEdit

	e.GET("/healthz", s.health)
	e.GET("/metrics", s.showMetrics)
	e.GET("/static/:version/*", s.staticFile)
	e.GET("/lang/:lang", s.switchLang)

	// Public pages.
	e.GET("/", s.showHome)
	e.GET("/frameworks", s.listFrameworks)
	e.GET("/frameworks/:id", s.showFramework)
	e.GET("/frameworks/:id/dimensions/:dim", s.showDimension)
	e.GET("/reference", s.showReference)
	e.GET("/reference/wsis", s.showActionLines)
	e.GET("/reference/:topic", s.showTopic)
	e.GET("/compare", s.showCompare)
	e.GET("/compare/dimensions/:dim", s.showCompareDimension)
	e.GET("/practices", s.showPractices)
	e.GET("/practices/:id", s.showPractice)
	e.GET("/verify", s.showVerify)
	e.POST("/verify", s.verifyCard)
	e.GET("/cards/:id", s.showCard)
	e.GET("/services/:id", s.showPublicService)
	e.GET("/organisations/:id", s.showPublicOrganisation)
	e.POST("/cards/:id/revoke", s.revokeCard, signedIn, revoker)
	e.GET("/.well-known/did.json", s.showDID, shareable)
	e.GET(card.ContextPath, s.showContext, shareable)
	e.GET(card.ContextV2Path, s.showContextV2, shareable)
	e.GET(card.SchemaPath, s.showSchema, shareable)
	e.GET(card.VocabPath, s.showVocab)
	e.GET("/cards/:id/image.svg", s.showCardImage, shareable)
	e.GET("/status/:list", s.showStatusList, shareable)
	e.POST("/credentials/verify", s.credentialsVerify, shareable)
	e.GET("/log/checkpoint", s.apiCheckpoint, shareable) // C2SP tlog-tiles
	e.GET("/log/tile/*", s.showTile, shareable)
	e.OPTIONS("/credentials/verify", preflight, shareable)

	// Accounts.
	e.GET("/login", s.showLogin)
	e.POST("/login", s.login)
	e.POST("/logout", s.logout)
	e.GET("/login/oidc/:provider", s.startSSO)
	e.GET("/login/oidc/:provider/callback", s.ssoCallback)
	e.GET("/account/identities/:provider", s.startLink, signedIn)
	e.GET("/account", s.showAccount, signedIn)
	e.POST("/account/tokens/revoke", s.revokeToken, signedIn)
	e.GET("/account/password", s.showPassword, signedIn)
	e.POST("/account/password", s.changePassword, signedIn)
	e.POST("/account/mail", s.setMailPreference, signedIn)
	e.GET("/login/second-factor", s.showSecondFactor) // a pending sign-in's second step
	e.POST("/login/second-factor", s.secondFactor)
	e.POST("/login/passkey/options", s.passkeyLoginOptions)
	e.POST("/login/passkey", s.passkeyLogin)
	e.GET("/account/second-factor", s.showFactors, signedIn)
	e.POST("/account/totp", s.startTOTP, signedIn)
	e.POST("/account/totp/confirm", s.confirmTOTP, signedIn)
	e.POST("/account/totp/disable", s.disableTOTP, signedIn)
	e.POST("/account/recovery-codes", s.renewRecoveryCodes, signedIn)
	e.POST("/account/passkeys/options", s.passkeyRegisterOptions, signedIn)
	e.POST("/account/passkeys", s.registerPasskey, signedIn)
	e.POST("/account/passkeys/remove", s.removePasskey, signedIn)
	e.GET("/password-reset", s.showForgotPassword)
	e.POST("/password-reset", s.forgotPassword)
	e.GET("/password-reset/new", s.showNewPassword)
	e.POST("/password-reset/new", s.setNewPassword)
	e.GET("/notifications", s.showNotifications, signedIn)
	e.POST("/notifications/read", s.markNotificationsRead, signedIn)

	// Services and assessments; the domain decides who sees what.
	e.GET("/services", s.listServices, signedIn)
	e.POST("/services", s.createService, signedIn, respondent)
	e.GET("/assessments", s.listAssessments, signedIn)
	e.GET("/assessments/new", s.showNewAssessment, signedIn, respondent)
	e.POST("/assessments", s.createAssessment, signedIn, respondent)
	e.GET("/assessments/:id", s.showAssessment, signedIn)
	e.GET("/assessments/:id/dimensions/:dim", s.showQuestionnaire, signedIn)
	e.POST("/assessments/:id/dimensions/:dim", s.saveQuestionnaire, s.keepEndedForm, signedIn, edit)
	e.POST("/assessments/:id/submit", s.submitAssessment, signedIn, edit)
	e.GET("/assessments/:id/result", s.showResult, signedIn)
	e.GET("/assessments/:id/report", s.showReport, signedIn)
	e.POST("/assessments/:id/plan", s.savePlan, signedIn, respondent)
	e.GET("/assessments/:id/practices/new", s.showNewPractice, signedIn, respondent)
	e.POST("/assessments/:id/practices", s.submitPractice, signedIn, respondent)
	e.GET("/assessments/:id/export", s.exportAssessment, signedIn)
	e.GET("/assessments/:id/export.xlsx", s.exportWorkbook, signedIn)
	e.POST("/assessments/:id/import", s.importAssessment, signedIn, edit)

	// Country answers: a coordinator answers the country-scope indicators.
	e.GET("/country", s.showCountry, signedIn, coordinator)
	e.GET("/country/:framework/:version/:period", s.showCountryAnswers, signedIn, coordinator)
	e.POST("/country/:framework/:version/:period", s.saveCountryAnswers, signedIn, coordinator)

	// Review.
	e.GET("/review", s.showReviewQueue, signedIn, reader)
	e.GET("/assessments/:id/review", s.showReview, signedIn, reader)
	e.POST("/assessments/:id/review", s.reviewAssessment, signedIn, reviewer)
	e.GET("/review/practices", s.showPracticeReview, signedIn, reviewer)
	e.POST("/practices/:id/review", s.reviewPractice, signedIn, reviewer)

	// Administration.
	e.GET("/admin/users", s.listUsers, signedIn, admin)
	e.POST("/admin/users", s.createUser, signedIn, admin)
	e.GET("/admin/organisations", s.listOrganisations, signedIn, admin)
	e.POST("/admin/organisations", s.createOrganisation, signedIn, admin)
	e.GET("/admin/users/:id", s.showUser, signedIn, admin)
	e.POST("/admin/users/:id", s.updateUser, signedIn, admin)
	e.POST("/admin/users/:id/reset-password", s.resetUserPassword, signedIn, admin)
	e.POST("/admin/users/:id/identities", s.addIdentity, signedIn, admin)
	e.POST("/admin/users/:id/identities/:identity/delete", s.removeIdentity, signedIn, admin)
	e.POST("/admin/users/:id/reset-second-factor", s.resetSecondFactor, signedIn, admin)
	e.GET("/admin/organisations/:id", s.showOrganisation, signedIn, admin)
	e.POST("/admin/organisations/:id", s.updateOrganisation, signedIn, admin)
	e.GET("/admin/services", s.listAllServices, signedIn, admin)
	e.GET("/admin/services/:id", s.showService, signedIn, admin)
	e.POST("/admin/services/:id", s.updateService, signedIn, admin)
	e.GET("/admin/audit", s.showAudit, signedIn, admin)
	e.GET("/admin/audit.csv", s.exportAudit, signedIn, admin)
	e.GET("/admin/peers", s.showPeers, signedIn, admin)
	e.POST("/admin/peers", s.createPeer, signedIn, admin)
	e.POST("/admin/peers/:id/confirm", s.confirmPeer, signedIn, admin)
	e.POST("/admin/peers/:id/end", s.endPeer, signedIn, admin)

	// JSON API.
	api := e.Group("/api/v1")
	api.GET("/openapi.json", s.apiOpenAPI, shareable) // the contract of every route below
	api.GET("/frameworks", s.apiFrameworks)
	api.GET("/frameworks/:id", s.apiFramework)
	api.GET("/frameworks/:id/:version/canonical", s.apiCanonicalEdition, shareable)
	api.POST("/tokens", s.apiCreateToken)
	api.DELETE("/tokens/current", s.apiRevokeCurrentToken, signedIn)
	api.POST("/account/password", s.apiChangePassword) // signed in, or with email and current password
	api.POST("/account/totp", s.apiStartTOTP, signedIn)
	api.POST("/account/totp/confirm", s.apiConfirmTOTP, signedIn)
	api.GET("/session", s.apiSession, signedIn)
	api.POST("/session/refresh", s.apiSession, signedIn) // the session is refreshed by authenticate
	api.POST("/password-reset", s.apiPasswordReset)
	api.GET("/notifications", s.apiNotifications, signedIn)
	api.POST("/notifications/read", s.apiMarkRead, signedIn)
	api.GET("/services", s.apiServices, signedIn)
	api.POST("/services", s.apiCreateService, signedIn, respondent)
	api.GET("/assessments", s.apiListAssessments, signedIn)
	api.POST("/assessments", s.apiCreateAssessment, signedIn, respondent)
	api.GET("/assessments/:id", s.apiAssessment, signedIn)
	api.PUT("/assessments/:id/answers", s.apiSaveAnswers, signedIn, edit)
	api.POST("/assessments/:id/submit", s.apiSubmit, signedIn, edit)
	api.GET("/assessments/:id/export", s.apiExport, signedIn)
	api.GET("/assessments/:id/export.xlsx", s.exportWorkbook, signedIn)
	api.POST("/assessments/:id/import", s.apiImport, signedIn, edit)
	api.POST("/assessments/:id/review", s.apiReview, signedIn, reviewer)
	api.GET("/assessments/:id/card", s.apiAssessmentCard, signedIn)
	api.GET("/assessments/:id/plan", s.apiPlan, signedIn)
	api.POST("/assessments/:id/practices", s.apiSubmitPractice, signedIn, respondent)
	api.GET("/practices", s.apiPractices)
	api.GET("/practices/:id", s.apiPractice)
	api.POST("/practices/:id/review", s.apiReviewPractice, signedIn, reviewer)
	api.PUT("/assessments/:id/plan", s.apiSavePlan, signedIn, respondent)
	api.GET("/countries/:code/answers", s.apiCountryAnswers, signedIn) // the domain decides who reads
	api.PUT("/countries/:code/answers", s.apiSaveCountryAnswers, signedIn, coordinator)
	api.GET("/cards", s.apiCardFeed, shareable)
	api.GET("/cards/:id", s.apiCard, shareable)
	api.GET("/cards/:id/tlog-proof", s.apiCardProof, shareable)
	api.POST("/cards/verify", s.apiVerify)
	api.POST("/cards/:id/revoke", s.apiRevoke, signedIn, revoker)
	api.GET("/audit", s.apiAudit, signedIn, admin)
	api.GET("/users", s.apiUsers, signedIn, admin)
	api.POST("/users", s.apiCreateUser, signedIn, admin)
	api.PATCH("/users/:id", s.apiUpdateUser, signedIn, admin)
	api.POST("/users/:id/reset-password", s.apiResetPassword, signedIn, admin)
	api.GET("/users/:id/identities", s.apiIdentities, signedIn, admin)
	api.POST("/users/:id/identities", s.apiAddIdentity, signedIn, admin)
	api.DELETE("/users/:id/identities/:identity", s.apiRemoveIdentity, signedIn, admin)
	api.POST("/users/:id/reset-second-factor", s.apiResetSecondFactor, signedIn, admin)
	api.PATCH("/organisations/:id", s.apiUpdateOrganisation, signedIn, admin)
	api.PATCH("/services/:id", s.apiUpdateService, signedIn, admin)
	api.GET("/log", s.apiLog, shareable)
	api.GET("/log/checkpoint", s.apiCheckpoint, shareable)
	api.GET("/log/consistency", s.apiConsistency, shareable)
	api.GET("/peers", s.apiPeers, signedIn, admin)
	api.POST("/peers", s.apiAddPeer, signedIn, admin)
	api.POST("/peers/:id/confirm", s.apiConfirmPeer, signedIn, admin)
	api.DELETE("/peers/:id", s.apiEndPeer, signedIn, admin)
	api.POST("/peers/:id/sync", s.apiSyncPeer, signedIn, admin)
	api.GET("/witness", s.apiWitness, shareable)
	api.POST("/witness/add-checkpoint", s.apiAddCheckpoint) // C2SP tlog-witness; the domain takes only trusted peers' logs
	api.GET("/compare", s.apiCompare)
	api.GET("/compare.csv", s.apiCompareCSV)
	api.GET("/compare.xlsx", s.apiCompareXLSX)
	api.GET("/exports/approved.csv", s.apiApprovedCSV, signedIn, reader)
	api.GET("/exports/approved.xlsx", s.apiApprovedXLSX, signedIn, reader)
	api.Any("/*", s.apiNotFound)

	return e
}

// serverMemoryLimit is the server's soft limit on Go memory, and
// serverGCPercent its GOGC (see serve).
const (
	serverMemoryLimit = 128 << 20
	serverGCPercent   = 200
)

// serve runs the web application until ctx ends, then lets in-flight
// requests finish.
func serve(ctx context.Context, cmd string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(cmd, args, getenv, stderr)
	if err != nil {
		return err
	}
	// A soft limit on the Go heap, unless GOMEMLIMIT sets one: by default
	// the heap grows to twice what is live before each collection, and the
	// garbage of sign-ins (19 MiB of Argon2id each) and verifications kept
	// the server above 200 MB under load. The collector works harder only
	// near the limit; what is live is far below it.
	if getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(serverMemoryLimit))
	}
	// Under that limit, collect when the heap has grown by twice what is
	// live rather than once, unless GOGC says otherwise: what is live is
	// about 30 MB, and the collector took an eighth of the CPU under load
	// (issuance +15%, the peak memory unchanged; README, Performance).
	if getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(serverGCPercent))
	}
	return serveConfig(ctx, cfg, stdout, stderr, nil)
}

// serveConfig runs an instance with its settings until ctx ends; started,
// when not nil, is called once it listens (demo -federation seeds then).
func serveConfig(ctx context.Context, cfg Config, stdout, stderr io.Writer, started func(*server)) error {
	log := newLogger(cfg, stderr)
	// The address first: a busy port must not leave behind a new database
	// and a one-time password that was printed but never usable.
	ln, err := listen(cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	s, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer s.store.Close()
	if err := s.firstStart(ctx, stdout); err != nil {
		return err
	}
	defer s.startMail(ctx)() // before the store closes: stops the worker, which finishes a message being sent
	defer s.startPeers(ctx)()
	defer s.startHub(ctx)()
	defer s.startWitnesser(ctx)()
	if cfg.Demo {
		if err := s.seedDemo(ctx, stdout); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}

	if cfg.PprofAddr != "" {
		if err := servePprof(ctx, cfg.PprofAddr, stdout); err != nil {
			return err
		}
	}
	if cfg.MetricsAddr != "" {
		if err := serveMetrics(ctx, cfg.MetricsAddr, s.metrics.handler, stdout); err != nil {
			return err
		}
	}
	httpServer := &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "DMF is listening on http://%s (public URL %s)\n", ln.Addr(), cfg.BaseURL)
	log.Info("listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "database", cfg.Database)

	errc := make(chan error, 1)
	go func() { errc <- httpServer.Serve(ln) }()
	if started != nil {
		started(s)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// listen opens the main listener, saying in words what to do when the
// address is taken or not this machine's.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("cannot listen on %s: another program (perhaps another DMF) is using that address; stop it, or choose a free one with -addr or DMF_ADDR, such as -addr 127.0.0.1:8081", addr)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return nil, fmt.Errorf("cannot listen on %s: that address is not one of this machine's; choose another with -addr or DMF_ADDR, such as -addr 127.0.0.1:8080", addr)
	case err != nil:
		return nil, fmt.Errorf("cannot listen on %s (set another address with -addr or DMF_ADDR): %w", addr, err)
	}
	return ln, nil
}

// startMail starts the worker that sends the mail outbox, or says that
// there is no mail. The func it returns stops the worker and waits for it.
func (s *server) startMail(ctx context.Context) (stop func()) {
	if !s.cfg.Mail() {
		s.log.Info("mail is not set up (DMF_SMTP_URL is empty): notifications are shown in the app only, and password resets cannot be mailed")
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &mail.Worker{Store: s.store, SMTP: s.cfg.SMTP, From: s.cfg.MailFrom, BaseURL: s.cfg.BaseURL, Log: s.log, Sent: s.metrics.mailSent}
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	s.log.Info("sending mail", "smtp", s.cfg.SMTP.String(), "from", s.cfg.MailFrom)
	return func() { cancel(); <-done }
}

// servePprof serves Go's profiles on their own loopback listener, apart
// from the app's routes, middleware and authorization, until ctx ends.
func servePprof(ctx context.Context, addr string, stdout io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	go func() { <-ctx.Done(); srv.Close() }()
	fmt.Fprintf(stdout, "pprof profiles on http://%s/debug/pprof/\n", ln.Addr())
	return nil
}

// newApp opens the database and loads everything the handlers need.
func newApp(ctx context.Context, cfg Config, log *slog.Logger) (*server, error) {
	builtin, ref, err := frameworks.Embedded()
	if err != nil {
		return nil, fmt.Errorf("built-in framework content is invalid:\n%w", err)
	}
	msgs, err := loadCatalog()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	issuer, err := newIssuer(cfg, time.Now())
	if err != nil {
		return nil, err
	}
	issuer.Translate = msgs.Message // the card's name and description in every language of its edition
	issuer.Languages = languages    // and of the interface
	m := newMetrics()
	// Read before the store opens: the key sealing TOTP secrets derives from it.
	secret, err := loadSecret(cfg.keyDir())
	if err != nil {
		return nil, err
	}
	store, err := assessments.Open(ctx, assessments.Options{Database: cfg.Database, Log: log, Editions: builtin, Issuer: issuer, Observer: m.observer(), Mail: cfg.Mail(), Secret: secret})
	if err != nil {
		return nil, err
	}
	m.watchOutbox(store)
	m.watchWitnessQueue(store)
	editions := store.Editions()
	render, err := newRenderer(msgs, ref, store.Countries())
	if err != nil {
		store.Close()
		return nil, err
	}
	render.unread = store.UnreadNotifications
	pinned, err := pinnedDIDs(cfg.TrustedDIDs)
	if err != nil {
		store.Close()
		return nil, err
	}
	for _, p := range cfg.OIDC {
		// The organisation new respondents join must exist before anyone
		// signs in, not be found missing at someone's first sign-in.
		if p.AutoCreateOrg == 0 {
			continue
		}
		if _, err := store.Organisation(ctx, p.AutoCreateOrg); err != nil {
			store.Close()
			return nil, fmt.Errorf("DMF_OIDC_PROVIDERS: provider %s: auto_create.organisation_id %d: no such organisation; create it first (Administration, Organisations) and use its number", p.Name, p.AutoCreateOrg)
		}
	}
	return &server{cfg: cfg, log: log, store: store, editions: editions, ref: ref, msgs: msgs, render: render, issuer: issuer, pinned: pinned, secret: secret, metrics: m,
		passkeys: newWebAuthn(cfg, log), peers: &peers.Client{}, hub: newHub(cfg, store, issuer, editions), sso: newSSO(cfg)}, nil
}

// openStore opens the database for a command as the server does: migrated,
// with the built-in editions recorded. A nil issuer issues no cards.
func openStore(ctx context.Context, database string, log *slog.Logger, is *assessments.Issuer) (*assessments.Store, error) {
	builtin, _, err := frameworks.Embedded()
	if err != nil {
		return nil, fmt.Errorf("built-in framework content is invalid:\n%w", err)
	}
	return assessments.Open(ctx, assessments.Options{Database: database, Log: log, Editions: builtin, Issuer: is})
}

// firstStart creates the first administrator on an empty database and
// prints its one-time password, the only time it is ever shown.
func (s *server) firstStart(ctx context.Context, stdout io.Writer) error {
	pw, err := s.store.EnsureAdmin(ctx, s.cfg.AdminEmail)
	if err != nil || pw == "" {
		return err
	}
	fmt.Fprintf(stdout, "\nFirst start: created the administrator %s with the one-time password\n\n    %s\n\nSign in at %s/login and choose a new password. This password is not shown again.\n\n",
		s.cfg.AdminEmail, pw, s.cfg.BaseURL)
	s.log.Info("created the first administrator", "email", s.cfg.AdminEmail)
	return nil
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// health answers liveness probes: the process runs and the database answers.
func (s *server) health(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.logOf(c).Error("health check", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// staticFile serves an embedded asset. The version segment is the file's
// digest, so a matching URL can be cached for a year.
func (s *server) staticFile(c echo.Context) error {
	name := c.Param("*")
	want, ok := s.render.assets[name]
	if !ok {
		return echo.ErrNotFound
	}
	if c.Param("version") == want {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Response().Header().Set("Cache-Control", "no-cache")
	}
	return echo.StaticFileHandler(name, static.FS)(c)
}

// isTrustResource reports the routes that shareable marks: public,
// read-only trust resources, which carry no CSRF cookie.
func isTrustResource(route string) bool {
	switch route {
	case "/.well-known/did.json", "/log/checkpoint", "/log/tile/*", card.ContextPath, card.ContextV2Path, card.SchemaPath, "/cards/:id/image.svg", "/status/:list", "/credentials/verify",
		"/api/v1/frameworks/:id/:version/canonical", "/api/v1/cards", "/api/v1/cards/:id", "/api/v1/cards/:id/tlog-proof",
		"/api/v1/log", "/api/v1/log/checkpoint", "/api/v1/log/consistency", "/api/v1/openapi.json", "/api/v1/witness", "/api/v1/witness/add-checkpoint":
		return true
	}
	return false
}

// conformanceRoutes lists the routes of dmf conformance, the VC-API server
// for the W3C test suites; it shares nothing with routes() but the card
// package.
func conformanceRoutes(c *conformance) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(middleware.BodyLimit("2M"))
	e.POST("/credentials/issue", c.issue)
	e.POST("/credentials/verify", c.verify)
	e.POST("/presentations/verify", c.verifyPresentation)
	e.POST("/credentials/status", c.updateStatus)
	e.GET("/status/:purpose", c.showStatusList)
	e.POST("/status/:purpose/publish", c.publishStatusList)
	return e
}
